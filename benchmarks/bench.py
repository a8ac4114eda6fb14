"""End-to-end benchmark: the pipeline against the classic script on the same Mall-shaped files.

    python benchmarks/bench.py                          # 200, 100k, 1M (classic too), 10M (pipeline)
    python benchmarks/bench.py --sizes 200 100000       # a quick look
    python benchmarks/bench.py --classic-max 10000000   # the classic script at 10M as well (slow)

It generates the files (benchmarks/generate.py, seeded), starts one Prefect server (a temporary
home, 127.0.0.1) and runs every command as a process of its own, timed from outside: wall time,
and peak RSS as the kernel accounts it for that process (the pipeline's own process; the server
is another). Per size it runs the pipeline twice on one warehouse (the second run, a later
period, has a reference run to match and compare with, like every run after the first) and
reports the bytes the second run added. Quality: the k a full-data sweep chooses (the pipeline's
own scoring and rule on every row instead of its seeded sample) and the adjusted Rand index of
the pipeline's assignment against a full n_init=10 fit on every row. A bare one-task Prefect flow
against the same server is the floor a small run is compared with. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the quality child imports the project's own scoring


BARE_FLOW = (
    "from prefect import flow, task\n@task\ndef step():\n    return 1\n@flow\ndef bare():\n    return step()\nbare()\n"
)


@dataclass
class Measured:
    wall_s: float
    peak_rss_mb: float
    stdout: str
    returncode: int


@dataclass
class Row:
    rows: int
    classic: Measured | None = None
    classic_k: int | None = None
    pipeline: Measured | None = None
    pipeline_k: int | None = None
    second: Measured | None = None
    full_k: int | None = None
    ari: float | None = None
    warehouse_bytes: int | None = None
    bi_bytes: int | None = None
    notes: list[str] = field(default_factory=list)


def measure(command: list[str], *, env: dict[str, str], cwd: Path) -> Measured:
    """Run a command to completion; its wall time and its own peak RSS (wait4's rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        if process.returncode != 0:
            sys.stderr.write(err.read().decode()[-3000:])
    return Measured(wall, usage.ru_maxrss / 1024, stdout, process.returncode)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pipeline_env(api_url: str, *, drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment of a timed `segment` process: this shell's, without its SEGMENT_ and PREFECT_
    settings (and those starting with `drop`), against the Prefect server at `api_url`. As installed
    and scheduled: the project's modules compiled once, not at every start (a PYTHONDONTWRITEBYTECODE
    left in the shell would add most of a second to every run)."""
    prefixes = ("SEGMENT_", "PREFECT_", "PYTHONDONTWRITE", *drop)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return env | {"PREFECT_API_URL": api_url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PYTHONPATH": str(ROOT)}


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the Prefect server did not start")


def folder_bytes(*paths: Path) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


def features_of(source: Path) -> tuple[np.ndarray, np.ndarray]:
    """Income and spending of every row, scaled as the pipeline scales them, in file order."""
    import duckdb
    from sklearn.preprocessing import StandardScaler

    columns = duckdb.sql(
        'SELECT "Annual Income (k$)"::DOUBLE, "Spending Score (1-100)"::DOUBLE, "CustomerID"::BIGINT FROM '
        "read_csv(?, header = true)",
        params=[str(source)],
    ).fetchnumpy()
    values = list(columns.values())
    return StandardScaler().fit_transform(np.column_stack(values[:2])), values[2]


def full_sweep_k(scaled: np.ndarray) -> int:
    """The k the pipeline's own scoring and rule choose when every row is scored (no sample)."""
    import pandas as pd

    from segmentation.settings import Settings
    from tasks.select_k import choose_k, score_k_with

    settings = Settings()
    scores = [score_k_with(settings, scaled, k) for k in settings.candidate_ks]
    choice = choose_k(
        pd.DataFrame(scores), tolerance=settings.knee_silhouette_tolerance, stability_floor=settings.stability_floor
    )
    return choice.k


def full_fit_ari(scaled: np.ndarray, ids: np.ndarray, db: Path, run_id: str, k: int) -> float:
    """ARI of the pipeline's assignment against K-Means fitted from scratch on every row."""
    import duckdb
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    labels = KMeans(n_clusters=k, n_init=10, random_state=42).fit(scaled).labels_
    con = duckdb.connect(str(db), read_only=True)
    stored = con.execute(
        "SELECT segment_id FROM customer_segments WHERE run_id = ? ORDER BY CAST(customer_id AS BIGINT)", [run_id]
    ).fetchnumpy()
    con.close()
    order = np.argsort(ids)
    return float(adjusted_rand_score(labels[order], stored["segment_id"]))


def generated(rows: int, work: Path, env: dict[str, str]) -> Path:
    """The seeded file of `rows` customers, written by a process of its own.

    This process must stay small: a child starts as a copy of it before it runs its command, so
    ten million rows held here would show in every child's peak RSS."""
    target = work / f"customers_{rows}.csv"
    script = ROOT / "benchmarks" / "generate.py"
    subprocess.run(
        [sys.executable, str(script), "--rows", str(rows), "--out", str(target)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return target


def quality(source: Path, db: Path, run_id: str, k: int, env: dict[str, str]) -> tuple[int, float]:
    """The full-data k and the ARI, computed by a process of its own (see `generated`)."""
    command = [sys.executable, __file__, "--quality", str(source), str(db), run_id, str(k)]
    result = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    checks = json.loads(result.stdout)
    return checks["full_k"], checks["ari"]


def bench_size(rows: int, work: Path, env: dict[str, str], *, classic: bool, check: bool) -> Row:
    row = Row(rows)
    source = generated(rows, work, env)
    if classic:
        row.classic = measure(
            [sys.executable, str(ROOT / "benchmarks" / "classic.py"), str(source), str(work / f"classic_{rows}")],
            env=env,
            cwd=work,
        )
        row.classic_k = json.loads(row.classic.stdout)["k"] if row.classic.returncode == 0 else None
    db = work / f"segments_{rows}.duckdb"
    command = [sys.executable, "-m", "flows.cli", "run", "--source", str(source), "--db", str(db), "--json"]
    row.pipeline = measure([*command, "--period", "2026Q1"], env=env, cwd=work)
    summary = json.loads(row.pipeline.stdout)
    row.pipeline_k = summary["k"]
    bi = db.with_name(f"{db.stem}_bi.duckdb")
    places_private = (db, db.with_name(db.name + ".wal"))
    places_bi = (bi, bi.with_suffix(""))
    before = folder_bytes(*places_private), folder_bytes(*places_bi)
    row.second = measure([*command, "--period", "2026Q2"], env=env, cwd=work)
    row.warehouse_bytes = folder_bytes(*places_private) - before[0]
    row.bi_bytes = folder_bytes(*places_bi) - before[1]
    if check:
        row.full_k, row.ari = quality(source, db, summary["run_id"], row.pipeline_k, env)
    return row


def bare_flow(env: dict[str, str], work: Path, repeats: int) -> list[float]:
    script = work / "bare_flow.py"
    script.write_text(BARE_FLOW)
    return [measure([sys.executable, str(script)], env=env, cwd=work).wall_s for _ in range(repeats)]


def small_runs(source: Path, env: dict[str, str], work: Path, repeats: int) -> list[float]:
    walls = []
    for i in range(repeats):
        db = work / f"small_{source.stem}_{i}.duckdb"
        command = [
            sys.executable,
            "-m",
            "flows.cli",
            "run",
            "--source",
            str(source),
            "--db",
            str(db),
            "--period",
            "2026Q1",
        ]
        walls.append(measure(command, env=env, cwd=work).wall_s)
    return walls


def fmt(value: float | int | None, spec: str = "") -> str:
    """The value formatted, or a dash as wide as the spec's field when there is none."""
    if value is None:
        width = spec.split(".")[0]
        return "–".rjust(int(width) if width.isdigit() else 0)
    return format(value, spec)


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'customers':>11} | {'classic wall':>12} {'RSS MB':>7} | {'pipeline wall':>13} {'RSS MB':>7} | "
        f"{'ratio':>6} | {'k cl/pipe/full':>14} | {'ARI':>6} | {'2nd run':>7} | {'+warehouse MB':>13} {'+BI MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = r.classic.wall_s / r.pipeline.wall_s if r.classic and r.pipeline else None
        ks = f"{fmt(r.classic_k)}/{fmt(r.pipeline_k)}/{fmt(r.full_k)}"
        times = f"{fmt(ratio, '5.1f')}{'×' if ratio else ' '}"
        classic_wall = fmt(r.classic and r.classic.wall_s, "12.1f")
        classic_rss = fmt(r.classic and r.classic.peak_rss_mb, "7.0f")
        print(
            f"{r.rows:>11,} | {classic_wall} {classic_rss} | "
            f"{r.pipeline.wall_s:13.1f} {r.pipeline.peak_rss_mb:7.0f} | {times} | {ks:>14} | "
            f"{fmt(r.ari, '6.3f')} | {r.second.wall_s:6.1f}s | {r.warehouse_bytes / 1e6:13.1f} {r.bi_bytes / 1e6:7.1f}"
        )
    timed = [r for r in rows if r.rows >= 100_000]
    for small, big in itertools.pairwise(timed):
        print(
            f"growth {small.rows:,} -> {big.rows:,} customers ({big.rows / small.rows:.0f}x): "
            f"pipeline wall x{big.pipeline.wall_s / small.pipeline.wall_s:.1f}"
        )


def main() -> None:
    if sys.argv[1:2] == ["--quality"]:  # the child of `quality`
        source, db, run_id, k = sys.argv[2:6]
        scaled, ids = features_of(Path(source))
        full_k = full_sweep_k(scaled)
        print(json.dumps({"full_k": full_k, "ari": full_fit_ari(scaled, ids, Path(db), run_id, int(k))}))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--classic-max", type=int, default=1_000_000, help="largest size the classic script runs on")
    parser.add_argument("--quality-min", type=int, default=1_000_000, help="smallest size with the full-data checks")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the small comparisons (median quoted)")
    parser.add_argument("--work", type=Path, default=None, help="keep files here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="segment-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    server, url = start_server(work / "prefect-home")
    env = pipeline_env(url)
    packages = [str(ROOT / name) for name in ("flows", "tasks", "schemas", "warehouse")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], env=env, check=True)
    try:
        print(f"Prefect server {url}; files in {work}; {os.cpu_count()} cores\n")
        bare = bare_flow(env, work, args.repeats)
        small = generated(200, work, env)
        runs = small_runs(small, env, work, args.repeats)
        print(
            f"200 customers: segment run {statistics.median(runs):.2f} s vs a bare one-task flow "
            f"{statistics.median(bare):.2f} s (medians of {args.repeats}): "
            f"+{statistics.median(runs) - statistics.median(bare):.2f} s"
        )
        mall = ROOT.parent / "shared" / "data" / "Mall_Customers.csv"
        if mall.is_file():
            mall_runs = small_runs(mall, env, work, args.repeats)
            print(
                f"the real Mall data: segment run {statistics.median(mall_runs):.2f} s: "
                f"+{statistics.median(mall_runs) - statistics.median(bare):.2f} s over the bare flow"
            )
        print()
        rows = []
        for size in args.sizes:
            rows.append(bench_size(size, work, env, classic=size <= args.classic_max, check=size >= args.quality_min))
            print(f"  done: {size:,} customers", flush=True)
        print()
        print_table(rows)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
