"""The serve task: brings the BI surface up to date after a run and says why it rebuilt one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import tasks.serve as serve_module
from segmentation.settings import make_settings
from tests.helpers import query
from warehouse import Warehouse, connect


def test_serve_publishes_a_new_surface_and_says_why_it_was_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Outside a flow run: Prefect's run logger is a plain logger here.
    monkeypatch.setattr(serve_module, "get_run_logger", lambda: logging.getLogger("serve-test"))
    db = tmp_path / "w.duckdb"
    with connect(db) as con:
        con.execute(
            "INSERT INTO runs (run_id, period, period_start, period_end, status, started_at, finished_at, "
            "source_path, features) VALUES ('r1', '2026Q1', DATE '2026-01-01', DATE '2026-03-31', 'succeeded', "
            "TIMESTAMP '2026-04-01 06:00', TIMESTAMP '2026-04-01 06:01', 'x.csv', 'annual_income')"
        )
    warehouse = Warehouse.of(make_settings(db_path=db))
    with caplog.at_level(logging.WARNING, logger="serve-test"):
        result = serve_module.serve.fn(warehouse)
    assert (result.bi_path, result.runs_added, result.rebuilt) == (tmp_path / "w_bi.duckdb", 1, True)
    assert result.created  # a first surface: built, with nothing to say about it
    assert [r.getMessage() for r in caplog.records if r.name == "serve-test"] == []
    result.wait_until_visible()
    assert query(result.bi_path, "SELECT run_id FROM run_history")["run_id"].tolist() == ["r1"]
    again = serve_module.serve.fn(warehouse)  # nothing new: nothing published, nothing rebuilt
    assert (again.runs_added, again.rebuilt) == (0, False)
