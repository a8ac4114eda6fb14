"""The serving surface: what BI tools read, published from the private warehouse after every run.

BI tools hold their DuckDB connection for hours (Metabase until it restarts), and DuckDB lets a
file have one writer or many readers, never both. So BI tools never open the warehouse: they
open a small DuckDB file that holds only views over Parquet files, and a run never opens that
file at all. For the warehouse `segments.duckdb`:

    segments_bi.duckdb                       views only; created by a rebuild, never written after
    segments_bi/runs.parquet                 the run record, replaced last: the commit point
    segments_bi/<table>/run-<run_id>.parquet one immutable file per run and table
    segments_bi/<table>/_schema.parquet      no rows: the table's columns, so its glob never comes up empty
    segments_bi/serving.json                 which warehouse schema version the views were built for

Every file is written under a name the views do not match, flushed to disk and renamed into
place. A run's files land before the run record that lists the run, and every served table is
filtered through that record, so a reader sees a run whole or not at all; a crash in between
leaves files that no view shows until the next publication lists them. DuckDB resolves a
query's files when it plans the query, so a view open in a BI tool shows the newest run on its
next query. Design notes: docs/warehouse.md#the-serving-surface.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.connection import WarehouseError, code_schema_version, connect, sql, sql_string_literal, utc_now

logger = logging.getLogger(__name__)

MANIFEST = "runs"
SCHEMA_FILE = "_schema.parquet"
STATE_FILE = "serving.json"


class ServingError(WarehouseError):
    """The serving surface could not be brought up to date; the warehouse is unaffected."""


@dataclass(frozen=True)
class SyncResult:
    bi_path: Path
    runs_added: int
    rebuilt: bool


def data_dir(bi_path: Path) -> Path:
    """The folder of Parquet files behind a BI file: `segments_bi.duckdb` -> `segments_bi/`."""
    return bi_path.with_suffix("")


def run_file(folder: Path, table: str, run_id: str) -> Path:
    return folder / table / f"run-{run_id}.parquet"


def write_parquet(batches: pa.RecordBatchReader, target: Path) -> int:
    """Write batches to `target` atomically (temporary name, fsync, rename); return the rows written."""
    partial = _partial(target)
    rows = 0
    with pq.ParquetWriter(partial, batches.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            rows += batch.num_rows
    _fsync(partial)
    os.replace(partial, target)
    return rows


def copy_parquet(con: duckdb.DuckDBPyConnection, statement: str, params: list[object], target: Path) -> int:
    """DuckDB's own (parallel) Parquet writer, atomically like `write_parquet`; the path is bound
    as the statement's last parameter. Returns the rows written."""
    partial = _partial(target)
    rows = con.execute(sql(statement), [*params, str(partial)]).fetchone()[0]
    _fsync(partial)
    os.replace(partial, target)
    return rows


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")  # outside every view's *.parquet glob


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def served_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every warehouse table BI may read, `runs` first; raw source rows and migrations stay private."""
    return [row[0] for row in con.execute(sql("served_tables")).fetchall()]


def run_keyed(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(sql("table_has_run_id"), [table]).fetchone()[0])


def served_run_ids(folder: Path) -> set[str]:
    """Finished runs the current run record lists: every file of theirs is in place."""
    manifest = folder / f"{MANIFEST}.parquet"
    if not manifest.exists():
        return set()
    listed = pq.read_table(manifest, columns=["run_id", "status"]).to_pylist()
    return {row["run_id"] for row in listed if row["status"] != "running"}


def publish_run(con: duckdb.DuckDBPyConnection, folder: Path, tables: Iterable[str], run_id: str) -> int:
    """Write one run's rows of every run-keyed table; a table where the run has no rows gets no file."""
    written = 0
    for table in tables:
        target = run_file(folder, table, run_id)
        rows = copy_parquet(con, "copy_run_rows", [table, run_id], target)
        if rows == 0:
            target.unlink()
        written += rows
    return written


def write_whole(con: duckdb.DuckDBPyConnection, folder: Path, table: str) -> int:
    """Replace the file of a table that is not keyed by run (the run record itself, for one)."""
    return copy_parquet(con, "copy_table_rows", [table], folder / f"{table}.parquet")


def base_view_sql(table: str, folder: Path, *, keyed: bool) -> str:
    """The view that serves one table from its Parquet files.

    DDL takes no bound parameters, so the path goes in as an escaped string literal; `table`
    comes from the warehouse's own catalog and is quoted. Run-keyed tables are gated on the run
    record: files of a run it does not list yet are invisible.
    """
    files = sql_string_literal(str(folder / table / "*.parquet" if keyed else folder / f"{table}.parquet"))
    gate = " WHERE run_id IN (SELECT run_id FROM runs)" if keyed else ""
    return f'CREATE VIEW "{table}" AS SELECT * FROM read_parquet({files}){gate}'  # noqa: S608


def build_bi_file(
    con: duckdb.DuckDBPyConnection, bi_path: Path, folder: Path, tables: list[str], *, storage_version: str
) -> None:
    """Create the BI file (base views, then the warehouse's own views) and swap it into place."""
    partial = bi_path.with_name(f".{bi_path.name}.partial")
    partial.unlink(missing_ok=True)
    views = con.execute(sql("warehouse_views")).fetchall()
    with connect(partial, storage_version=storage_version, migrate=False) as bi:
        for table in tables:
            bi.execute(base_view_sql(table, folder, keyed=run_keyed(con, table)))
        _create_in_dependency_order(bi, views)
        bi.execute(sql("create_serving_info"), [code_schema_version(), utc_now()])
    _fsync(partial)
    os.replace(partial, bi_path)


def _create_in_dependency_order(bi: duckdb.DuckDBPyConnection, views: list[tuple[str, str]]) -> None:
    """Views may read views; create each once everything it reads exists."""
    pending = dict(views)
    while pending:
        created = []
        for name, ddl in pending.items():
            try:
                bi.execute(ddl)
            except duckdb.CatalogException:
                continue
            created.append(name)
        if not created:
            raise ServingError(f"views {sorted(pending)} read something the serving surface does not serve")
        for name in created:
            del pending[name]


def read_state(folder: Path) -> dict[str, object]:
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_state(folder: Path, bi_path: Path, schema_version: int) -> None:
    partial = folder / f".{STATE_FILE}.partial"
    state = {"schema_version": schema_version, "bi_file": str(bi_path), "built_at": utc_now().isoformat()}
    partial.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(partial, folder / STATE_FILE)


def sync(
    db_path: Path,
    bi_path: Path,
    *,
    rebuild: bool = False,
    lock_timeout_s: float = 60.0,
    storage_version: str = "v1.0.0",
) -> SyncResult:
    """Bring the serving surface up to date with the warehouse.

    Publishes the files of every finished run the run record does not list yet (the run just
    finished, or one whose publication a crash interrupted), then the run record. Rebuilds
    everything (files and BI file) when asked, when the BI file is missing, or when the
    warehouse's schema changed since the surface was built. The caller holds the pipeline's
    writer lock.

    Args:
        db_path: the private warehouse.
        bi_path: the BI file; its Parquet goes to `data_dir(bi_path)`.
        rebuild: rewrite every file and the BI file.
        lock_timeout_s: how long to wait for someone holding the warehouse by hand.
        storage_version: DuckDB storage format of the BI file (v1.0.0 opens in DuckDB 1.x).

    Returns:
        What was done.
    """
    bi_path = bi_path.resolve()
    folder = data_dir(bi_path)
    state = read_state(folder)
    try:
        with connect(db_path, lock_timeout_s=lock_timeout_s, storage_version=storage_version) as con:
            version = code_schema_version()
            rebuild = rebuild or not bi_path.exists() or state.get("schema_version") != version
            tables = served_tables(con)
            keyed = [t for t in tables if run_keyed(con, t)]
            if rebuild:
                write_schema_files(con, folder, keyed)
            served = set() if rebuild else served_run_ids(folder)
            finished = [r for (r,) in con.execute(sql("finished_runs")).fetchall()]
            pending = [r for r in finished if r not in served]
            for run_id in pending:
                publish_run(con, folder, keyed, run_id)
            for table in (t for t in tables if t not in keyed and t != MANIFEST):
                write_whole(con, folder, table)
            write_whole(con, folder, MANIFEST)  # last: the commit point
            if rebuild:
                build_bi_file(con, bi_path, folder, tables, storage_version=storage_version)
                write_state(folder, bi_path, version)
                remove_orphans(folder, keyed, set(finished))
    except (OSError, duckdb.Error) as error:
        raise ServingError(
            f"the BI surface {bi_path} was not updated ({error}); the warehouse {db_path} is intact. "
            "BI tools still see the previous complete run; `segment serve --rebuild` repairs the surface."
        ) from error
    if pending or rebuild:
        logger.info("BI surface %s: %d run(s) published%s", bi_path, len(pending), " (rebuilt)" if rebuild else "")
    return SyncResult(bi_path, len(pending), rebuild)


def write_schema_files(con: duckdb.DuckDBPyConnection, folder: Path, keyed: list[str]) -> None:
    """Give every run-keyed table its folder and a row-less file with its current columns."""
    for table in keyed:
        (folder / table).mkdir(parents=True, exist_ok=True)
        copy_parquet(con, "copy_no_rows", [table], folder / table / SCHEMA_FILE)


def remove_orphans(folder: Path, keyed: list[str], finished: set[str]) -> None:
    """After a rebuild: drop files of runs the warehouse no longer has (none, unless it was replaced)."""
    for table in keyed:
        for path in (folder / table).glob("run-*.parquet"):
            if path.stem.removeprefix("run-") not in finished:
                path.unlink()
