SELECT * FROM segment_lineage WHERE run_id = $1 ORDER BY status <> 'retired' DESC, segment_id;
