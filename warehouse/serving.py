"""The serving surface: what BI tools read, published from the private warehouse after every run.

BI tools hold their DuckDB connection for hours (Metabase until it restarts), and DuckDB lets a
file have one writer or many readers, never both. So BI tools never open the warehouse: they
open a small DuckDB file that holds only views over Parquet files, and a run never opens that
file at all. For the warehouse `segments.duckdb`:

    segments_bi.duckdb                              views only; replaced (by rename) only by a rebuild
    segments_bi/gen-N/runs/run-<run_id>.parquet     the run's record, stamped `published_at`: written last
    segments_bi/gen-N/<table>/run-<run_id>.parquet  one immutable file per run and table
    segments_bi/gen-N/<table>/_schema-v<V>.parquet  no rows: the table's columns at schema version V
    segments_bi/serving.json                        what the BI file was built as (read by the pipeline only)

A publication only ADDS files: no file a view reads is ever replaced or removed while a reader
may use it (DuckDB opens a file more than once per query and expands each glob at its own
moment, so a replaced file can be read in two versions by one query). Which runs a query sees
is decided by one value that is the same everywhere in the query: a run is visible when its
record's `published_at` is at or before `now()`, the start of the reader's transaction. A run's
data files and its record are in place before that moment (checked before the record is renamed
in), so every glob the query expands after it starts lists the same runs, whole. A rebuild
(asked for, or after a migration) writes a new generation folder and a BI file that reads it,
rather than rewriting files in place. Design notes and what one query can observe:
docs/warehouse.md#the-serving-surface.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.connection import (
    SURFACE_LAYOUT,
    WarehouseError,
    code_schema_version,
    connect,
    sql,
    sql_string_literal,
    utc_now,
)
from warehouse.connection import views as view_files

logger = logging.getLogger(__name__)

MANIFEST = "runs"
LAYOUT = SURFACE_LAYOUT  # 1: one runs.parquet replaced by rename; 2: per-run records, add-only
STATE_FILE = "serving.json"
FOLDER_MACRO = "segment_bi_folder"  # the one place the BI file names its folder
VISIBILITY_DELAY_S = 1.0  # a record is stamped this far ahead; it must be renamed in before then
CREATED = "created"  # the reason given when there was no surface before


class ServingError(WarehouseError):
    """The serving surface could not be brought up to date; the warehouse is unaffected."""


@dataclass(frozen=True)
class SyncResult:
    bi_path: Path
    runs_added: int
    rebuilt: bool
    reason: str = ""
    visible_at: datetime | None = None  # when readers see the runs added (None: nothing to wait for)

    @property
    def created(self) -> bool:
        """The first build of a surface where none was: nothing to say to the user."""
        return self.reason == CREATED

    def wait_until_visible(self) -> None:
        """Return once every reader's next query shows the runs added (see `publish_records`)."""
        if self.visible_at is not None:
            time.sleep(max(0.0, (self.visible_at - datetime.now(UTC)).total_seconds()) + 0.01)


def data_dir(bi_path: Path) -> Path:
    """The folder of Parquet files behind a BI file: `segments_bi.duckdb` -> `segments_bi/`."""
    return bi_path.with_suffix("")


def run_file(folder: Path, table: str, run_id: str) -> Path:
    """Where a run's rows of `table` go; for `runs`, the run's record."""
    return folder / table / f"run-{run_id}.parquet"


def schema_file(folder: Path, table: str, version: int) -> Path:
    return folder / table / f"_schema-v{version}.parquet"


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


def copy_parquet(
    con: duckdb.DuckDBPyConnection, statement: str, params: list[object], target: Path, *, keep_empty: bool = True
) -> int:
    """DuckDB's own (parallel) Parquet writer, atomically like `write_parquet`; the path is bound
    as the statement's last parameter. An empty result is not renamed in unless `keep_empty`, so
    no reader ever lists a file that is then taken away. Returns the rows written."""
    partial = _partial(target)
    rows = con.execute(sql(statement), [*params, str(partial)]).fetchone()[0]
    if rows == 0 and not keep_empty:
        partial.unlink()
        return 0
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
    return [row[0] for row in con.execute(sql("serving/served_tables")).fetchall()]


def run_keyed(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute(sql("serving/table_has_run_id"), [table]).fetchone()[0])


def served_run_ids(folder: Path) -> set[str]:
    """Runs whose record is on the surface: every file of theirs was in place before it."""
    records = folder / MANIFEST
    if not records.is_dir():
        return set()
    return {path.stem.removeprefix("run-") for path in records.glob("run-*.parquet")}


def publish_run(con: duckdb.DuckDBPyConnection, folder: Path, tables: Iterable[str], run_id: str) -> int:
    """Write one run's rows of every run-keyed table that has no file for it yet (a crash may have
    left some: each is whole, and immutable). A table where the run has no rows gets no file."""
    written = 0
    for table in tables:
        target = run_file(folder, table, run_id)
        if not target.exists():
            written += copy_parquet(con, "serving/copy_run_rows", [table, run_id], target, keep_empty=False)
    return written


def publish_records(
    con: duckdb.DuckDBPyConnection, folder: Path, run_ids: list[str], *, delay_s: float = VISIBILITY_DELAY_S
) -> datetime | None:
    """Write the records of runs whose files are all in place; return the moment readers see them.

    Each record is stamped `published_at` = now + `delay_s` and renamed in only while that moment
    is still ahead (else it is stamped again, further ahead): so every record a query may see
    (`published_at <= now()`) was already in place when the query started, whichever moment
    DuckDB expands the glob at. After the returned moment, the caller's next query, and every
    BI tool's, shows the runs (SyncResult.wait_until_visible).
    """
    if not run_ids:
        return None
    (folder / MANIFEST).mkdir(parents=True, exist_ok=True)
    while True:
        stamp = datetime.now(UTC) + timedelta(seconds=delay_s)
        partials = []
        for run_id in run_ids:
            partial = _partial(run_file(folder, MANIFEST, run_id))
            con.execute(sql("serving/copy_run_record"), [run_id, stamp, str(partial)])
            _fsync(partial)
            partials.append(partial)
        if datetime.now(UTC) + timedelta(seconds=delay_s / 4) < stamp:
            break
        logger.warning("writing run records took longer than %gs; stamping them again", delay_s * 3 / 4)
        delay_s *= 2
    for run_id, partial in zip(run_ids, partials, strict=True):
        os.replace(partial, run_file(folder, MANIFEST, run_id))
    late = (datetime.now(UTC) - stamp).total_seconds()
    if late > 0:  # the renames themselves stalled past the stamp: a reader in between may have missed one
        logger.warning("run records were renamed in %.3fs after the moment they became visible", late)
    return stamp


def write_schema_files(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[str]) -> None:
    """Give every served table its folder and a row-less file of its columns at this schema
    version, so its glob is never empty and a column a migration added is there before any run
    has it. Added once per version, never replaced."""
    version = code_schema_version()
    for table in tables:
        (folder / table).mkdir(parents=True, exist_ok=True)
        target = schema_file(folder, table, version)
        if target.exists():
            continue
        if table == MANIFEST:
            copy_parquet(con, "serving/copy_no_run_record", [], target)
        else:
            copy_parquet(con, "serving/copy_no_rows", [table], target)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def base_view_sql(con: duckdb.DuckDBPyConnection, table: str, *, keyed: bool) -> str:
    """The view that serves one table from its Parquet files.

    One glob per table, read with `union_by_name` (a file that lacks a column gives NULL: the
    row-less schema file names every column), each column cast to the warehouse's type, in its
    order. The folder comes from the macro `segment_bi_folder()`, so the BI file names it in one
    place. The run record is gated on `published_at <= now()`; every run-keyed table on the run
    record. DDL takes no bound parameters; `table` and its columns come from the warehouse's own
    catalog and are quoted.
    """
    columns = con.execute(sql("serving/served_columns"), [table]).fetchall()
    select = ", ".join(f"CAST({quote_identifier(c)} AS {t}) AS {quote_identifier(c)}" for c, t in columns)
    files = f"{FOLDER_MACRO}() || {sql_string_literal('/' + table + '/*.parquet')}"
    if table == MANIFEST:
        gate = "published_at <= now()"
    elif keyed:
        gate = "run_id IN (SELECT run_id FROM runs)"
    else:
        raise ServingError(f"table {table} has no run_id: the BI surface serves only run-keyed tables and runs")
    return (
        f"CREATE VIEW {quote_identifier(table)} AS SELECT {select} "  # noqa: S608
        f"FROM read_parquet({files}, union_by_name = true) WHERE {gate}"
    )


def folder_macro_sql(views_path: str) -> str:
    return f"CREATE OR REPLACE MACRO {FOLDER_MACRO}() AS {sql_string_literal(views_path)}"


def build_bi_file(
    con: duckdb.DuckDBPyConnection,
    bi_path: Path,
    folder: Path,
    tables: list[str],
    *,
    storage_version: str,
    views_path: str | None = None,
) -> None:
    """Create the BI file (base views, then the warehouse's own views) and swap it into place.

    DuckDB checks a view against its files when it is created, so the views are created over the
    folder as this machine sees it and the folder macro is then pointed at `views_path`, the
    folder as BI tools see it (SEGMENT_BI_MOUNT_PATH).
    """
    partial = bi_path.with_name(f".{bi_path.name}.partial")
    partial.unlink(missing_ok=True)
    views = con.execute(sql("serving/warehouse_views")).fetchall()
    views_path = views_path or str(folder)
    with connect(partial, storage_version=storage_version, migrate=False) as bi:
        bi.execute(folder_macro_sql(str(folder)))
        for table in tables:
            bi.execute(base_view_sql(con, table, keyed=run_keyed(con, table)))
        _create_in_dependency_order(bi, views)
        bi.execute(sql("serving/bi_comments"))  # field help in BI tools, generated by warehouse/comments.py
        bi.execute(folder_macro_sql(views_path))
        bi.execute(sql("serving/create_serving_info"), [code_schema_version(), utc_now(), LAYOUT, views_path])
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


def views_digest() -> str:
    """sha256 of the BI views' definitions (warehouse/views/). The BI file copies the warehouse's
    views when it is built, and a view's file can change without a migration, so serving.json
    records which definitions its BI file holds."""
    digest = hashlib.sha256()
    for name, text in view_files():
        digest.update(f"{name}\0{text}\0".encode())
    return digest.hexdigest()


def read_state(folder: Path) -> dict[str, object]:
    try:
        return json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_state(folder: Path, bi_path: Path, schema_version: int, views_path: str, generation: str) -> None:
    """serving.json: what the BI file was built as, where its views read, and which generation."""
    partial = folder / f".{STATE_FILE}.partial"
    state = {
        "schema_version": schema_version,
        "layout": LAYOUT,
        "generation": generation,
        "bi_file": str(bi_path),
        "views_path": views_path,
        "views": views_digest(),
        "built_at": utc_now().isoformat(),
    }
    partial.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(partial, folder / STATE_FILE)


def views_path_for(folder: Path, mount_path: Path | str | None) -> str:
    """The data folder as BI tools see it: under `mount_path` (the BI file's folder as mounted in a
    BI container, SEGMENT_BI_MOUNT_PATH) when set, else where it is."""
    if mount_path is None or str(mount_path) == "":
        return str(folder)
    return str(PurePosixPath(str(mount_path)) / folder.name)


def rebuild_reason(bi_path: Path, state: dict[str, object], views_path: str, *, asked: bool) -> tuple[str, bool]:
    """Why the BI file must be built anew (every reason that holds, or ""), and whether its files
    must be written anew too, as a new generation (a rebuild, a migration, an older layout: rows
    of published runs may differ) rather than only its views (a lost BI file, a moved or copied
    folder, another mount path, other view definitions: the files are right)."""
    if not state and not bi_path.exists() and not data_dir(bi_path).exists():
        return CREATED, True  # a new surface: nothing was there to rebuild
    rewrite, rebuild = [], []
    if asked:
        rewrite.append("asked for")
    if state.get("schema_version") != code_schema_version():
        rewrite.append(f"the warehouse schema is now version {code_schema_version()}")
    if state.get("layout") != LAYOUT:
        rewrite.append("its files were in an older layout")
    elif not (data_dir(bi_path) / str(state.get("generation"))).is_dir():
        rewrite.append("its files were missing")
    if not bi_path.exists():
        rebuild.append("the BI file was missing")
    if state.get("bi_file") not in (None, str(bi_path)):
        rebuild.append(f"the surface was moved or copied here from {state.get('bi_file')}")
    elif state.get("views_path") not in (None, views_path):
        rebuild.append(f"its views read {state.get('views_path')}, BI tools now see the folder at {views_path}")
    if not rewrite and not rebuild and state.get("views") != views_digest():
        # A surface built before serving.json recorded its views (issue 17) holds the views its
        # schema version had; they are rebuilt once from warehouse/views/ rather than trusted.
        changed = "were not recorded" if "views" not in state else "changed"
        rebuild.append(f"its views' definitions {changed} (warehouse/views/)")
    return "; ".join(rewrite + rebuild), bool(rewrite)


def next_generation(root: Path) -> str:
    """A folder name no generation of this surface has used."""
    used = [int(p.name.removeprefix("gen-")) for p in root.glob("gen-*") if p.name.removeprefix("gen-").isdigit()]
    return f"gen-{max(used, default=0) + 1}"


def sync(
    db_path: Path,
    bi_path: Path,
    *,
    rebuild: bool = False,
    lock_timeout_s: float = 60.0,
    storage_version: str = "v1.0.0",
    mount_path: Path | str | None = None,
    visibility_delay_s: float = VISIBILITY_DELAY_S,
    wait: bool = True,
) -> SyncResult:
    """Bring the serving surface up to date with the warehouse.

    Publishes the files of every finished run the surface has no record of (the run just
    finished, or one whose publication a crash interrupted), then their records, into the
    surface's current generation folder `segments_bi/gen-N/`. When asked, after a migration or
    from an older layout, writes every run into a new generation instead (published files are
    never rewritten in place) and swaps in a BI file that reads it; when the BI file is lost or
    the surface was moved or copied (its views would read another folder), builds a new BI file
    over the same files. Only an explicit rebuild removes files (see `remove_unused`). The
    caller holds the pipeline's writer lock.

    Args:
        db_path: the private warehouse.
        bi_path: the BI file; its Parquet goes to `data_dir(bi_path)`.
        rebuild: write a new generation and BI file; remove generations before the previous one.
        lock_timeout_s: how long to wait for someone holding the warehouse by hand.
        storage_version: DuckDB storage format of the BI file (v1.0.0 opens in DuckDB 1.x).
        mount_path: the BI file's folder as BI tools see it (SEGMENT_BI_MOUNT_PATH); default: where it is.
        visibility_delay_s: how far ahead a run record is stamped (tests shorten it).
        wait: return only once readers see the runs added; else the caller waits with
            `wait_until_visible` when it needs to (a run builds its report meanwhile, and does
            not hold the warehouse while it waits).

    Returns:
        What was done, and why the BI file was rebuilt.
    """
    bi_path = bi_path.resolve()
    root = data_dir(bi_path)
    state = read_state(root)
    views_root = views_path_for(root, mount_path)
    reason, fresh = rebuild_reason(bi_path, state, views_root, asked=rebuild)
    previous = str(state["generation"]) if state.get("layout") == LAYOUT and state.get("generation") else None
    generation = next_generation(root) if fresh or previous is None else previous
    folder = root / generation
    try:
        with connect(db_path, lock_timeout_s=lock_timeout_s, storage_version=storage_version) as con:
            tables = served_tables(con)
            keyed = [t for t in tables if run_keyed(con, t)]
            write_schema_files(con, folder, tables)
            served = served_run_ids(folder)
            finished = [r for (r,) in con.execute(sql("serving/finished_runs")).fetchall()]
            pending = [r for r in finished if r not in served]
            for run_id in finished if reason else pending:  # a rebuild also puts back any file that went missing
                publish_run(con, folder, keyed, run_id)
            visible_at = publish_records(con, folder, pending, delay_s=visibility_delay_s)  # last: the commit point
            if reason:
                views_path = f"{views_root}/{generation}"
                build_bi_file(con, bi_path, folder, tables, storage_version=storage_version, views_path=views_path)
                write_state(root, bi_path, code_schema_version(), views_root, generation)
            if rebuild:
                remove_unused(root, keep={generation, previous or ""})
    except (OSError, duckdb.Error) as error:
        raise ServingError(
            f"the BI surface {bi_path} was not updated ({error}); the warehouse {db_path} is intact. "
            "BI tools still see the previous complete run; `segment serve --rebuild` repairs the surface."
        ) from error
    if reason and not rebuild and reason != CREATED:
        logger.warning("BI surface %s rebuilt: %s. Its views read %s/%s", bi_path, reason, views_root, generation)
    if pending or reason:
        logger.info("BI surface %s: %d run(s) published%s", bi_path, len(pending), " (rebuilt)" if reason else "")
    result = SyncResult(bi_path, len(pending), bool(reason), reason, visible_at)
    if wait:
        result.wait_until_visible()
    return result


def remove_unused(root: Path, *, keep: set[str]) -> None:
    """`serve --rebuild` only: remove every generation but the new one and the one it replaces (a
    BI tool holding the BI file from before this rebuild still reads that one), files of the
    layout before generations once a generation has replaced them, and leftovers of crashed
    writes. A BI tool holding a BI file from before the previous rebuild must have reconnected
    (docs/warehouse.md#the-serving-surface)."""
    for path in root.iterdir():
        if path.name in keep or path.name == STATE_FILE:
            continue
        if path.is_dir() and (path.name.startswith("gen-") or "" not in keep):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and ("" not in keep or path.name.endswith(".partial")):
            path.unlink(missing_ok=True)
