"""Parquet export of the BI views, for tools without a DuckDB driver."""

from __future__ import annotations

from pathlib import Path

from warehouse.connection import connect_bi, sql
from warehouse.serving import write_parquet

# Every view docs/warehouse.md documents ("Views (what BI should query)"), one file each.
EXPORTED = (
    "current_segments",
    "current_profiles",
    "current_run",
    "period_runs",
    "period_segments",
    "run_history",
    "segment_dimension",
    "segment_history",
    "current_transitions",
    "current_lineage",
    "current_drift_flags",
    "current_customer_features",
    "customer_features",
    "current_customer_forecasts",
    "forecast_accuracy",
)


def export_parquet(bi_path: Path, out_dir: Path) -> list[tuple[Path, int]]:
    """Write each documented view of the BI surface to `<out_dir>/<view>.parquet`, atomically per file.

    Reads the BI surface, never the warehouse, so an export never holds up a run. An export that
    fails removes the files it wrote, and the folder if it made it: nothing half-done is left.

    Returns:
        (path, row count) per file written.
    """
    con = connect_bi(bi_path)  # first: a missing BI surface leaves no folder behind
    made = not out_dir.exists()
    written: list[tuple[Path, int]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for view in EXPORTED:
            target = out_dir / f"{view}.parquet"
            rows = write_parquet(con.execute(sql(f"export/export_{view}")).to_arrow_reader(), target)
            written.append((target, rows))
    except BaseException:
        for path, _ in written:
            path.unlink(missing_ok=True)
        if made and out_dir.exists() and not any(out_dir.iterdir()):
            out_dir.rmdir()
        raise
    finally:
        con.close()
    return written
