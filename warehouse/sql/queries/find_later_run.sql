-- The newest succeeded run of the nearest period that starts after $1 (a period's last day).
SELECT run_id FROM period_runs WHERE period_start > $1 ORDER BY period_start, finished_at DESC LIMIT 1;
