"""What the command line prints: the --json document and the text of a run, of runs, of a backfill."""

from __future__ import annotations

import io
import json
import re
from dataclasses import fields
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from flows.cli import output
from segmentation.results import RunSummary


def console() -> tuple[Console, io.StringIO]:
    text = io.StringIO()
    return Console(file=text, soft_wrap=True, width=10_000, highlight=False, color_system=None), text


def cells(renderable: Any) -> list[list[str]]:
    """A printed table's rows (heading first), each a list of its cells' text."""
    out, text = console()
    out.print(renderable)
    rows = [re.split("[│┃]", line)[1:-1] for line in text.getvalue().splitlines()]
    return [[cell.strip() for cell in row] for row in rows if row]


SUMMARY = RunSummary(
    run_id="r1",
    period="2026Q1",
    status="succeeded",
    k=2,
    k_reason="the knee",
    silhouette=0.51234,
    segments=[(1, "Big spenders", 40), (2, "Others", 160)],
    db_path="/w.duckdb",
    bi_path="/w_bi.duckdb",
    model_path="/a/r1/model.joblib",
)


def test_the_json_document_has_every_summary_field_and_named_segments() -> None:
    document = output.summary_document(SUMMARY)
    assert list(document) == [f.name for f in fields(RunSummary)]
    assert document["segments"] == [
        {"segment_id": 1, "name": "Big spenders", "customers": 40},
        {"segment_id": 2, "name": "Others", "customers": 160},
    ]


def test_print_json_writes_one_indented_document(capsys: pytest.CaptureFixture[str]) -> None:
    output.print_json({"when": datetime(2026, 1, 2, 3, 4), "name": "Café"})
    written = capsys.readouterr().out
    assert written.endswith("}\n")
    assert "Café" in written  # not \u00e9
    assert json.loads(written) == {"when": "2026-01-02 03:04:00", "name": "Café"}


def test_a_first_run_prints_its_k_segments_and_files() -> None:
    out, text = console()
    output.print_summary(SUMMARY, out)
    printed = text.getvalue()
    assert printed.startswith("Run r1 segmented 2026Q1 into k=2 segments (silhouette 0.512).\nWhy k=2: the knee\n")
    assert "│ 1       │ Big spenders │ 40        │" in printed
    assert printed.endswith(
        "BI tools read: /w_bi.duckdb\nWarehouse (pipeline only): /w.duckdb\nModel: /a/r1/model.joblib\n"
        "Report: not written (see the run in the Prefect UI)\n"
        "Next: `segment show --db /w.duckdb` (segments, rules, outlook), `segment report --open --db /w.duckdb` "
        "(the report).\n"
    )
    assert "Since" not in printed
    assert "rebuilt" not in printed


def test_a_later_score_says_what_changed_and_why_the_surface_was_rebuilt() -> None:
    later = RunSummary(
        **{
            **SUMMARY.__dict__,
            "mode": "score",
            "compared_with": "r0",
            "compared_period": "2025Q4",
            "ari_vs_reference": 0.9,
            "kept_share": 0.875,
            "drift": ["segment 2 grew 40%"],
            "bi_rebuilt": "moved",
            "report_path": "/a/r1/report.html",
        }
    )
    out, text = console()
    output.print_summary(later, out)
    printed = text.getvalue()
    assert printed.startswith("Run r1 scored 2026Q1")
    assert (
        "Since 2025Q4 (run r0): ARI 0.900, 87.5% of the customers in both kept their segment; 1 drift flag(s).\n"
        "  drift: segment 2 grew 40%\n" in printed
    )
    assert "  (rebuilt: moved)\n" in printed
    assert "Report: /a/r1/report.html\nNext: `segment show" in printed


def test_continued_ids_without_a_comparison_say_whose_they_are() -> None:
    out, text = console()
    output.print_summary(RunSummary(**{**SUMMARY.__dict__, "reference_run_id": "r0"}), out)
    assert "Segment IDs continue those of run r0.\n" in text.getvalue()


RUN = {
    "run_id": "r1",
    "period": "2026Q1",
    "status": "succeeded",
    "mode": None,
    "k": 3,
    "silhouette": 0.4567,
    "n_rows": 1200,
    "n_customers": 300,
    "finished_at": datetime(2026, 4, 1, 6, 5),
    "is_current": True,
}


def test_the_run_history_marks_the_current_run_and_leaves_unknowns_blank() -> None:
    failed = {**RUN, "run_id": "r0", "status": "failed", "k": None, "silhouette": None, "n_customers": None,
              "finished_at": None, "is_current": False, "mode": "score"}  # fmt: skip
    assert cells(output.runs_table([RUN, failed])) == [
        ["", "period", "status", "mode", "k", "silhouette", "customers", "finished (UTC)", "run_id"],
        ["*", "2026Q1", "succeeded", "fit", "3", "0.457", "300", "2026-04-01 06:05", "r1"],
        ["", "2026Q1", "failed", "score", "", "", "", "", "r0"],
    ]


@pytest.mark.parametrize(
    ("run", "headline"),
    [
        (RUN, "Run r1: 2026Q1, succeeded, mode fit, 300 customers."),
        ({**RUN, "n_customers": float("nan")}, "Run r1: 2026Q1, succeeded, mode fit, 1,200 customers."),
        (
            {**RUN, "source_kind": "orders"},
            "Run r1: 2026Q1, succeeded, mode fit, 300 customers from 1,200 order lines.",
        ),
        ({**RUN, "status": "failed", "n_rows": None}, "Run r1: 2026Q1, failed, mode fit, rows read unknown."),
        ({**RUN, "status": "failed", "mode": "score"}, "Run r1: 2026Q1, failed, mode score, 1,200 rows read."),
    ],
    ids=["customers", "before migration 008", "orders", "failed early", "failed"],
)
def test_show_headline(run: dict[str, Any], headline: str) -> None:
    assert output.run_headline(run) == headline


def test_show_of_a_failed_run_is_its_error() -> None:
    out, text = console()
    output.print_run({**RUN, "status": "failed", "error": "bad rows"}, profiles=[], k_table=[], drift=[], console=out)
    assert text.getvalue() == "Run r1: 2026Q1, failed, mode fit, 1,200 rows read.\nError: bad rows\n"


def test_show_of_a_succeeded_run() -> None:
    run = {**RUN, "k_reason": "the knee", "ari_vs_reference": 0.8, "reference_period": "2025Q4", "kept_share": 0.9}
    profile = {"segment_id": 1, "segment_name": "Loyal", "n_customers": 1200, "share": 0.25, "rule": "frequency > 5",
               "rule_precision": 0.91, "rule_recall": None}  # fmt: skip
    candidate = {"k": 3, "inertia": 12.34, "silhouette": None, "stability": 0.876, "chosen": True}
    out, text = console()
    output.print_run(run, profiles=[profile], k_table=[candidate], drift=["Loyal shrank"], console=out)
    printed = text.getvalue()
    assert "│ 1       │ Loyal │ 1,200     │ 25.0% │ frequency > 5 │ 0.91      │        │" in printed
    assert "│ 3 │ 12.3    │            │ 0.88      │ yes    │" in printed
    assert printed.endswith(
        "Since 2025Q4: ARI 0.800, 90.0% kept their segment; 1 drift flag(s).\n  drift: Loyal shrank\n"
    )


def test_show_without_candidates_or_a_reference_prints_neither() -> None:
    run = {**RUN, "k_reason": "pinned", "ari_vs_reference": None}
    out, text = console()
    output.print_run(run, profiles=[], k_table=[], drift=[], console=out)
    assert "inertia" not in text.getvalue()
    assert "Since" not in text.getvalue()


def test_the_backfill_table_names_the_runs_or_the_flow_runs() -> None:
    outcomes = [
        SimpleNamespace(period="2025Q1", outcome="succeeded", k=3, run_id="r1"),
        SimpleNamespace(period="2025Q2", outcome="skipped", k=None, run_id=None),
    ]
    assert cells(output.backfill_table(outcomes, deployment=False)) == [
        ["period", "outcome", "k", "run_id"],
        ["2025Q1", "succeeded", "3", "r1"],
        ["2025Q2", "skipped", "", ""],
    ]
    assert cells(output.backfill_table(outcomes, deployment=True))[0][-1] == "flow_run_id"


def test_an_order_history_run_says_what_it_expects_and_when_its_data_ends_early() -> None:
    outlook = RunSummary(
        **{
            **SUMMARY.__dict__,
            "forecast": "BG/NBD and Gamma-Gamma",
            "expected_orders": 1035.2,
            "expected_value_12m": 396013.1,
            "customers_at_risk": 4,
            "data_ends": "2011-12-09",
        }
    )
    out, text = console()
    output.print_summary(outlook, out)
    printed = text.getvalue()
    assert (
        "Looking forward (BG/NBD and Gamma-Gamma): 1,035 orders expected in the next period, worth 396,013 over "
        "the next 12 months; 4 valuable customer(s) at risk." in printed
    )
    assert "warning: the order history ends on 2011-12-09, before the period's end" in printed
