"""A customer table through the flow, end to end on the real Mall data: what lands in the warehouse.

`mall_run` is the session's first Mall run (tests/conftest.py), copied back for each test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from segmentation.model import SegmentModel
from tests.helpers import MALL_NAMES, Warehouse, invoke, query, run_customers, succeed, write_csv


def test_mall_data_gives_the_accepted_five_segments(mall_run: Warehouse) -> None:
    db = mall_run.db
    run = query(db, "SELECT * FROM runs").iloc[0]
    assert (run.status, run.period, run.n_rows, run.k) == ("succeeded", "2026Q1", 200, 5)
    assert run.silhouette >= 0.55
    assert run.k_reason.startswith("knee of the inertia curve at k=5")
    profiles = query(db, "SELECT * FROM current_profiles ORDER BY segment_id")
    assert profiles["n_customers"].tolist() == [81, 39, 35, 23, 22]
    assert profiles["share"].sum() == pytest.approx(1.0)
    assert set(profiles["segment_name"]) == MALL_NAMES
    k_table = query(db, "SELECT k, chosen, stability FROM k_selection ORDER BY k")
    assert k_table["k"].tolist() == list(range(2, 11))
    assert k_table.loc[k_table["chosen"], "k"].tolist() == [5]
    assert k_table.loc[k_table["chosen"], "stability"].item() > 0.9


def test_model_artifact_matches_its_checksum_and_reproduces_segments(mall_run: Warehouse, mall_csv: Path) -> None:
    db = mall_run.db
    run = query(db, "SELECT model_path, model_sha256, library_versions FROM runs").iloc[0]
    assert '"scikit-learn"' in run.library_versions
    model = SegmentModel.load(run.model_path, sha256=run.model_sha256)
    source = pd.read_csv(mall_csv)
    predicted = model.predict(model.transform(source[["Annual Income (k$)", "Spending Score (1-100)"]].to_numpy(float)))
    stored = query(db, "SELECT customer_id, segment_id FROM current_segments ORDER BY customer_id_int")
    assert predicted.tolist() == stored["segment_id"].tolist()


def test_rerun_keeps_both_runs_and_current_follows_the_newest(mall_run: Warehouse) -> None:
    db = mall_run.db
    again = run_customers(db, "2026Q1")
    assert again.exit_code == 0, again.output
    runs = query(db, "SELECT run_id, status FROM runs ORDER BY finished_at")
    assert runs["status"].tolist() == ["succeeded", "succeeded"]
    current = query(db, "SELECT * FROM current_segments")
    assert len(current) == 200
    assert current["customer_id"].is_unique
    assert set(current["run_id"]) == {runs["run_id"].iloc[-1]}
    assert query(db, "SELECT count(*) AS n FROM customer_segments")["n"].item() == 400


def test_invalid_values_fail_the_run_store_failures_and_publish_nothing(mall_run: Warehouse, workdir: Path) -> None:
    db = mall_run.db
    bad = write_csv(
        workdir / "bad.csv",
        [
            "1,Male,19,15,39",
            "2,Female,21,15,181",
            "2,Other,20,16,6",
            "4,Female,23,16,77",
            "5,Female,31,17,40",
        ],
    )
    result = run_customers(db, "2026Q2", source=bad)
    assert result.exit_code == 1
    assert "bad.csv: 4 value(s) in 2 row(s) break the input contract" in result.stderr
    assert "Spending Score (1-100) · less_than_or_equal_to(100): 1 failing: '181' (line 3)" in result.stderr
    assert "Gender · isin(['Female', 'Male']): 1 failing: 'Other' (line 4)" in result.stderr
    assert "Traceback" not in result.output
    failed = query(db, "SELECT run_id, status, error FROM runs WHERE period = '2026Q2'").iloc[0]
    assert failed.status == "failed"
    assert "break the input contract" in failed.error
    stored = query(db, "SELECT column_name, source_line FROM validation_failures WHERE run_id = ?", [failed.run_id])
    assert sorted(stored.itertuples(index=False, name=None)) == [
        ("customer_id", 3),
        ("customer_id", 4),
        ("gender", 4),
        ("spending_score", 3),
    ]
    for table in ("customer_segments", "segment_profiles", "k_selection"):
        n = query(db, f"SELECT count(*) AS n FROM {table} WHERE run_id = ?", [failed.run_id])["n"].item()  # noqa: S608
        assert n == 0, table
    assert set(query(db, "SELECT period FROM current_segments")["period"]) == {"2026Q1"}


def test_pinned_k_and_age_feature(workdir: Path, db: Path, mall_csv: Path) -> None:
    result = invoke(
        "run",
        "--source",
        str(mall_csv),
        "--period",
        "2026-01",
        "--db",
        str(db),
        "--k",
        "4",
        "--features",
        "age,annual_income,spending_score",
    )
    assert result.exit_code == 0, result.output
    run = query(db, "SELECT k, k_reason, features FROM runs").iloc[0]
    assert (run.k, run.features) == (4, "age,annual_income,spending_score")
    assert "pinned" in run.k_reason
    profiles = query(db, "SELECT segment_name, centroid_age FROM segment_profiles")
    assert profiles["centroid_age"].notna().all()
    assert profiles["segment_name"].str.contains("Younger|Middle-aged|Older").all()


def test_a_scheduled_run_records_a_missing_source_as_a_failed_run(workdir: Path, db: Path) -> None:
    """The command refuses a missing file before anything runs; a flow run (a deployment's) records it."""
    from flows.segment import segment_customers
    from segmentation.errors import InputFileError

    with pytest.raises(InputFileError, match="no such file"):
        segment_customers(period="2026Q1", source=str(workdir / "customers_{period}.csv"), db=str(db))
    failed = query(db, "SELECT status, error, source_given FROM runs").iloc[0]
    assert failed.status == "failed"
    assert failed.error.endswith("customers_2026Q1.csv: no such file")
    assert failed.source_given == str(workdir / "customers_2026Q1.csv")
    assert query(db.with_name(f"{db.stem}_bi.duckdb"), "SELECT status FROM run_history")["status"].tolist() == [
        "failed"
    ]


def test_a_run_from_another_folder_keeps_its_model_beside_the_warehouse(
    workdir: Path, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "elsewhere").mkdir()
    (workdir / "data").mkdir()
    source = workdir / "data" / "mall.csv"
    source.write_bytes(mall_csv.read_bytes())
    monkeypatch.chdir(workdir / "elsewhere")
    summary = succeed("run", "--source", "../data/mall.csv", "--db", "../wh/segments.duckdb")
    model, page = Path(summary["model_path"]), Path(summary["report_path"])
    assert model.parent.parent == workdir / "wh" / "artifacts"
    assert page == model.parent / "report.html"  # absolute, like every path the summary names
    assert not (workdir / "elsewhere" / "artifacts").exists()
    run = query(workdir / "wh" / "segments.duckdb", "SELECT source_path, source_given FROM runs").iloc[0]
    assert (run.source_path, run.source_given) == (str(source), "../data/mall.csv")
