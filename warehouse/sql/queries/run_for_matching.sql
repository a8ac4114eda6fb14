SELECT features, feature_scaling, model_path, model_sha256, period, period_end FROM runs WHERE run_id = $1;
