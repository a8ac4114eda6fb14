"""The run record's pure parts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from segmentation.errors import DataError, ValidationFailed
from segmentation.settings import make_settings
from tasks.runs import _leave_cause, _pending_causes, failure_rows, new_run_id, restated, settings_json
from warehouse import WarehouseLocked


def test_failure_rows_only_for_validation_failures() -> None:
    failures = pd.DataFrame(
        {"column_name": ["age"], "check_name": ["is a number"], "failure_case": ["x"], "source_line": [3]}
    )
    rows = failure_rows("r9", ValidationFailed("bad", failures))
    assert rows.values.tolist() == [["r9", "age", "is a number", "x", 3, None, None]]
    from_folder = failures.assign(source_file=["exports/2026-05-01.csv"], source_key=[None])
    rows = failure_rows("r9", ValidationFailed("bad", from_folder))
    assert rows.loc[0, ["source_file", "source_line"]].tolist() == ["exports/2026-05-01.csv", 3]
    assert failure_rows("r9", DataError("too few")) is None


def test_a_lock_wait_that_gave_up_mid_run_is_restated_with_its_run() -> None:
    error = WarehouseLocked("warehouse w.duckdb is held by duckdb (PID 7) ...; nothing was written.")
    restated_error = restated(error, "r1")
    assert isinstance(restated_error, WarehouseLocked)
    assert str(restated_error) == (
        "warehouse w.duckdb is held by duckdb (PID 7) ...; run r1 stopped and nothing of it was published; it is "
        "recorded as failed (by the next run, if the warehouse is still held now)."
    )
    other = DataError("too few")
    assert restated(other, "r1") is other


def test_causes_left_beside_a_locked_warehouse_are_read_once(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert _pending_causes(db) == {}
    _leave_cause(db, "r1", "first cause")
    _leave_cause(db, "r2", "second cause")
    with (tmp_path / "w.duckdb.failed-runs.jsonl").open("a") as handle:
        handle.write('{"run_id": "r3", "err')  # a line cut short by a crash is skipped
    assert _pending_causes(db) == {"r1": "first cause", "r2": "second cause"}
    assert _pending_causes(db) == {}  # removed once read


def test_run_ids_are_unique_and_settings_are_recorded_as_sorted_json() -> None:
    assert new_run_id() != new_run_id()
    recorded = json.loads(settings_json(make_settings(k_max=6)))
    assert recorded["k_max"] == 6
    assert list(recorded) == sorted(recorded)
