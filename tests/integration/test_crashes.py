"""A run killed (SIGKILL) mid-publish or between the warehouse commit and the BI surface update:
nothing partial is ever seen, and the next run cleans up."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.helpers import Warehouse, assert_surface_matches_warehouse, bi_of, kill_when_logged, query, run_customers


def run_mall(db: Path, mall_csv: Path, period: str = "2026Q1"):
    return run_customers(db, period, source=mall_csv)


def test_sigkill_mid_publish_leaves_nothing_partial_and_the_next_run_cleans_up(
    prefect_server: str, workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
    before = query(db, "SELECT * FROM current_segments ORDER BY customer_id")
    returncode = kill_when_logged(
        prefect_server,
        *("run", "--source", str(mall_csv), "--period", "2026Q2", "--db", str(db)),
        cwd=workdir,
        marker="test pause before_commit",
        SEGMENT_TEST_PAUSE="before_commit=120",
    )
    assert returncode == -signal.SIGKILL
    killed = query(db, "SELECT run_id, status FROM runs WHERE period = '2026Q2'")
    assert killed["status"].tolist() == ["running"]
    killed_id = killed["run_id"].item()
    for table in ("customer_segments", "segment_profiles", "k_selection"):
        count = query(db, f"SELECT count(*) AS n FROM {table} WHERE run_id = ?", [killed_id])["n"].item()  # noqa: S608
        assert count == 0, table
    assert query(db, "SELECT * FROM current_segments ORDER BY customer_id").equals(before)

    assert run_mall(db, mall_csv, "2026Q2").exit_code == 0
    after = query(db, "SELECT run_id, status, error FROM runs WHERE period = '2026Q2' ORDER BY started_at")
    assert after["status"].tolist() == ["failed", "succeeded"]
    assert after["run_id"].iloc[0] == killed_id
    assert after["error"].iloc[0].startswith("abandoned")
    assert set(query(db, "SELECT run_id FROM current_segments")["run_id"]) == {after["run_id"].iloc[1]}


def test_sigkill_between_the_warehouse_commit_and_the_surface_update(
    prefect_server: str, workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
    before = query(bi_of(db), "SELECT * FROM current_segments ORDER BY customer_id")
    kill_when_logged(
        prefect_server,
        *("run", "--source", str(mall_csv), "--period", "2026Q2", "--db", str(db)),
        cwd=workdir,
        marker="test pause before_serving",
        SEGMENT_TEST_PAUSE="before_serving=120",
    )
    assert query(db, "SELECT status FROM runs WHERE period = '2026Q2'")["status"].tolist() == ["succeeded"]
    assert query(bi_of(db), "SELECT * FROM current_segments ORDER BY customer_id").equals(before)
    assert query(bi_of(db), "SELECT count(*) AS n FROM runs")["n"].item() == 1

    assert run_mall(db, mall_csv, "2026Q3").exit_code == 0
    assert_surface_matches_warehouse(db)
    assert query(bi_of(db), "SELECT count(*) AS n FROM period_runs")["n"].item() == 3
