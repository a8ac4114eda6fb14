"""Export: the BI views as Parquet files, for tools without a DuckDB driver."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from warehouse import connect


def test_export_writes_the_bi_views_as_parquet(db: Path, tmp_path: Path) -> None:
    from warehouse.export import export_parquet
    from warehouse.serving import sync

    with connect(db) as con:
        con.execute(
            "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, finished_at, source_path, "
            "features) VALUES ('r1', '2026Q1', DATE '2026-01-01', DATE '2026-03-31', 'succeeded', "
            "TIMESTAMP '2026-04-01 06:00', TIMESTAMP '2026-04-01 06:01', 'x.csv', 'annual_income')"
        )
        con.execute(
            "INSERT INTO customer_segments (run_id, period, customer_id, segment_id, segment_name) "
            "VALUES ('r1', '2026Q1', '7', 1, 'A'), ('r1', '2026Q1', 'C-8', 2, 'B')"
        )
    bi = sync(db, tmp_path / "bi.duckdb").bi_path
    written = dict(export_parquet(bi, tmp_path / "out"))
    assert written[tmp_path / "out" / "current_segments.parquet"] == 2
    table = pq.read_table(tmp_path / "out" / "current_segments.parquet")
    assert sorted(table.column("customer_id").to_pylist()) == ["7", "C-8"]
    assert pq.read_table(tmp_path / "out" / "run_history.parquet").num_rows == 1
