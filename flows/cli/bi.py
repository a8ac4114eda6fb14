"""The commands for what BI tools read: `export` (Parquet) and `serve` (the BI surface)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.errors import EXPECTED_ERRORS, fail
from flows.cli.options import DbOpt
from flows.cli.output import out
from segmentation.settings import make_settings
from warehouse.connection import WarehouseError


def export(
    out_dir: Annotated[Path, typer.Option("--out", metavar="FOLDER", help="Folder for the Parquet files.")],
    fmt: Annotated[str, typer.Option("--format", metavar="FORMAT", help="Only parquet is supported.")] = "parquet",
    db: DbOpt = None,
) -> None:
    """Write the current BI views as Parquet, for tools without a DuckDB driver.

    Example: segment export --format parquet --out exports/
    """
    from warehouse.export import export_parquet

    if fmt != "parquet":
        raise fail(f"--format {fmt!r} is not supported; use parquet")
    try:
        settings = make_settings(db_path=db)
        written = export_parquet(settings.bi_path, out_dir)
    except EXPECTED_ERRORS as error:
        raise fail(error) from None
    console = out()
    for path, rows in written:
        console.print(f"{path}  ({rows} rows)")


def serve(
    db: DbOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rewrite every file and the BI file from the warehouse.")
    ] = False,
) -> None:
    """Bring the BI surface up to date with the warehouse (every run does this itself).

    Example: segment serve --rebuild --db /data/segments.duckdb
    """
    from warehouse import Warehouse, writer_lock

    try:
        settings = make_settings(db_path=db)
        if not settings.db_path.exists():
            raise WarehouseError(f"warehouse {settings.db_path} does not exist: run `segment run` first")
        with writer_lock(settings.db_path, wait_s=settings.writer_wait_s):
            result = Warehouse.of(settings).serve(rebuild=rebuild)
    except EXPECTED_ERRORS as error:
        raise fail(error) from None
    console = out()
    done = "created" if result.created else f"rebuilt ({result.reason})" if result.rebuilt else "up to date"
    console.print(f"BI surface {done}; {result.runs_added} run(s) published.")
    console.print(f"BI tools read: {result.bi_path}")
