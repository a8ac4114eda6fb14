"""Candidate-k fits on a Dask cluster (prefect-dask): the same k table as the default thread runner."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from tests.helpers import Warehouse, invoke, query

K_COLUMNS = "k, inertia, silhouette, calinski_harabasz, davies_bouldin, stability, chosen"


@pytest.fixture(scope="module")
def dask_scheduler(prefect_server: str) -> Iterator[str]:
    """A two-process cluster on 127.0.0.1, as a team's existing cluster would be reached."""
    # Worker processes report to the session's Prefect server; without PREFECT_API_URL each one
    # would start a temporary server of its own.
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = prefect_server
    try:
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster:
            yield cluster.scheduler_address
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before


def test_candidate_fits_on_a_dask_cluster_give_the_same_k_table(
    dask_scheduler: str, mall_run: Warehouse, workdir: Path, mall_csv: Path
) -> None:
    threads = mall_run.db  # the same run on the default thread runner
    dask = workdir / "dask.duckdb"
    with Client(dask_scheduler) as client:
        before = sum(client.run(lambda dask_worker: dask_worker.state.executed_count).values())
        result = invoke(
            "run",
            "--source",
            str(mall_csv),
            "--period",
            "2026Q1",
            "--db",
            str(dask),
            "--json",
            "--task-runner",
            "dask",
            "--dask-address",
            dask_scheduler,
        )
        assert result.exit_code == 0, result.output
        executed = sum(client.run(lambda dask_worker: dask_worker.state.executed_count).values()) - before
    assert executed >= 9  # the nine candidate fits ran on the cluster's workers
    assert json.loads(result.stdout)["k"] == 5
    on_threads = query(threads, f"SELECT {K_COLUMNS} FROM k_selection ORDER BY k")  # noqa: S608
    on_dask = query(dask, f"SELECT {K_COLUMNS} FROM k_selection ORDER BY k")  # noqa: S608
    assert on_dask.equals(on_threads)
