"""Scoring's pure parts: which model a period may use, assigning with a saved model, what it says about k."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from segmentation.errors import PipelineError
from segmentation.model import SegmentModel
from segmentation.periods import Period
from segmentation.results import ScoringModel
from tasks.score import find_model_run, score_rows
from warehouse import connect

INSERT_RUN = (
    "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, finished_at, source_path, "
    "features, mode, model_path, model_sha256) VALUES (?, ?, ?, ?, ?, TIMESTAMP '2026-07-01 06:00', "
    "TIMESTAMP '2026-07-01 06:01', 'x.csv', 'annual_income', ?, ?, ?)"
)


@pytest.fixture
def warehouse(tmp_path: Path):
    """A warehouse with fitted runs of 2025Q4 and 2026Q1, a failed fit of 2026Q2 and a score of 2026-04."""
    with connect(tmp_path / "w.duckdb") as con:
        for run_id, period, start, end, status, mode in (
            ("q4", "2025Q4", date(2025, 10, 1), date(2025, 12, 31), "succeeded", "fit"),
            ("q1", "2026Q1", date(2026, 1, 1), date(2026, 3, 31), "succeeded", "fit"),
            ("q2", "2026Q2", date(2026, 4, 1), date(2026, 6, 30), "failed", "fit"),
            ("apr", "2026-04", date(2026, 4, 1), date(2026, 4, 30), "succeeded", "score"),
        ):
            con.execute(INSERT_RUN, [run_id, period, start, end, status, mode, f"/m/{run_id}", f"sha-{run_id}"])
        yield con


@pytest.mark.parametrize(("period", "expected"), [("2026-05", "q1"), ("2026-03", "q1"), ("2026-02", "q4")])
def test_a_period_is_scored_with_the_newest_fit_that_ended_by_its_end(warehouse, period: str, expected: str) -> None:
    assert find_model_run(warehouse, None, Period.parse(period))[0] == expected


def test_a_named_run_is_used_when_it_is_not_from_the_future(warehouse) -> None:
    assert tuple(find_model_run(warehouse, "q4", Period.parse("2026-05"))) == ("q4", "2025Q4", "/m/q4", "sha-q4")
    with pytest.raises(
        PipelineError, match=r"run q1 fitted 2026Q1, which ends after 2025-11 .*from the period's future"
    ):
        find_model_run(warehouse, "q1", Period.parse("2025-11"))


@pytest.mark.parametrize("run_id", ["q2", "apr", "nope"])  # failed, a score run, unknown
def test_only_succeeded_fitted_runs_have_a_model(warehouse, run_id: str) -> None:
    with pytest.raises(PipelineError, match=f"run {run_id} is not a succeeded fitted run of this warehouse"):
        find_model_run(warehouse, run_id, Period.parse("2026-12"))


def test_no_fit_by_the_periods_end_says_what_to_run(warehouse) -> None:
    with pytest.raises(
        PipelineError, match=r"no succeeded fitted run of a period ending by 2025-09-30 .*--period 2025-09"
    ):
        find_model_run(warehouse, None, Period.parse("2025-09"))


def scoring_model() -> ScoringModel:
    """K-Means on two groups of incomes (10-12 and 90-92), segment 1 the high group."""
    train = np.array([[10.0], [11.0], [12.0], [90.0], [91.0], [92.0]])
    scaler = StandardScaler().fit(train)
    kmeans = KMeans(2, n_init=3, random_state=0).fit(scaler.transform(train))
    high = int(kmeans.predict(scaler.transform([[91.0]]))[0])
    segment_of_label = np.array([1, 2]) if high == 0 else np.array([2, 1])
    bundle = {"scaler": scaler, "kmeans": kmeans, "segment_of_label": segment_of_label, "features": ["annual_income"]}
    return ScoringModel("q1", "2026Q1", "/m/q1", "sha", SegmentModel.from_bundle(bundle), {1: "High", 2: "Low"})


def test_scoring_assigns_with_the_models_own_scaler_and_ids() -> None:
    customers = pa.table({"annual_income": [95.0, 5.0, 50.0, 89.0]})
    scored = score_rows(customers, scoring_model(), silhouette_sample_size=100, sample_size=100, random_state=0)
    assert scored.segment_ids.tolist() == [1, 2, 2, 1]  # 50 is nearer the low centre (11) than the high (91)
    assert scored.ids.tolist() == [1, 2]
    np.testing.assert_allclose(scored.centroids, [[91.0], [11.0]])  # the model's centres, in original units
    assert scored.scores["inertia"] > 0


def test_a_constant_feature_can_still_be_scored() -> None:
    customers = pa.table({"annual_income": [95.0, 95.0, 95.0]})
    scored = score_rows(customers, scoring_model(), silhouette_sample_size=100, sample_size=100, random_state=0)
    assert scored.segment_ids.tolist() == [1, 1, 1]
