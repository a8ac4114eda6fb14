"""The one door to the warehouse: connections with lock retry, transactions, migrations, views.

DuckDB allows one read-write process or many read-only ones. A BI tool that holds the file
read-only makes a writer fail at once, so writers retry with backoff for a bounded time.
Pipeline runs additionally take an advisory file lock beside the database so that two runs
never interleave their writes (see `writer_lock`).
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath

import duckdb
from filelock import FileLock, Timeout

logger = logging.getLogger(__name__)

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")
_MIGRATION_NAME = re.compile(r"^(?P<version>\d{3})_(?P<name>\w+)\.sql$")
_VIEW_FILE = re.compile(r"^(?P<name>[a-z_][a-z0-9_]*)\.sql$")
_VIEW_DDL = re.compile(r"^\s*CREATE\s+OR\s+REPLACE\s+VIEW\s+(?P<name>\w+)\s+AS\s+(?P<query>.+?);?\s*$", re.I | re.S)
_SQL_COMMENT = re.compile(r"--[^\n]*")
_SQL_NAME = re.compile(r"^[a-z_]+/\w+$")
MEMORY_LIMIT = "1GB"  # per DuckDB instance; a run has at most two open at once
# While a transaction is open: DuckDB keeps a transaction's uncommitted rows in its buffers until
# COMMIT (it cannot spill them: duckdb/duckdb-r#1604), and a run publishes everything in one
# transaction. At ten million customers of an order history (their segments, features and
# forecasts) the audits inside the transaction could not pin a block at 1 GB; synthetic rows of
# twenty million held 1.36 GB at 2 GB.
TRANSACTION_MEMORY_LIMIT = "2.5GB"


class WarehouseError(Exception):
    """A problem with the warehouse file that the user can act on."""


class WarehouseLocked(WarehouseError):
    """Another process held the warehouse for longer than we were willing to wait."""


class WarehouseVersionError(WarehouseError):
    """The warehouse was written by a newer version of the pipeline."""


@cache
def sql(name: str) -> str:
    """Return the text of `warehouse/sql/<folder>/<name>.sql`, named as "folder/name".

    The folder says what a statement is (queries, writes, audits, ...: warehouse/sql/README.md).

    Raises:
        ValueError: the name is not "folder/name".
    """
    if not _SQL_NAME.match(name):
        raise ValueError(f"SQL statements are named 'folder/name' (warehouse/sql/README.md), not {name!r}")
    folder, stem = name.split("/")
    return resources.files("warehouse").joinpath("sql", folder, f"{stem}.sql").read_text(encoding="utf-8")


@cache
def migrations() -> tuple[tuple[int, str, str], ...]:
    """Return (version, name, sql) of every migration shipped with the code, in order.

    Read once per process: every connection checks the schema version against it."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match["version"]), match["name"], entry.read_text(encoding="utf-8")))
    return tuple(sorted(found))


@cache
def views() -> tuple[tuple[str, str], ...]:
    """Return (name, sql) of every BI view, one file each (`warehouse/views/<name>.sql`), each view
    after the views it reads: the order to create them in.

    Read once per process. A view reads another when the other's name appears in its SQL (header
    comments aside); names that are not views (tables) do not order anything.
    """
    found = {}
    for entry in resources.files("warehouse").joinpath("views").iterdir():
        match = _VIEW_FILE.match(entry.name)
        if match:
            found[match["name"]] = entry.read_text(encoding="utf-8")
    reads = {
        name: {other for other in found if other != name and re.search(rf"\b{other}\b", _SQL_COMMENT.sub("", text))}
        for name, text in found.items()
    }
    ordered: list[str] = []
    while len(ordered) < len(found):
        ready = sorted(name for name in found if name not in ordered and reads[name] <= set(ordered))
        if not ready:
            raise WarehouseError(f"views read each other in a cycle: {sorted(set(found) - set(ordered))}")
        ordered.extend(ready)
    return tuple((name, found[name]) for name in ordered)


def view_query(name: str, text: str) -> str:
    """The query of a view file (`warehouse/views/<name>.sql`), without its header or DDL."""
    match = _VIEW_DDL.match(_SQL_COMMENT.sub("", text))
    if match is None or match["name"] != name:
        raise WarehouseError(f"warehouse/views/{name}.sql must hold one CREATE OR REPLACE VIEW {name} AS ...")
    return match["query"]


def _stale_views(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The views of `views()` that the warehouse lacks or defines otherwise, in creation order.

    DuckDB keeps a view's SQL in its own normal form (`duckdb_views().sql`); a file's query is put
    in that form by parsing it (json_serialize_sql, no binding), so an unchanged view is left alone
    and a writer that has nothing to change writes nothing."""
    stored = dict(con.execute(sql("serving/warehouse_views")).fetchall())
    stale = []
    for name, text in views():
        query = view_query(name, text)
        normal = con.execute("SELECT json_deserialize_sql(json_serialize_sql(?))", [query]).fetchone()[0]
        if stored.get(name) != f"CREATE VIEW {name} AS {normal};":
            stale.append((name, text))
    return stale


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar (DuckDB draws one on stdout for long queries, into a command's output or a
    log), and a bounded share of memory: DuckDB takes 80 % of the machine by default, and its
    buffers come on top of the run's own Arrow and numpy data."""
    con.execute("SET enable_progress_bar = false")
    con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
    return con


def sql_string_literal(text: str) -> str:
    """`text` as a SQL string literal, quotes doubled. Only for DDL, which takes no bound parameters."""
    return "'" + text.replace("'", "''") + "'"


def utc_now() -> datetime:
    """Naive UTC timestamp, the form every TIMESTAMP column of the warehouse holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def code_schema_version() -> int:
    return migrations()[-1][0]


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK on any error: one statement string is not one transaction.
    The memory limit is TRANSACTION_MEMORY_LIMIT while it is open (uncommitted rows stay in memory),
    then the warehouse's MEMORY_LIMIT again (DuckDB reports a limit rounded, so it is not read back)."""
    con.execute("SET memory_limit = ?", [TRANSACTION_MEMORY_LIMIT])
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
    finally:
        con.execute("SET memory_limit = ?", [MEMORY_LIMIT])


def _open_with_retry(
    path: Path, *, read_only: bool, lock_timeout_s: float, config: dict[str, object]
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.1
    warned = False
    while True:
        try:
            return quiet(duckdb.connect(str(path), read_only=read_only, config=config))
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc):
                raise WarehouseError(f"cannot open warehouse {path}: {exc}") from exc
            holder = _LOCK_HOLDER.search(str(exc))
            who = f"{holder['program']} (PID {holder['pid']})" if holder else "another process"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseLocked(
                    f"warehouse {path} is held by {who} and was not released within "
                    f"{lock_timeout_s:g}s; nothing was written. This file is the pipeline's own: BI tools "
                    "read the BI surface beside it (docs/warehouse.md). Close that process, or raise "
                    "SEGMENT_LOCK_TIMEOUT_S to wait longer."
                ) from exc
            if not warned:
                logger.warning("warehouse %s is held by %s; waiting up to %gs for it", path, who, lock_timeout_s)
                warned = True
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(sql("schema/schema_migrations_exists")).fetchone()[0]
    if not exists:
        return 0
    return con.execute(sql("schema/schema_version")).fetchone()[0]


def refuse_newer_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Readers refuse a warehouse whose tables a newer pipeline may have changed."""
    version = _schema_version(con)
    if version > code_schema_version():
        raise WarehouseVersionError(
            f"warehouse {path} has schema version {version}, newer than this pipeline's "
            f"{code_schema_version()}: upgrade the pipeline to read it"
        )


def apply_migrations(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Bring the warehouse to the code's schema version, then its views to the code's
    definitions (`views()`), in one transaction; return the version.

    Migrations change tables; views are not migrated but replaced: whatever version a warehouse
    was at, it ends with the views of warehouse/views/ (an older one's views from older migrations
    included)."""
    known = migrations()
    current = _schema_version(con)
    newest = known[-1][0]
    if current > newest:
        raise WarehouseVersionError(
            f"warehouse {path} has schema version {current}, newer than this pipeline's "
            f"{newest}: upgrade the pipeline before writing to it"
        )
    pending = [m for m in known if m[0] > current]
    stale = _stale_views(con)
    if pending or stale:
        with transaction(con):
            if pending:
                con.execute(sql("schema/schema_migrations_create"))
            for version, name, text in pending:
                con.execute(text)
                con.execute(sql("schema/schema_migrations_insert"), [version, name, utc_now()])
            for _, text in stale:
                con.execute(text)
        if pending:
            logger.info("warehouse %s migrated from version %d to %d", path, current, newest)
        if stale:
            logger.info("warehouse %s: views (re)created: %s", path, ", ".join(name for name, _ in stale))
    return newest


@contextmanager
def connect(
    path: str | Path,
    *,
    read_only: bool = False,
    lock_timeout_s: float = 60.0,
    storage_version: str = "v1.0.0",
    migrate: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting for other processes' locks; writers migrate it first.

    Args:
        path: the DuckDB file.
        read_only: open shared.
        lock_timeout_s: how long to retry while another process holds the file.
        storage_version: storage format of a new file; 'v1.0.0' keeps it readable by DuckDB 1.x.
        migrate: check and apply migrations (False for files that are not the warehouse).

    Yields:
        An open connection, closed (and so checkpointed) on exit.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"warehouse {path} does not exist: run `segment run` first")
    config: dict[str, object] = {}
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["storage_compatibility_version"] = storage_version
    con = _open_with_retry(path, read_only=read_only, lock_timeout_s=lock_timeout_s, config=config)
    try:
        if migrate and read_only:
            refuse_newer_schema(con, path)
        elif migrate:
            apply_migrations(con, path)
        yield con
    finally:
        con.close()


def open_scratch(
    *, memory_limit: str = MEMORY_LIMIT, path: Path | None = None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A DuckDB for reading and typing source files: in memory, or the file `path` (an order
    history kept for every period that reads it); the caller closes it. What does not fit in
    `memory_limit` spills to the system's temporary folder (DuckDB's default, `.tmp` in the
    working directory, would litter wherever a run starts)."""
    con = quiet(duckdb.connect(str(path) if path else ":memory:", read_only=read_only))
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute("SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "segment-duckdb-spill")])
    return con


def open_order_store(path: Path, end: date, *, window_start: date | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an order history's orders (the file tasks/orders.py reads an order
    export into), with the views `customer_orders` as of `end` and `window_orders` of the window
    (window_start, end] (warehouse/sql/orders/customer_orders.sql); the caller closes it."""
    con = open_scratch(path=path, read_only=True)
    try:
        con.execute("SET VARIABLE period_end = ?", [end])
        con.execute("SET VARIABLE window_start = ?", [window_start or end])
        con.execute(sql("orders/customer_orders"))
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def scratch() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB for reading and typing source files; nothing in it is kept."""
    con = open_scratch()
    try:
        yield con
    finally:
        con.close()


SURFACE_LAYOUT = 2  # the newest BI surface layout this code reads (warehouse/serving.py)


def connect_bi(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A hardened read-only connection to the BI surface: it reads the surface's own Parquet
    folder and nothing else on disk or on the network.

    Refuses a surface built by a newer pipeline (schema version or layout), as documented in
    docs/warehouse.md. Reads the folder beside the BI file wherever the views point (a moved or
    copied folder, or one built for SEGMENT_BI_MOUNT_PATH): the folder macro is shadowed for this
    connection only.
    """
    path = Path(path).resolve()
    if not path.exists():
        raise WarehouseError(f"BI surface {path} does not exist: run `segment run` (or `segment serve`) first")
    folder = path.with_suffix("")
    try:
        con = quiet(duckdb.connect(str(path), read_only=True))
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open the BI surface {path}: {exc}".splitlines()[0]) from exc
    try:
        generation = _check_surface(con, path)
        local = sql_string_literal(str(folder / generation))
        con.execute(f"CREATE TEMP MACRO segment_bi_folder() AS {local}")
        con.execute("SET allowed_directories = ?", [[str(folder) + "/"]])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        _probe_files(con, path)
    except BaseException:
        con.close()
        raise
    return con


def _probe_files(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Bind every view that reads Parquet once, so a surface whose files are gone or damaged is one
    clear error here rather than a DuckDB traceback in the middle of a command."""
    served = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database() "
        "AND contains(sql, 'read_parquet') ORDER BY view_name"
    ).fetchall()
    for (view,) in served:
        try:
            con.execute(f'SELECT * FROM "{view}" LIMIT 0')  # noqa: S608 (names from the BI file's catalog)
        except duckdb.Error as exc:
            raise WarehouseError(
                f"BI surface {path} cannot be read: view {view}: {str(exc).splitlines()[0]}. "
                "`segment serve --rebuild` rebuilds it from the warehouse"
            ) from exc


def _check_surface(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The BI file's `serving_info` says which schema version and layout its views were built for,
    and the folder they read, whose last part is the generation; return that generation."""
    try:
        version, layout, data_path = con.execute(
            "SELECT schema_version, layout, data_path FROM serving_info"
        ).fetchone()
    except duckdb.Error as exc:
        raise WarehouseError(
            f"BI surface {path} is not one this pipeline can read (no serving_info with a layout): "
            "`segment serve --rebuild` rebuilds it"
        ) from exc
    if version > code_schema_version() or layout > SURFACE_LAYOUT:
        raise WarehouseVersionError(
            f"BI surface {path} has schema version {version} (layout {layout}), newer than this pipeline's "
            f"{code_schema_version()} (layout {SURFACE_LAYOUT}): upgrade the pipeline to read it"
        )
    return PurePosixPath(data_path).name


@contextmanager
def writer_lock(db_path: str | Path, *, wait_s: float) -> Iterator[None]:
    """Hold the pipeline's advisory lock on a warehouse: one pipeline writer at a time.

    Runs and backfills on one warehouse queue here instead of racing for DuckDB's own lock
    between their stages; the OS releases the lock if the holder dies, even by SIGKILL.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(db_path.with_name(db_path.name + ".lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning("another pipeline run is writing to %s; waiting up to %gs for it to finish", db_path, wait_s)
        try:
            lock.acquire(timeout=wait_s)
        except Timeout:
            raise WarehouseLocked(
                f"another pipeline run has been writing to {db_path} for more than {wait_s:g}s; "
                "try again when it finishes (or raise SEGMENT_WRITER_WAIT_S)"
            ) from None
    try:
        yield
    finally:
        lock.release()
