"""Score: assign a new period's customers to the segments of an existing model, without refitting.

Between quarterly refits, the monthly deployment scores: it loads the model file of the newest
fitted run of a period ending at or before the scored one (never a later model: a backfill of an
old month gives what a run on that date would have given), or of a run named by run_id, refuses
it unless its bytes match the sha256 recorded for it, and assigns every customer with the
model's own scaler and K-Means. Segment IDs and names are the model run's; new customers are
assigned like the others; nothing is refitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.errors import PipelineError
from segmentation.kmeans import cluster_scores
from segmentation.model import SegmentModel
from segmentation.periods import Period
from segmentation.settings import Settings
from tasks.features import feature_matrix, selection_sample
from tasks.fit import FittedModel, fitted_model
from tasks.identity import Identity, Reference, lineage_rows, load_reference
from warehouse import Warehouse, queries
from warehouse.queries import Connection


@dataclass(frozen=True)
class ScoringModel:
    """An earlier fitted run's model, verified, with its segments' names."""

    run_id: str
    period: str
    path: str
    sha256: str
    estimator: SegmentModel  # its scaler, K-Means and lasting segment ids
    names: dict[int, str]

    @property
    def features(self) -> tuple[str, ...]:
        return self.estimator.features


def find_model_run(con: Connection, run_id: str | None, period: Period) -> tuple[str, str, str, str]:
    """(run_id, period, model_path, model_sha256) of the named run, or of the newest fitted run of a
    period ending at or before `period`'s end: scoring never uses a model from the period's future.

    Raises:
        PipelineError: no such succeeded fitted run, or the named one is later than the period.
    """
    if run_id:
        row = queries.model_run(con, run_id)
        if row is None:
            raise PipelineError(
                f"run {run_id} is not a succeeded fitted run of this warehouse; it has no model to score with"
            )
        if row[4] > period.end:
            raise PipelineError(
                f"run {run_id} fitted {row[1]}, which ends after {period} ({row[4]} > {period.end}): scoring "
                f"{period} with it would use a model from the period's future; name an earlier fitted run"
            )
        return row[:4]
    row = queries.current_model_run(con, period.end)
    if row is None:
        raise PipelineError(
            f"this warehouse has no succeeded fitted run of a period ending by {period.end} to score {period} with: "
            f"run `segment run --period {period}` (or an earlier period) first"
        )
    return row


@task(cache_policy=NO_CACHE)
def load_scoring_model(settings: Settings, run_id: str | None, period: Period) -> ScoringModel:
    """Find the model run (at or before the period), verify its file's sha256, load it."""
    with Warehouse.of(settings).write() as con:
        model_run, model_period, path, digest = find_model_run(con, run_id, period)
        names = queries.segment_names(con, model_run)
    estimator = SegmentModel.load(Path(path), sha256=digest)
    get_run_logger().info("scoring with the model of run %s (%s), sha256 verified", model_run, model_period)
    return ScoringModel(model_run, model_period, path, digest, estimator, names)


def score_rows(
    customers: pa.Table, model: ScoringModel, *, silhouette_sample_size: int, sample_size: int, random_state: int
) -> FittedModel:
    """Assign every customer with the model's scaler and K-Means; score the partition on a sample."""
    estimator = model.estimator
    scaled = estimator.transform(feature_matrix(customers, model.features, k_min=1, check_variance=False))
    labels = estimator.predict_labels(scaled)
    inertia = estimator.inertia(scaled)
    rows = selection_sample(len(scaled), sample_size, random_state=random_state)
    scores = {"inertia": inertia} | cluster_scores(
        scaled[rows], labels[rows], silhouette_sample_size=silhouette_sample_size, random_state=random_state
    )
    return fitted_model(estimator, labels, scores, min(len(rows), silhouette_sample_size))


def identity_of_model(model: FittedModel, names: dict[int, str], reference: Reference | None) -> Identity:
    """A scored run's segments keep the model's IDs; the lineage pairs them with the reference's by ID."""
    pool = None if reference is None else reference.pool
    pairs = []
    if pool is not None:
        position = {int(sid): col for col, sid in enumerate(pool["segment_id"])}
        for row, sid in enumerate(model.ids):
            if int(sid) in position:
                col = position[int(sid)]
                distance = np.linalg.norm((model.centroids[row] - pool.iloc[col]["centroid"]) / reference.scale)
                pairs.append((row, col, float(distance)))
    return Identity(model, {int(i): names[int(i)] for i in model.ids}, reference, lineage_rows(model.ids, pairs, pool))


@task(cache_policy=NO_CACHE)
def score(settings: Settings, customers: pa.Table, model: ScoringModel) -> FittedModel:
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


@task(cache_policy=NO_CACHE)
def identify_scored(settings: Settings, period: Period, model: ScoringModel, scored: FittedModel) -> Identity:
    """Pair the scored segments with the reference run's for lineage, transitions and drift."""
    with Warehouse.of(settings).write() as con:
        reference = load_reference(con, period, model.features)
    return identity_of_model(scored, model.names, reference)
