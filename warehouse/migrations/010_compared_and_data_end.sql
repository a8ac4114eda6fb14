-- 010_compared_and_data_end: one meaning per column name, and the end of an order history's data.
--
-- `reference_run_id` meant "the run whose segment IDs this run's continue" in runs and
-- segment_lineage, but "the earlier period's run this run was compared with" in
-- segment_transitions and drift_flags. The latter two now say so: `compared_run_id` (the same
-- values). runs.reference_run_id and segment_lineage.reference_run_id keep their name and meaning.
ALTER TABLE segment_transitions RENAME COLUMN reference_run_id TO compared_run_id;  -- the earlier period's run it is compared with
ALTER TABLE drift_flags RENAME COLUMN reference_run_id TO compared_run_id;          -- the earlier period's run it is compared with

-- runs: the last order date of an order history (it may be after the run's period). When it is
-- before the period's end, the data ends early: recency is measured to a day after the last order.
ALTER TABLE runs ADD COLUMN last_order_date DATE;  -- orders: the last order date in the history read; NULL for customer tables and runs before 010
