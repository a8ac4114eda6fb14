"""What is neither a pipeline stage nor Prefect: settings, periods, errors, reading source files,
the feature registry, K-Means primitives, the segment model, naming, rules, plots and sample data.

Nothing here imports Prefect, `tasks` or `flows`; stages and flows import from here.
"""
