-- current_lineage: the current run's segments next to the reference run's (matched, new,
-- retired). Grain: one row per segment_id.
-- Columns: every column of `segment_lineage`, in its order (what each means: docs/warehouse.md).
CREATE OR REPLACE VIEW current_lineage AS
SELECT l.*
FROM segment_lineage AS l
JOIN current_run AS r ON l.run_id = r.run_id;
