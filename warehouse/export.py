"""Parquet export of the BI views, for tools without a DuckDB driver."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from warehouse.connection import connect, sql

EXPORTED = ("current_segments", "current_profiles", "period_segments", "run_history")


def export_parquet(db_path: Path, out_dir: Path, *, lock_timeout_s: float) -> list[tuple[Path, int]]:
    """Write each exported view to `<out_dir>/<view>.parquet`, atomically per file.

    Returns:
        (path, row count) per file written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with connect(db_path, read_only=True, lock_timeout_s=lock_timeout_s) as con:
        for view in EXPORTED:
            table = con.execute(sql(f"export_{view}")).fetch_arrow_table()
            target = out_dir / f"{view}.parquet"
            partial = target.with_suffix(".parquet.partial")
            pq.write_table(table, partial)
            partial.replace(target)
            written.append((target, table.num_rows))
    return written
