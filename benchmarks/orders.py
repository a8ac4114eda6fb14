"""Orders benchmark: the pipeline on order histories against the classic pandas RFM script.

    python benchmarks/orders.py                       # 10M lines: both; 100M lines: the pipeline alone
    python benchmarks/orders.py --customers 100000    # a quick look (about a million lines)
    python benchmarks/orders.py --customers 1000000 --backfill 8   # and a backfill of 8 quarters over one read

Files come from benchmarks/generate.py (seeded, about ten lines per customer over two and a half
years). Each command is a process of its own, timed from outside with its own peak RSS (the
pipeline's process; the Prefect server is another), against one Prefect server on 127.0.0.1.
The pipeline segments 2026Q3 from the whole history (orders after the period are read and
ignored), once with its forecast (BG/NBD and Gamma-Gamma on every customer seen) and once with
SEGMENT_FORECAST=false, so the forecast's cost is a ratio of one run; with --backfill N, a backfill
of the N quarters up to 2026Q3 over the same file (read once for all of them). Prints numbers;
asserts nothing: targets are ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.bench import ROOT, measure, pipeline_env, start_server
from segmentation.periods import Period
from segmentation.settings import Settings
from warehouse.serving import data_dir


def order_file(customers: int, work: Path, env: dict[str, str]) -> tuple[Path, int]:
    """The seeded order history of `customers` customers, written by a process of its own; (path, lines)."""
    target = work / f"orders_{customers}.csv"
    if not target.exists():  # seeded: a file kept in --work from an earlier run is the same file
        command = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--orders", "--rows", str(customers)]
        subprocess.run([*command, "--out", f"{target}.part"], env=env, check=True, stdout=subprocess.DEVNULL)
        Path(f"{target}.part").replace(target)
    with target.open("rb") as handle:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1
    return target, lines


def fresh(db: Path) -> Path:
    """`db` with no warehouse or BI surface left from an earlier benchmark in --work: every run
    timed is a first run (a backfill into a filled warehouse would skip every period)."""
    bi_path = Settings(db_path=db).bi_path  # where the pipeline puts them, not a second naming rule
    for stale in (db, db.with_name(db.name + ".lock"), bi_path):
        stale.unlink(missing_ok=True)
    shutil.rmtree(data_dir(bi_path), ignore_errors=True)
    return db


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--classic-max", type=int, default=1_000_000, help="most customers the pandas script gets")
    parser.add_argument("--work", type=Path, default=None, help="keep (and reuse) files here")
    parser.add_argument("--backfill", type=int, default=0, help="also time a backfill of this many quarters")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="segment-orders-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    server, url = start_server(work / "prefect-home")
    env = pipeline_env(url)
    try:
        print(f"Prefect server {url}; files in {work}; {os.cpu_count()} cores\n")
        header = (
            f"{'order lines':>12} {'customers':>11} | {'pandas RFM wall':>15} {'RSS MB':>7} | "
            f"{'pipeline wall':>13} {'RSS MB':>7} | {'ratio':>6} | {'k':>2} | {'segmented':>10} | "
            f"{'no forecast':>11} {'RSS MB':>7} | {'forecast +':>10} {'+MB':>6} | backfill"
        )
        print(header)
        print("-" * len(header))
        for customers in args.customers:
            source, lines = order_file(customers, work, env)
            classic = None
            if customers <= args.classic_max:
                out = work / f"classic_{customers}"
                classic = measure(
                    [sys.executable, str(ROOT / "benchmarks" / "classic_rfm.py"), str(source), str(out)],
                    env=env,
                    cwd=work,
                )
            db = fresh(work / f"orders_{customers}.duckdb")
            command = [sys.executable, "-m", "flows.cli", "run", "--orders", str(source), "--db", str(db)]
            pipeline = measure([*command, "--period", "2026Q3", "--json"], env=env, cwd=work)
            summary = json.loads(pipeline.stdout) if pipeline.returncode == 0 else {}
            bare_db = fresh(work / f"orders_{customers}_bare.duckdb")
            bare = measure(
                [sys.executable, "-m", "flows.cli", "run", "--orders", str(source), "--db", str(bare_db),
                 "--period", "2026Q3"],
                env={**env, "SEGMENT_FORECAST": "false"},
                cwd=work,
            )  # fmt: skip
            backfill = "–"
            if args.backfill:
                first = Period.parse("2026Q3").shift(1 - args.backfill).label
                filled = measure(
                    [sys.executable, "-m", "flows.cli", "backfill", "--from", first, "--to", "2026Q3", "--orders",
                     str(source), "--db", str(fresh(work / f"orders_{customers}_backfill.duckdb"))],
                    env=env,
                    cwd=work,
                )  # fmt: skip
                backfill = (
                    f"{args.backfill} quarters {filled.wall_s:.1f} s ({filled.wall_s / pipeline.wall_s:.1f}× one run)"
                )
            segmented = sum(s["customers"] for s in summary.get("segments", []))
            ratio = f"{classic.wall_s / pipeline.wall_s:5.1f}×" if classic and classic.returncode == 0 else "     –"
            classic_wall = f"{classic.wall_s:15.1f} {classic.peak_rss_mb:7.0f}" if classic else f"{'–':>15} {'–':>7}"
            extra = (
                f"{100 * (pipeline.wall_s / bare.wall_s - 1):+9.0f}% {pipeline.peak_rss_mb - bare.peak_rss_mb:+6.0f}"
            )
            print(
                f"{lines:>12,} {customers:>11,} | {classic_wall} | {pipeline.wall_s:13.1f} "
                f"{pipeline.peak_rss_mb:7.0f} | {ratio} | {summary.get('k', '–'):>2} | {segmented:>10,} | "
                f"{bare.wall_s:11.1f} {bare.peak_rss_mb:7.0f} | {extra} | {backfill}",
                flush=True,
            )
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
