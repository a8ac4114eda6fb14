"""pandera contracts: the input file and every table the pipeline publishes."""
