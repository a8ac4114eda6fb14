-- The newest succeeded run of the nearest period that ended before $1 (a period's first day).
SELECT run_id FROM period_runs WHERE period_end < $1 ORDER BY period_end DESC, finished_at DESC LIMIT 1;
