-- 004_text_ids_and_sources: customer ids are text; runs record how their source was read and how
-- big the samples were that chose k and scored silhouette. Grains unchanged.

-- customer_segments.customer_id: the id exactly as the source wrote it (trimmed), so CRM ids such
-- as 'C-00001' or UUIDs round-trip, and so do integers: existing integer ids become their decimal
-- text ('42'). The views add customer_id_int: the same id as a BIGINT when it is written as a
-- plain integer ('42'; not '042', 'C-42' or '4.2'), else NULL; join integer CRM keys on it.
ALTER TABLE customer_segments ALTER customer_id TYPE VARCHAR;

ALTER TABLE runs ADD COLUMN source_given VARCHAR;      -- the source path as given (source_path is now absolute)
ALTER TABLE runs ADD COLUMN source_format VARCHAR;     -- 'csv' or 'parquet'
ALTER TABLE runs ADD COLUMN delimiter VARCHAR;         -- the CSV delimiter used (detected or given); NULL for Parquet
ALTER TABLE runs ADD COLUMN column_map VARCHAR;        -- JSON: contract column -> the source's header
ALTER TABLE runs ADD COLUMN selection_rows BIGINT;     -- customers the candidate k were fitted and scored on (a seeded sample beyond SEGMENT_K_SAMPLE_SIZE)
ALTER TABLE runs ADD COLUMN silhouette_rows BIGINT;    -- customers the run's silhouette was computed on (a seeded sample beyond SEGMENT_SILHOUETTE_SAMPLE_SIZE)

-- Views: current_segments and period_segments gained customer_id_int here (last, so existing
-- column positions hold); every view's current definition is in warehouse/views/.
