"""The `segment` command as a user meets it, in its own process: fast and single answers to
mistakes, output for people and programs, retailers' own files, paths that mean something later."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, query, run_segment, segment_cmd, subprocess_env

INCOME, SPENDING = "Annual Income (k$)", "Spending Score (1-100)"
COMMANDS = ("run", "score", "backfill", "export", "serve", "sample", "runs", "show", "report")


def timed(api_url: str, *args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    result = run_segment(api_url, *args, cwd=cwd, timeout=60)
    return result, time.monotonic() - started


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
    assert seconds < 2, f"took {seconds:.1f}s: something started before the checks"
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
    started = time.monotonic()
    result = run_segment(prefect_server, *args, "--db", "w.duckdb", cwd=workdir, timeout=60, **env)
    seconds = time.monotonic() - started
    assert result.returncode == code, result.stderr
    assert seconds < 2.5, f"took {seconds:.1f}s: something started before the checks"
    assert result.stderr.count("error: ") == 1
    assert message.replace("MALL", str(mall_csv)) in result.stderr
    assert "Usage:" not in result.stderr  # not Click's box
    assert "--raw-retention" not in result.stderr  # no option that does not exist
    assert not (workdir / "w.duckdb").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_an_unmapped_header_gets_hints(prefect_server: str, workdir: Path, mall_csv: Path) -> None:
    source = workdir / "semi.csv"
    pd.read_csv(mall_csv).rename(columns={INCOME: "Income"}).to_csv(source, index=False, sep=";")
    result = run_segment(prefect_server, "run", "--source", str(source), "--delimiter", "comma", cwd=workdir)
    assert "hint: the header looks semicolon-separated; give --delimiter semicolon" in result.stderr
    detected = run_segment(prefect_server, "run", "--source", str(source), cwd=workdir)
    assert "hint: did you mean 'Income' for 'Annual Income (k$)'? map it with --columns \"annual_income=Income\"" in (
        detected.stderr
    )


def test_hints_sit_inside_the_one_error_block(prefect_server: str, workdir: Path) -> None:
    source = _write(workdir / "h.csv", "id,sex,years,Income,score\n1,Male,19,15,39\n")
    result = run_segment(prefect_server, "run", "--source", str(source), cwd=workdir)
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
    result = run_segment(prefect_server, "run", "--source", str(bad), "--db", "w.duckdb", cwd=workdir)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("break the input contract") == 1
    assert result.stderr.rstrip().splitlines()[-1] == "  - Gender · isin(['Female', 'Male']): 1 failing: 'M' (line 2)"
    assert query(workdir / "w.duckdb", "SELECT status FROM runs")["status"].tolist() == ["failed"]
    verbose = run_segment(prefect_server, "run", "--source", str(bad), "--db", "w.duckdb", "--verbose", cwd=workdir)
    assert " | ERROR   | " in verbose.stderr  # Prefect's own lines, when asked for
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("  - Gender")


def test_json_and_piped_text_output(prefect_server: str, workdir: Path, mall_csv: Path) -> None:
    as_json = run_segment(prefect_server, "run", "--source", str(mall_csv), "--period", "2026Q1", "--json", cwd=workdir)
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stderr == ""  # a successful run prints nothing on stderr: no Prefect logs, no progress
    summary = json.loads(as_json.stdout)
    assert summary["k"] == 5
    assert [s["customers"] for s in summary["segments"]] == [81, 39, 35, 23, 22]
    assert Path(summary["model_path"]).is_file()
    text = run_segment(prefect_server, "run", "--source", str(mall_csv), "--period", "2026Q1", cwd=workdir)
    model_lines = [line for line in text.stdout.splitlines() if line.startswith("Model: ")]
    assert len(model_lines) == 1
    assert Path(model_lines[0].removeprefix("Model: ")).is_file()  # the whole path on one line
    assert max(len(line) for line in text.stdout.splitlines()) > 80  # not wrapped at 80 columns


def test_a_run_from_another_folder_keeps_its_model_beside_the_warehouse(
    prefect_server: str, workdir: Path, mall_csv: Path
) -> None:
    (workdir / "elsewhere").mkdir()
    (workdir / "data").mkdir()
    source = workdir / "data" / "mall.csv"
    source.write_bytes(mall_csv.read_bytes())
    result = run_segment(
        prefect_server,
        "run",
        "--source",
        "../data/mall.csv",
        "--db",
        "../wh/segments.duckdb",
        "--json",
        cwd=workdir / "elsewhere",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    model, page = Path(summary["model_path"]), Path(summary["report_path"])
    assert model.parent.parent == workdir / "wh" / "artifacts"
    assert page == model.parent / "report.html"  # absolute, like every path the summary names
    assert not (workdir / "elsewhere" / "artifacts").exists()
    run = query(workdir / "wh" / "segments.duckdb", "SELECT source_path, source_given FROM runs").iloc[0]
    assert (run.source_path, run.source_given) == (str(source), "../data/mall.csv")


def variants(mall: pd.DataFrame, folder: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """The Mall data as retailers export it."""
    snake = mall.rename(
        columns={
            "CustomerID": "customer_id",
            "Gender": "gender",
            "Age": "age",
            INCOME: "annual_income",
            SPENDING: "spending_score",
        }
    )
    mapped = mall.rename(columns={"CustomerID": "Customer Id", INCOME: "Income", SPENDING: "Score"})
    text_ids = mall.assign(CustomerID=[f"C-{i:05d}" for i in mall["CustomerID"]])
    files = {
        "semicolons": (folder / "semi.csv", ()),
        "snake_case": (folder / "snake.csv", ()),
        "parquet": (folder / "mall.parquet", ()),
        "mapped": (folder / "mapped.csv", ("--columns", "annual_income=Income,spending_score=Score")),
        "text ids": (folder / "text.csv", ()),
        "tabs": (folder / "tabs.tsv", ("--delimiter", "tab")),
    }
    mall.to_csv(files["semicolons"][0], index=False, sep=";")
    snake.to_csv(files["snake_case"][0], index=False)
    mall.to_parquet(files["parquet"][0])
    mapped.to_csv(files["mapped"][0], index=False)
    text_ids.to_csv(files["text ids"][0], index=False)
    mall.to_csv(files["tabs"][0], index=False, sep="\t")
    return files


def test_retailers_own_exports_give_the_same_segments(workdir: Path, mall_csv: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    runner = CliRunner()
    mall = pd.read_csv(mall_csv)
    expected = None
    for name, (path, extra) in {"original": (mall_csv, ()), **variants(mall, workdir)}.items():
        db = workdir / f"{name.replace(' ', '_')}.duckdb"
        result = runner.invoke(
            app, ["run", "--source", str(path), "--period", "2026Q1", "--db", str(db), "--json", *extra]
        )
        assert result.exit_code == 0, f"{name}: {result.output}"
        summary = json.loads(result.stdout)
        segments = query(db, "SELECT customer_id, segment_id FROM customer_segments ORDER BY customer_id")
        segments["customer_id"] = segments["customer_id"].str.removeprefix("C-").astype(int)
        segments = segments.sort_values("customer_id").reset_index(drop=True)
        if expected is None:
            expected = (summary["segments"], segments)
            continue
        assert summary["k"] == 5, name
        assert summary["segments"] == expected[0], name
        assert segments.equals(expected[1]), name
    run = query(workdir / "semicolons.duckdb", "SELECT delimiter, source_format, column_map FROM runs").iloc[0]
    assert (run.delimiter, run.source_format) == (";", "csv")
    assert (
        json.loads(query(workdir / "mapped.duckdb", "SELECT column_map FROM runs")["column_map"].item())[
            "annual_income"
        ]
        == "Income"
    )
    assert query(workdir / "parquet.duckdb", "SELECT source_format FROM runs")["source_format"].item() == "parquet"
    ids = query(workdir / "text_ids.duckdb", "SELECT customer_id, customer_id_int FROM current_segments ORDER BY 1")
    assert ids["customer_id"].iloc[0] == "C-00001"
    assert ids["customer_id_int"].isna().all()


def test_every_command_has_a_clean_help_with_an_example() -> None:
    for command in COMMANDS:
        result = subprocess.run(
            segment_cmd(command, "--help"),
            capture_output=True,
            text=True,
            env=subprocess_env("http://unused"),
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, command
        assert "Example: segment " in result.stdout, command
        assert "<bool>" not in result.stdout, command
        assert "<str>" not in result.stdout, command
    top = subprocess.run(segment_cmd("--help"), capture_output=True, text=True, timeout=30, check=False)
    for command in COMMANDS:
        assert f"  {command} " in top.stdout, command


def readme_synopsis() -> dict[str, str]:
    """README's synopsis block: command -> every line given for it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines: dict[str, str] = {}
    command = None
    for line in block.splitlines():
        if line.startswith("segment "):
            command = line.split()[1]
        if command:
            lines[command] = lines.get(command, "") + " " + line
    return lines


def test_readme_synopsis_names_every_option_of_every_command() -> None:
    import typer.main

    from flows.cli import app

    synopsis = readme_synopsis()
    assert set(synopsis) == set(COMMANDS)
    for name, command in typer.main.get_command(app).commands.items():
        for param in command.params:
            for option in (o for o in param.opts if o.startswith("--") and o != "--help"):
                assert option in synopsis[name], f"README's synopsis of `segment {name}` lacks {option}"


def test_json_keys_are_the_ones_readme_lists() -> None:
    from dataclasses import fields

    from tasks.runs import RunSummary

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = text.split("`--json` prints one JSON document with the keys", 1)[1].split(".\n", 1)[0]
    keys = re.findall(r"`(\w+)`(?! \()", listed.replace("`segments` (", "`segments`, ("))
    assert [k for k in keys if k not in ("segment_id", "name", "customers")] == [f.name for f in fields(RunSummary)]


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
