"""Score: assign a new period's customers to the segments of an existing model, without refitting.

Between quarterly refits, the monthly deployment scores: it loads the model file of the newest
fitted run of a period ending at or before the scored one (never a later model: a backfill of an
old month gives what a run on that date would have given), or of a run named by run_id, refuses
it unless its bytes match the sha256 recorded for it, and assigns every customer with the
model's own scaler and K-Means. Segment IDs and names are the model run's; new customers are
assigned like the others; nothing is refitted.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.kmeans import cluster_scores
from segmentation.matrix import feature_matrix, selection_sample
from segmentation.model import SegmentModel
from segmentation.periods import Period
from segmentation.results import Assignment, ScoringModel
from segmentation.scoring import choose_model_run
from segmentation.settings import Settings
from warehouse import Warehouse, queries
from warehouse.queries import Connection


def find_model_run(con: Connection, run_id: str | None, period: Period) -> tuple[str, str, str, str]:
    """(run_id, period, model_path, model_sha256) of the run to score `period` with (see `choose_model_run`)."""
    named = queries.model_run(con, run_id) if run_id else None
    current = None if run_id else queries.current_model_run(con, period.end)
    return choose_model_run(run_id, named, current, period)


@task(cache_policy=NO_CACHE)
def load_scoring_model(warehouse: Warehouse, run_id: str | None, period: Period) -> ScoringModel:
    """Find the model run (at or before the period), verify its file's sha256, load it."""
    with warehouse.write() as con:
        model_run, model_period, path, digest = find_model_run(con, run_id, period)
        names = queries.segment_names(con, model_run)
    estimator = SegmentModel.load(Path(path), sha256=digest)
    get_run_logger().info("scoring with the model of run %s (%s), sha256 verified", model_run, model_period)
    return ScoringModel(model_run, model_period, path, digest, estimator, names)


def score_rows(
    customers: pa.Table, model: ScoringModel, *, silhouette_sample_size: int, sample_size: int, random_state: int
) -> Assignment:
    """Assign every customer with the model's scaler and K-Means; score the partition on a sample."""
    estimator = model.estimator
    scaled = estimator.transform(feature_matrix(customers, model.features, k_min=1, check_variance=False))
    labels = estimator.predict_labels(scaled)
    inertia = estimator.inertia(scaled)
    rows = selection_sample(len(scaled), sample_size, random_state=random_state)
    scores = {"inertia": inertia} | cluster_scores(
        scaled[rows], labels[rows], silhouette_sample_size=silhouette_sample_size, random_state=random_state
    )
    return Assignment.of(estimator, labels, scores, min(len(rows), silhouette_sample_size))


@task(cache_policy=NO_CACHE)
def score(settings: Settings, customers: pa.Table, model: ScoringModel) -> Assignment:
    """Assign the period's customers to the model's segments."""
    scored = score_rows(
        customers,
        model,
        silhouette_sample_size=settings.silhouette_sample_size,
        sample_size=settings.k_sample_size,
        random_state=settings.random_state,
    )
    get_run_logger().info("scored %d customers into %d segments", customers.num_rows, len(scored.ids))
    return scored
