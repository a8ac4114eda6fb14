"""The BI surface with readers in other processes: runs and rebuilds never wait for them, and a
reader keeps reading what it opened."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from segmentation.sample import generate_customers
from tests.helpers import (
    Warehouse,
    assert_surface_matches_warehouse,
    bi_of,
    invoke,
    query,
    run_customers,
)
from warehouse import connect_bi
from warehouse.serving import data_dir


def run(db: Path, source: Path, period: str, *extra: str):
    return run_customers(db, period, *extra, source=source)


HOLDER = """
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT run_id FROM current_run").fetchone()[0], flush=True)
for line in sys.stdin:  # each line asks again on the same connection
    print(json.dumps([con.execute("SELECT run_id, period FROM current_run").fetchone(),
                      con.execute("SELECT count(*), count(DISTINCT run_id) FROM current_segments").fetchone()]),
          flush=True)
"""


def test_a_reader_holding_the_surface_never_blocks_runs_and_sees_each_new_run(
    workdir: Path, mall_run: Warehouse, mall_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = mall_run.db
    monkeypatch.setenv("SEGMENT_LOCK_TIMEOUT_S", "0")  # any wait for a lock would fail the run at once
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(bi_of(db))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        first_seen = holder.stdout.readline().strip()
        for period in ("2025Q4", "2026Q2"):  # a backfilled older period, and a newer one
            result = run(db, mall_csv, period)
            assert result.exit_code == 0, result.output
        for seed, period in enumerate(("2026Q3", "2026Q4")):
            generate_customers(150, seed=seed).to_csv(workdir / f"c_{period}.csv", index=False)
        backfill = invoke(
            "backfill", "--from", "2026Q3", "--to", "2026Q4", "--source", workdir / "c_{period}.csv", "--db", db
        )
        assert backfill.exit_code == 0, backfill.output
        holder.stdin.write("again\n")
        holder.stdin.flush()
        held = holder.stdout.readline().strip()
        assert holder.poll() is None  # the reader held the file all along
    finally:
        holder.kill()
        holder.wait()
    newest = query(db, "SELECT run_id FROM current_run")["run_id"].item()
    assert first_seen != newest
    assert json.loads(held) == [[newest, "2026Q4"], [150, 1]]
    fresh = connect_bi(bi_of(db))
    try:
        assert fresh.execute("SELECT run_id FROM current_run").fetchone()[0] == newest
        assert fresh.execute("SELECT count(*) FROM period_runs").fetchone()[0] == 5
    finally:
        fresh.close()
    assert query(db, "SELECT count(*) AS n FROM runs WHERE status = 'succeeded'")["n"].item() == 5


def test_a_rebuild_writes_a_new_generation_and_keeps_the_one_a_reader_holds(
    workdir: Path, mall_run: Warehouse, mall_csv: Path
) -> None:
    db = mall_run.db
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(bi_of(db))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        first = holder.stdout.readline().strip()
        result = invoke("serve", "--rebuild", "--db", db)
        assert result.exit_code == 0, result.output
        assert "BI surface rebuilt (asked for)" in result.stdout
        assert sorted(p.name for p in data_dir(bi_of(db)).glob("gen-*")) == ["gen-1", "gen-2"]
        holder.stdin.write("again\n")
        holder.stdin.flush()
        held = json.loads(holder.stdout.readline())
        assert held == [[first, "2026Q1"], [200, 1]]  # the BI file it holds still reads gen-1, whole
        result = invoke("serve", "--rebuild", "--db", db)
        assert result.exit_code == 0, result.output
    finally:
        holder.kill()
        holder.wait()
    # the second rebuild removed gen-1 (readers of the BI file from before the first must reconnect)
    assert sorted(p.name for p in data_dir(bi_of(db)).glob("gen-*")) == ["gen-2", "gen-3"]
    assert_surface_matches_warehouse(db)
