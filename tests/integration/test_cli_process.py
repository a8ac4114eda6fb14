"""The `segment` command as a user meets it, in its own process: fast and single answers to
mistakes, one error last on stderr, output for people and programs, the console script."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from segmentation.sample import generate_customers
from tests.helpers import cli_error, free_port, query, run_process, segment_cmd, subprocess_env, write_period_files


def age_forty(path: Path) -> Path:
    """40 customers, the fifth with Age 'forty' (line 6)."""
    frame = generate_customers(40, seed=7).astype(object)
    frame.loc[4, "Age"] = "forty"
    frame.to_csv(path, index=False)
    return path


INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"


def timed(api_url: str, *args: str, cwd: Path, **env: str) -> tuple[subprocess.CompletedProcess, float]:
    """`segment ARGS` as a process, and the CPU seconds it used.

    CPU, not the clock: on a machine busy with other tests a process waits for a core, and what
    these tests ask is that it did no more work than reading its arguments and its input (starting
    Prefect, or importing the flow, costs several CPU seconds). The children this process has not
    waited for yet (the session's Prefect server) are not counted.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_process(api_url, *args, cwd=cwd, timeout=60, **env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (lambda d: d / "nope.csv", (), "nope.csv: no such file"),
        (lambda d: d, (), "is a folder, not a file; name the CSV or Parquet file inside it"),
        (
            lambda d: _write(d / "h.csv", "id,sex,years,money,score\n1,Male,19,15,39\n"),
            (),
            "missing required column(s) ['CustomerID', 'Gender', 'Age', 'Annual Income (k$)', "
            "'Spending Score (1-100)']",
        ),
        (lambda d: _write(d / "ok.csv", "CustomerID\n"), ("--k", "1"), "--k / SEGMENT_K: Input should be"),
        (lambda d: _write(d / "ok.csv", "CustomerID\n"), ("--period", "2026Q5"), "period '2026Q5' is neither"),
    ],
    ids=["missing file", "a folder", "unmapped header", "bad k", "bad period"],
)
def test_mistakes_are_answered_at_once_with_one_error_last_on_stderr(
    prefect_server: str, workdir: Path, make, args: tuple[str, ...], message: str
) -> None:
    source = make(workdir)
    result, seconds = timed(prefect_server, "run", "--source", str(source), "--db", "w.duckdb", *args, cwd=workdir)
    assert result.returncode == 1
    assert seconds < 2, f"used {seconds:.1f} CPU s: something started before the checks"
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("error: ") == 1  # said once ...
    assert message in result.stderr  # ... with what and where ...
    assert result.stderr.rstrip().splitlines()[-1].startswith(("error: ", "  hint: "))  # ... and last
    assert " | INFO " not in result.stderr
    assert " | ERROR " not in result.stderr
    assert not (workdir / "w.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (("run", "--bogus"), {}, 2, "error: No such option: --bogus"),
        (("run",), {"SEGMENT_RAW_RETENTION": "bogus"}, 1, "error: invalid option: SEGMENT_RAW_RETENTION: Input should"),
        (("run", "--k", "300", "--source", "MALL"), {}, 1, "--k 300: MALL has at most 200 customer row(s)"),
        (("score", "--period", "2026-05", "--source", "MALL"), {}, 1, "no fitted run to score with"),
    ],
    ids=["unknown option", "bad setting variable", "k above the customers", "score without a warehouse"],
)
def test_pre_run_mistakes_get_one_error_line_before_prefect_starts(
    prefect_server: str,
    workdir: Path,
    mall_csv: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    code: int,
    message: str,
) -> None:
    args = tuple(str(mall_csv) if a == "MALL" else a for a in args)
    result, seconds = timed(prefect_server, *args, "--db", "w.duckdb", cwd=workdir, **env)
    assert result.returncode == code, result.stderr
    assert seconds < 2.5, f"used {seconds:.1f} CPU s: something started before the checks"
    assert result.stderr.count("error: ") == 1
    assert message.replace("MALL", str(mall_csv.resolve())) in result.stderr  # the command names the file it read
    assert "Usage:" not in result.stderr  # not Click's box
    assert "--raw-retention" not in result.stderr  # no option that does not exist
    assert not (workdir / "w.duckdb").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_an_unmapped_header_gets_hints(prefect_server: str, workdir: Path, mall_csv: Path) -> None:
    source = workdir / "semi.csv"
    pd.read_csv(mall_csv).rename(columns={INCOME: "Income"}).to_csv(source, index=False, sep=";")
    result = run_process(prefect_server, "run", "--source", str(source), "--delimiter", "comma", cwd=workdir)
    assert "hint: the header looks semicolon-separated; give --delimiter semicolon" in result.stderr
    detected = run_process(prefect_server, "run", "--source", str(source), cwd=workdir)
    assert "hint: did you mean 'Income' for 'Annual Income (k$)'? map it with --columns \"annual_income=Income\"" in (
        detected.stderr
    )


def test_hints_sit_inside_the_one_error_block(prefect_server: str, workdir: Path) -> None:
    source = _write(workdir / "h.csv", "id,sex,years,Income,score\n1,Male,19,15,39\n")
    result = run_process(prefect_server, "run", "--source", str(source), cwd=workdir)
    lines = result.stderr.rstrip().splitlines()
    assert lines[0].startswith("error: ")
    assert len(lines) > 1
    assert all(line.startswith("  ") for line in lines[1:])  # every hint indented under the error
    assert any(line.startswith("  hint: ") for line in lines[1:])


def test_a_failing_run_says_it_once_and_last_and_prefect_stays_quiet(
    prefect_server: str, workdir: Path, mall_csv: Path
) -> None:
    bad = workdir / "bad.csv"
    bad.write_text(mall_csv.read_text().replace(",Male,", ",M,", 1))
    result = run_process(prefect_server, "run", "--source", str(bad), "--db", "w.duckdb", cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("break the input contract") == 1
    assert result.stderr.rstrip().splitlines()[-1] == "  - Gender · isin(['Female', 'Male']): 1 failing: 'M' (line 2)"
    assert query(workdir / "w.duckdb", "SELECT status FROM runs")["status"].tolist() == ["failed"]
    verbose = run_process(prefect_server, "run", "--source", str(bad), "--db", "w.duckdb", "--verbose", cwd=workdir)
    assert " | ERROR   | " in verbose.stderr  # Prefect's own lines, when asked for
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("  - Gender")


def test_json_and_piped_text_output(prefect_server: str, workdir: Path, mall_csv: Path) -> None:
    as_json = run_process(prefect_server, "run", "--source", str(mall_csv), "--period", "2026Q1", "--json", cwd=workdir)
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stderr == ""  # a successful run prints nothing on stderr: no Prefect logs, no progress
    summary = json.loads(as_json.stdout)
    assert summary["k"] == 5
    assert [s["customers"] for s in summary["segments"]] == [81, 39, 35, 23, 22]
    assert Path(summary["model_path"]).is_file()
    text = run_process(prefect_server, "run", "--source", str(mall_csv), "--period", "2026Q1", cwd=workdir)
    assert "k=5" in text.stdout
    assert "High income · Low spending" in text.stdout
    # The BI file on a line of its own (default warehouse: segments.duckdb in the working folder).
    assert f"BI tools read: {(workdir / 'segments_bi.duckdb').resolve()}" in text.stdout.splitlines()
    model_lines = [line for line in text.stdout.splitlines() if line.startswith("Model: ")]
    assert len(model_lines) == 1
    assert Path(model_lines[0].removeprefix("Model: ")).is_file()  # the whole path on one line
    assert max(len(line) for line in text.stdout.splitlines()) > 80  # not wrapped at 80 columns


def test_the_console_script_is_the_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "sample", "--out", str(tmp_path / "s.csv"), "--rows", "10"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 11


def test_real_command_prints_no_traceback(prefect_server: str, workdir: Path, db: Path) -> None:
    """As a user sees it: a separate process with Prefect's own console logging."""
    source = age_forty(workdir / "c.csv")
    result = run_process(prefect_server, "run", "--source", str(source), "--db", str(db), cwd=workdir)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert cli_error(result.stderr).startswith(f"error: {source}: 1 value(s) in 1 row(s) break the input contract")
    assert "Age · is a whole number: 1 failing: 'forty' (line 6)" in result.stderr


def test_without_a_server_the_error_is_the_last_thing_on_stderr(workdir: Path, db: Path) -> None:
    """No PREFECT_API_URL: Prefect starts a temporary server and stops it at exit, and its log
    sender complained after our error ('--- Error logging to API ---') in 7 runs of 9."""
    source = age_forty(workdir / "c.csv")
    env = {k: v for k, v in subprocess_env("").items() if k != "PREFECT_API_URL"}
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"
    result = subprocess.run(
        segment_cmd("run", "--source", str(source), "--period", "2026Q1", "--db", str(db)),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stderr
    assert "Error logging to API" not in result.stderr
    assert "Traceback" not in result.stderr
    error = cli_error(result.stderr)
    assert error.startswith(f"error: {source}: 1 value(s) in 1 row(s) break the input contract")
    assert result.stderr.rstrip().endswith("Age · is a whole number: 1 failing: 'forty' (line 6)")


def test_a_backfill_whose_prefect_api_does_not_answer_says_so_in_one_line(workdir: Path, db: Path) -> None:
    """PREFECT_API_URL names a port where nothing listens: one `error:` line, no traceback."""
    source = write_period_files(workdir)
    result = run_process(
        f"http://127.0.0.1:{free_port()}/api",
        "backfill",
        "--from",
        "2025Q1",
        "--to",
        "2025Q2",
        "--source",
        source,
        "--db",
        str(db),
        cwd=workdir,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    error = cli_error(result.stderr)
    assert error.startswith("error: Prefect's API did not answer, so the backfill stopped;"), error
    assert "running the same backfill again skips them" in error
