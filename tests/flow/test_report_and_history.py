"""What a run leaves (plots, the HTML report, segment rules, Prefect artifacts) and the commands that
read the history (runs, show, report, export).

`mall_run` is the session's first Mall run; `three_runs` adds a second period and a failed third to
it, once per session, and is copied back for each test like it (tests/helpers.py: States)."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from uuid import UUID

import pytest
from PIL import Image
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from tests.helpers import MALL_CSV, MALL_NAMES, ROOT, States, Warehouse, invoke, query

PLOTS = ("k_selection", "segment_map", "profile", "demographics")


@pytest.fixture
def db(states: States) -> Path:
    """Where `mall_run` and `three_runs` put their warehouse."""
    return states.db


def test_a_run_leaves_plots_and_a_self_contained_report(mall_run: Warehouse, db: Path) -> None:
    page = Path(mall_run.summary["report_path"])
    assert page == db.parent / "artifacts" / mall_run.summary["run_id"] / "report.html"
    for name in PLOTS:
        with Image.open(page.parent / f"{name}.png") as image:
            assert image.format == "PNG"
            assert image.width >= 500
            assert image.height >= 300
    html = page.read_text(encoding="utf-8")
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(embedded) == len(PLOTS)
    for data in embedded:
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            assert image.format == "PNG"
            assert image.width >= 500
            assert image.height >= 300
    assert not re.search(r"(src|href)=\"(?!data:)", html)  # nothing fetched: no other source or link
    assert "http://" not in html
    assert "https://" not in html
    for name in MALL_NAMES:
        assert name in html
    assert "Why k = 5" in html
    assert "2026Q1 (2026-01-01 – 2026-03-31)" in html  # dates, not midnight timestamps
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", html)  # times to the second
    assert "Scored on all 200 customers." in html
    assert "seeded sample" not in html  # nothing was sampled: 200 customers, all shown and scored
    assert "its silhouette 0.555 is the best" in html
    assert not re.search(
        r">[^<]*All 200 customers", html
    )  # the map's caption is in its PNG (and alt), not printed again
    assert "40.5%" in html
    for segment_id, colour in ((1, "#E69F00"), (4, "#D55E00")):
        assert re.search(rf'background: {colour}"[^>]*></span>{segment_id}</td>', html)


def test_segment_rules_describe_the_mall_segments_precisely(mall_run: Warehouse, db: Path) -> None:
    rules = query(db, "SELECT segment_name, rule, rule_precision, rule_recall FROM current_profiles")
    assert set(rules["segment_name"]) == MALL_NAMES
    assert rules["rule"].str.contains(r"annual income .*k\$").all()
    assert (rules["rule_precision"] >= 0.9).all(), rules
    assert (rules["rule_recall"] >= 0.9).all(), rules


def test_prefect_artifacts_belong_to_the_flow_run_and_carry_the_whole_report(mall_run: Warehouse, db: Path) -> None:
    flow_run_id = query(db, "SELECT flow_run_id FROM runs")["flow_run_id"].item()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]))
        )
    by_key = {artifact.key: artifact for artifact in artifacts}
    assert set(by_key) == {f"segment-2026q1-{name}" for name in ("summary", "report", "profiles", "k-selection")}
    assert all(artifact.task_run_id is None for artifact in artifacts)  # on the flow run's own page
    summary = by_key["segment-2026q1-summary"]
    assert summary.type == "markdown"
    assert summary.data.startswith("# 2026Q1: k=5 segments")
    assert "Why k=5" in summary.data
    assert "| 1 | Average income · Average spending | 81 | 40.5% |" in summary.data
    for name in MALL_NAMES:
        assert name in summary.data
    # No link to a page on disk (a browser refuses it from the UI): only inline images, if any.
    assert not re.search(r"\]\((?!data:image/)", summary.data)
    report = by_key["segment-2026q1-report"]  # the report's content, plots inline, readable in the UI
    assert report.type == "markdown"
    images = re.findall(r"!\[[^\]]*\]\(data:image/png;base64,([^)]+)\)", report.data)
    assert len(images) == len(PLOTS)
    with Image.open(io.BytesIO(base64.b64decode(images[0]))) as image:
        assert image.format == "PNG"
    profiles = by_key["segment-2026q1-profiles"]
    assert profiles.type == "table"
    rows = json.loads(profiles.data) if isinstance(profiles.data, str) else profiles.data
    assert list(rows[0]) == ["ID", "Segment", "Customers", "Share", "Rule precision", "Rule recall", "Rule"]
    assert {row["Segment"] for row in rows} == MALL_NAMES
    assert [row["Share"] for row in rows] == ["40.5%", "19.5%", "17.5%", "11.5%", "11.0%"]
    assert all(row["Rule"] != "–" for row in rows)
    k_rows = by_key["segment-2026q1-k-selection"].data
    k_rows = json.loads(k_rows) if isinstance(k_rows, str) else k_rows
    assert list(k_rows[0]) == ["k", "Inertia", "Silhouette", "Stability", "Chosen"]
    chosen = [row for row in k_rows if row["Chosen"] == "yes"]
    assert [row["k"] for row in chosen] == [5]
    assert chosen[0]["Silhouette"] == 0.555  # rounded to three places


def add_two_runs(db: Path) -> dict[str, str]:
    second = invoke("run", "--source", MALL_CSV, "--period", "2026Q2", "--db", db, "--json")
    assert second.exit_code == 0, second.output
    bad = db.parent / "bad.csv"
    bad.write_text(MALL_CSV.read_text().replace(",Male,", ",M,", 2))
    failed = invoke("run", "--source", bad, "--period", "2026Q3", "--db", db)
    assert failed.exit_code == 1
    runs = query(db, "SELECT period, run_id FROM runs")
    return dict(runs.values.tolist())


@pytest.fixture
def three_runs(mall_run: Warehouse, states: States) -> dict[str, str]:
    """The first Mall run (2026Q1), a second (2026Q2) and a failed one (2026Q3): period -> run_id."""
    return states.get("three runs", add_two_runs, base="first Mall run").summary


def test_runs_lists_history_with_the_current_run_marked(three_runs: dict[str, str], db: Path) -> None:
    result = invoke("runs", "--db", str(db))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "20" in line and "│" in line]
    assert [re.search(r"2026Q\d", line).group() for line in lines] == ["2026Q3", "2026Q2", "2026Q1"]
    assert "failed" in lines[0]
    assert "*" in lines[1]
    assert "succeeded" in lines[1]
    assert "0.555" in lines[1]
    assert "200" in lines[1]
    only = invoke("runs", "--db", str(db), "--period", "2026Q1", "--json")
    assert [r["period"] for r in json.loads(only.stdout)["runs"]] == ["2026Q1"]
    limited = invoke("runs", "--db", str(db), "--limit", "1", "--json")
    assert [r["status"] for r in json.loads(limited.stdout)["runs"]] == ["failed"]


def test_show_prints_segments_rules_and_why_k(three_runs: dict[str, str], db: Path) -> None:
    result = invoke("show", "2026Q2", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert f"Run {three_runs['2026Q2']}: 2026Q2, succeeded" in result.stdout
    assert "Why k=5: knee of the inertia curve at k=5" in result.stdout
    for name in MALL_NAMES:
        assert name in result.stdout
    assert "spending score" in result.stdout
    assert "Since 2026Q1: ARI 1.000, 100.0% kept their segment; 0 drift flag(s)." in result.stdout
    by_prefix = invoke("show", three_runs["2026Q1"][:8], "--db", str(db), "--json")
    assert json.loads(by_prefix.stdout)["run"]["period"] == "2026Q1"
    failed = invoke("show", "2026Q3", "--db", str(db))
    assert "2026Q3, failed, mode fit, 200 rows read." in failed.stdout
    assert "Gender · isin(['Female', 'Male']): 2 failing" in failed.stdout
    missing = invoke("show", "2019Q1", "--db", str(db))
    assert missing.exit_code == 1
    assert "no run or period '2019Q1' in this warehouse" in missing.stderr


def test_report_prints_the_path_and_rebuilds_a_missing_report(three_runs: dict[str, str], db: Path) -> None:
    result = invoke("report", "--db", str(db))
    assert result.exit_code == 0, result.output
    page = Path(result.stdout.strip())
    assert page.name == "report.html"
    assert page.parent.name == three_runs["2026Q2"]  # the current run by default
    page.unlink()
    again = invoke("report", three_runs["2026Q2"], "--db", str(db))
    assert Path(again.stdout.strip()) == page
    assert page.exists()
    failed = invoke("report", "2026Q3", "--db", str(db))
    html = Path(failed.stdout.strip()).read_text(encoding="utf-8")
    assert "Why the run failed" in html
    assert "isin([&#39;Female&#39;, &#39;Male&#39;])" in html


def test_a_report_for_a_run_without_a_stored_sample_draws_centres_only(mall_run: Warehouse, db: Path) -> None:
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("DELETE FROM customer_sample")  # as for runs made before migration 006
    con.execute("UPDATE segment_profiles SET rule = NULL, rule_precision = NULL, rule_recall = NULL")
    con.close()
    assert invoke("serve", "--rebuild", "--db", str(db)).exit_code == 0
    Path(mall_run.summary["report_path"]).unlink()
    result = invoke("report", "--db", str(db))
    assert result.exit_code == 0, result.output
    html = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert "No customer sample is stored for this run" in html
    assert len(re.findall(r"data:image/png;base64,", html)) == len(PLOTS)


def test_the_failed_runs_message_is_in_its_logs_once(three_runs: dict[str, str], db: Path) -> None:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    from flows.logs import POINTER

    flow_run_id = query(db, "SELECT flow_run_id FROM runs WHERE period = '2026Q3'")["flow_run_id"].item()
    APILogHandler().flush()  # the run's logs are sent in batches: send what is queued
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[UUID(flow_run_id)])))
    messages = [log.message for log in logs]
    assert len(messages) >= 4, messages  # (at WARNING and above, as the tests log)
    assert sum("break the input contract" in m for m in messages) == 1, messages
    assert any(m.startswith(f"run {three_runs['2026Q3']} failed: ") for m in messages)
    # Prefect's repeats keep their line and point at the run's own line instead of the message.
    assert any(m.startswith("Finished in state Failed") and POINTER in m for m in messages), messages


def test_export_writes_every_documented_view_and_nothing_on_failure(
    three_runs: dict[str, str], workdir: Path, db: Path
) -> None:
    import pyarrow.parquet as pq

    documented = re.findall(r"^\| `(\w+)` \|", (ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8"), re.M)
    views = documented[documented.index("current_run") :]  # the "Views (what BI should query)" table
    assert len(views) == 15
    result = invoke("export", "--out", str(workdir / "exports"), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in (workdir / "exports").glob("*.parquet")) == sorted(views)
    profiles = pq.read_table(workdir / "exports" / "current_profiles.parquet").to_pandas()
    assert dict(zip(profiles["segment_id"], profiles["colour"], strict=True))[4] == "#D55E00"
    failed = invoke("export", "--out", str(workdir / "nowhere"), "--db", str(workdir / "none.duckdb"))
    assert failed.exit_code == 1
    assert not (workdir / "nowhere").exists()  # no empty folder left behind


def test_score_checks_its_model_before_prefect_starts(three_runs: dict[str, str], mall_csv: Path, db: Path) -> None:
    unknown = invoke("score", "--period", "2026-10", "--source", str(mall_csv), "--db", str(db), "--model-run", "nope")
    assert unknown.exit_code == 1
    assert "run nope is not a succeeded fitted run of this warehouse" in unknown.stderr
    assert query(db, "SELECT count(*) AS n FROM runs WHERE period = '2026-10'")["n"].item() == 0  # no run started
