"""The run record: one row in `runs` per run, written when it starts and when it ends."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pandas as pd
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from segmentation.csvfile import shown
from segmentation.errors import FAILURE_RECORD, ValidationFailed
from segmentation.periods import Period
from segmentation.postgres import is_postgres_url, masked
from segmentation.settings import Settings
from warehouse import Warehouse, queries, sql
from warehouse.connection import WarehouseError, WarehouseLocked, utc_now

ABANDONED = (
    "abandoned: the run stopped before finishing (killed, or its machine went down); nothing it computed was published"
)


def settings_json(settings: Settings) -> str:
    return json.dumps(settings.model_dump(mode="json"), sort_keys=True)


def _source_names(source: str) -> tuple[str, str]:
    """(source_path, source_given): a file's absolute path and the path as given, any bytes Linux
    allows in a name as text; a PostgreSQL URL, its password masked, twice."""
    if is_postgres_url(source):
        return masked(source), masked(source)
    return shown(Path(source).resolve()), shown(source)


def new_run_id() -> str:
    return str(uuid.uuid4())


@task(cache_policy=NO_CACHE)
def find_succeeded_run(warehouse: Warehouse, period: Period) -> str | None:
    """The newest succeeded run of a period, if any."""
    if not warehouse.exists:
        return None
    with warehouse.write() as con:  # a writer, like every stage: an older warehouse is migrated first
        return queries.succeeded_run(con, period.label)


@task(cache_policy=NO_CACHE)
def start_run(settings: Settings, warehouse: Warehouse, period: Period, source: str, flow_run_id: str | None) -> str:
    """Close runs abandoned by a crash, then record this run as running; return its run_id."""
    run_id = new_run_id()
    now = utc_now()
    with warehouse.transaction() as con:  # the first to open it: makes a new warehouse
        # The caller holds the writer lock, so any other 'running' row is a dead run.
        abandoned = con.execute(sql("writes/mark_abandoned_runs"), [now, ABANDONED]).fetchall()
        # ... unless it failed while the warehouse was locked and left its cause beside it.
        causes = _pending_causes(warehouse.path)
        for old, message in causes.items():
            con.execute(sql("writes/mark_run_failed"), [now, message, old])
        con.execute(
            sql("writes/insert_run"),
            [
                run_id,
                period.label,
                period.start,
                period.end,
                now,
                *_source_names(source),
                ",".join(settings.features),
                settings_json(settings),
                flow_run_id,
            ],
        )
    logger = get_run_logger()
    for (old,) in abandoned:
        logger.warning("run %s was abandoned by a crash; marked failed", old)
    logger.info("run %s started for period %s", run_id, period)
    return run_id


def failure_rows(run_id: str, error: BaseException) -> pd.DataFrame | None:
    """validation_failures rows for an error, if it carries any."""
    if not isinstance(error, ValidationFailed):
        return None
    failures = error.failures.assign(run_id=run_id)
    for column in ("source_file", "source_key"):  # a folder's file, a table's key; absent for other sources
        if column not in failures:
            failures[column] = None
    return failures.astype(
        {"failure_case": "object", "source_line": "Int64", "source_file": "object", "source_key": "object"}
    )[["run_id", "column_name", "check_name", "failure_case", "source_line", "source_file", "source_key"]]


@task(cache_policy=NO_CACHE)
def record_failure(warehouse: Warehouse, run_id: str, error: BaseException) -> str:
    """Mark the run failed with its error (and validation failures) in one transaction; return
    the message recorded."""
    message = str(restated(error, run_id)) or type(error).__name__
    failures = failure_rows(run_id, error)
    try:
        with warehouse.transaction() as con:
            if failures is not None:
                con.register("failures_df", failures)
                con.execute(sql("writes/insert_validation_failures"))
                con.unregister("failures_df")
            con.execute(sql("writes/mark_run_failed"), [utc_now(), message, run_id])
    except WarehouseError as locked:  # still held: the next run records the cause, not "killed"
        _leave_cause(warehouse.path, run_id, f"{message} (recorded by the next run: {str(locked).split(';')[0]})")
    get_run_logger().error("run %s failed: %s", run_id, message, extra={FAILURE_RECORD: True})
    return message


def restated(error: BaseException, run_id: str) -> BaseException:
    """The error as the user should read it once the run has a row: a lock wait that gave up
    mid-run did leave a record (its failed run), though nothing of it was published."""
    if isinstance(error, WarehouseLocked) and "nothing was written" in str(error):
        text = str(error).replace(
            "nothing was written",
            f"run {run_id} stopped and nothing of it was published; it is recorded as failed (by the next run, "
            "if the warehouse is still held now)",
        )
        return WarehouseLocked(text)
    return error


def _causes_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".failed-runs.jsonl")


def _leave_cause(db_path: Path, run_id: str, message: str) -> None:
    with _causes_path(db_path).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"run_id": run_id, "error": message}) + "\n")


def _pending_causes(db_path: Path) -> dict[str, str]:
    """Causes left by runs that failed while the warehouse was locked; read once, then removed."""
    path = _causes_path(db_path)
    if not path.exists():
        return {}
    causes = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            causes[entry["run_id"]] = entry["error"]
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a crash: that run stays 'abandoned'
    path.unlink()
    return causes
