"""Parquet export of the BI views, for tools without a DuckDB driver."""

from __future__ import annotations

from pathlib import Path

from warehouse.connection import connect_bi, sql
from warehouse.serving import write_parquet

EXPORTED = ("current_segments", "current_profiles", "period_segments", "run_history")


def export_parquet(bi_path: Path, out_dir: Path) -> list[tuple[Path, int]]:
    """Write each exported view of the BI surface to `<out_dir>/<view>.parquet`, atomically per file.

    Reads the BI surface, never the warehouse, so an export never holds up a run.

    Returns:
        (path, row count) per file written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    con = connect_bi(bi_path)
    try:
        for view in EXPORTED:
            target = out_dir / f"{view}.parquet"
            rows = write_parquet(con.execute(sql(f"export_{view}")).to_arrow_reader(), target)
            written.append((target, rows))
    finally:
        con.close()
    return written
