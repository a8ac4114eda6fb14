"""Stress the BI surface: publish at a high rate while reader processes query it in a tight loop.

    python benchmarks/serving_stress.py                     # 5 minutes, 4 readers (+ DuckDB 1.1.3 if present)
    python benchmarks/serving_stress.py --seconds 60 --readers 2
    python benchmarks/serving_stress.py --publications 15   # until 15 publications (the test's shape)

One real run makes a template (the bundled sample, through `segment run`); a publisher process
then clones it into new runs in the warehouse (later periods, reruns of the latest, backfills of
older ones, failed runs) and publishes each through the real `warehouse.serving.sync` under the
writer lock. Reader processes hold a read-only connection to the BI file, as BI tools do (one
reconnects for every round), and run the dashboard queries of docs/warehouse.md and consistency
checks, each check one query across views: every succeeded run in `run_history` has its rows,
`current_run` has its rows in `current_segments` and nothing else is there, exactly one run is
current, no run seen ever disappears. A reader with DuckDB 1.1.3 joins when `.old-duckdb/` holds
it (`.ci/run` installs it there). Prints query, error and anomaly counts; tests/integration/test_serving_stress.py
runs it for fifteen publications (three of each kind) and asserts 0 and 0. The readers stop once the
publisher has stopped, so every publication happens while all of them read.

The reader half imports nothing of the project, so it runs under an old DuckDB as a BI driver would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_DUCKDB = ROOT / ".old-duckdb"  # `pip install --target .old-duckdb duckdb==1.1.3` (.ci/run does it)

DASHBOARD = [  # docs/warehouse.md, "Example queries"
    "SELECT segment_id, segment_name, n_customers, round(100 * share, 1) AS pct FROM current_profiles "
    "ORDER BY segment_id",
    "SELECT period, segment_name FROM period_segments WHERE customer_id = '42' ORDER BY period",
    "SELECT from_name, to_name, n_customers, round(100 * share_of_from, 1) AS pct FROM current_transitions",
    "SELECT reason FROM current_drift_flags",
    "SELECT period, segment_name, n_customers FROM segment_history WHERE segment_id = 2 ORDER BY period_start",
    "SELECT period, status, error FROM run_history WHERE status = 'failed' LIMIT 5",
    "SELECT k, inertia, silhouette, chosen FROM k_selection WHERE run_id = (SELECT run_id FROM current_run) ORDER BY k",
    "SELECT segment_name, count(*) FROM current_segments GROUP BY 1",
    "SELECT * FROM segment_dimension",
]
# Each check is one query; it returns (what, bad) rows, bad > 0 being an anomaly.
CHECKS = [
    # every succeeded run in run_history has its rows
    "SELECT 'succeeded run without segments', count(*) FROM run_history h WHERE h.status = 'succeeded' "
    "AND NOT EXISTS (SELECT 1 FROM customer_segments s WHERE s.run_id = h.run_id)",
    "SELECT 'succeeded run without profiles', count(*) FROM run_history h WHERE h.status = 'succeeded' "
    "AND NOT EXISTS (SELECT 1 FROM segment_profiles p WHERE p.run_id = h.run_id)",
    # current_run has its rows in current_segments, and only those
    "SELECT 'current run without its segments', count(*) FROM current_run r "
    "WHERE NOT EXISTS (SELECT 1 FROM current_segments s WHERE s.run_id = r.run_id)",
    "SELECT 'segments of another run', count(*) FROM current_segments "
    "WHERE run_id IS DISTINCT FROM (SELECT run_id FROM current_run)",
    "SELECT 'current profiles do not add up', count(*) FROM current_run "
    "WHERE (SELECT sum(n_customers) FROM current_profiles) IS DISTINCT FROM "
    "(SELECT count(*) FROM current_segments)",
    "SELECT 'is_current on other than one run', count(*) FROM "
    "(SELECT count(*) FILTER (WHERE is_current) AS n FROM run_history) WHERE n <> 1",
]


def read(bi_path: str, stop_file: str, reconnect: bool) -> dict[str, object]:
    """One reader process: queries until `stop_file` exists, counts, never raises."""
    import duckdb

    queries = errors = anomalies = 0
    examples: list[str] = []
    seen_runs = 0
    con = None
    stop = Path(stop_file)
    while not stop.exists():
        try:
            if con is None:
                con = duckdb.connect(bi_path, read_only=True)
            for statement in DASHBOARD:
                con.execute(statement).fetchall()
                queries += 1
            for statement in CHECKS:
                what, bad = con.execute(statement).fetchone()
                queries += 1
                if bad:
                    anomalies += 1
                    examples.append(f"{what}: {bad}")
            (runs,) = con.execute("SELECT count(*) FROM run_history").fetchone()
            queries += 1
            if runs < seen_runs:
                anomalies += 1
                examples.append(f"runs went from {seen_runs} to {runs}")
            seen_runs = max(seen_runs, runs)
        except duckdb.Error as error:
            errors += 1
            examples.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
        if reconnect and con is not None:
            con.close()
            con = None
    if con is not None:
        con.close()
    return {
        "duckdb": duckdb.__version__,
        "queries": queries,
        "errors": errors,
        "anomalies": anomalies,
        "runs_seen": seen_runs,
        "examples": examples[:5],
    }


def clone_run(db_path: Path, template: str, kind: str, n: int) -> None:
    """Add a finished run to the warehouse, copied from `template`: a later period ('later'), a rerun
    of the latest period ('rerun'), an older period ('backfill') or a failed run ('failed')."""
    import uuid

    from warehouse import connect, transaction
    from warehouse.connection import utc_now

    with connect(db_path) as con:
        latest = con.execute("SELECT max(period_start) FROM runs WHERE status = 'succeeded'").fetchone()[0]
        year, quarter = latest.year, (latest.month - 1) // 3 + 1
        if kind in ("later", "failed"):
            year, quarter = (year, quarter + 1) if quarter < 4 else (year + 1, 1)
        elif kind == "backfill":
            year, quarter = 1900 + n // 4, n % 4 + 1
        period = f"{year}Q{quarter}"
        start = f"{year}-{3 * quarter - 2:02d}-01"
        run_id, now = str(uuid.uuid4()), utc_now()
        keyed = [
            t
            for (t,) in con.execute(
                "SELECT DISTINCT table_name FROM information_schema.columns WHERE column_name = 'run_id' "
                "AND table_name NOT IN ('runs', 'raw_customers') AND table_schema = 'main' "
                "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE')"
            ).fetchall()
        ]
        with transaction(con):
            con.execute(
                "INSERT INTO runs SELECT * REPLACE (? AS run_id, ? AS period, CAST(? AS DATE) AS period_start, "
                "CAST(CAST(? AS DATE) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) AS period_end, "
                "? AS started_at, ? AS finished_at, ? AS status, ? AS error) FROM runs WHERE run_id = ?",
                [
                    run_id,
                    period,
                    start,
                    start,
                    now,
                    now,
                    "failed" if kind == "failed" else "succeeded",
                    "stress: failed on purpose" if kind == "failed" else None,
                    template,
                ],
            )
            if kind == "failed":
                return
            for table in keyed:
                has_period = con.execute(
                    "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = 'period'",
                    [table],
                ).fetchone()[0]
                replace = "? AS run_id, ? AS period" if has_period else "? AS run_id"
                params = [run_id, period] if has_period else [run_id]
                con.execute(
                    f'INSERT INTO "{table}" SELECT * REPLACE ({replace}) FROM "{table}" WHERE run_id = ?',  # noqa: S608
                    [*params, template],
                )


def publish(db_path: str, bi_path: str, until: float, delay_s: float, publications: int) -> dict[str, object]:
    """The publisher process: clone a run, publish it through the real sync, until `until` (a
    time.time()) or until `publications` are done (0: no such limit)."""
    from warehouse import connect, writer_lock
    from warehouse.serving import sync

    db, bi = Path(db_path), Path(bi_path)
    with connect(db, read_only=True) as con:
        template = con.execute("SELECT run_id FROM current_run").fetchone()[0]
    kinds = ["later", "later", "rerun", "backfill", "failed"]
    published = 0
    longest = 0.0
    while time.time() < until and not (publications and published >= publications):
        with writer_lock(db, wait_s=60):
            clone_run(db, template, kinds[published % len(kinds)], published)
            started = time.monotonic()
            result = sync(db, bi, visibility_delay_s=delay_s)
            longest = max(longest, time.monotonic() - started)
        published += result.runs_added
    return {"publications": published, "longest_sync_s": round(longest, 3)}


def start_reader(bi_path: Path, stop_file: Path, *, reconnect: bool, old: bool) -> subprocess.Popen:
    env = dict(os.environ)
    if old:
        env["PYTHONPATH"] = os.pathsep.join([str(OLD_DUCKDB), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.Popen(
        [sys.executable, str(Path(__file__)), "read", str(bi_path), str(stop_file), str(int(reconnect))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def stress(
    db_path: Path, bi_path: Path, *, seconds: float, readers: int, delay_s: float, publications: int = 0
) -> dict[str, object]:
    """Publish for `seconds` (or until `publications` are done, if sooner) while `readers` processes
    (and a DuckDB 1.1.3 one when present) read; the readers stop after the publisher.

    The warehouse must hold a succeeded run, served. Returns the publisher's and readers' counts."""
    start = time.time()
    stop_file = db_path.with_name(f"stress-stop-{os.getpid()}")
    stop_file.unlink(missing_ok=True)
    procs = [start_reader(bi_path, stop_file, reconnect=i == 0, old=False) for i in range(readers)]
    if (OLD_DUCKDB / "duckdb").is_dir():
        procs.append(start_reader(bi_path, stop_file, reconnect=False, old=True))
    try:
        publisher = subprocess.run(
            [
                sys.executable,
                str(Path(__file__)),
                "publish",
                str(db_path),
                str(bi_path),
                str(start + seconds),
                str(delay_s),
                str(publications),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        stop_file.touch()
    if publisher.returncode != 0:
        for proc in procs:
            proc.kill()
        raise RuntimeError(f"the publisher failed:\n{publisher.stderr}")
    results = [json.loads(proc.communicate(timeout=120)[0]) for proc in procs]
    stop_file.unlink(missing_ok=True)
    return {
        "seconds": round(time.time() - start, 1),
        **json.loads(publisher.stdout),
        "queries": sum(r["queries"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "anomalies": sum(r["anomalies"] for r in results),
        "old_duckdb_reader": (OLD_DUCKDB / "duckdb").is_dir(),
        "readers": results,
    }


def template_run(workdir: Path) -> Path:
    """A warehouse with one real run of the bundled sample, through `segment run`; its path."""
    db = workdir / "segments.duckdb"
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--period", "2026Q1", "--db", str(db)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
    )
    return db


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "read":
        print(json.dumps(read(sys.argv[2], sys.argv[3], sys.argv[4] == "1")))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "publish":
        sys.path.insert(0, str(ROOT))
        print(json.dumps(publish(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--publications", type=int, default=0, help="stop after this many (0: run for --seconds)")
    parser.add_argument("--delay", type=float, default=0.2, help="visibility delay of each publication (s)")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = template_run(Path(tmp))
        result = stress(
            db,
            db.with_name("segments_bi.duckdb"),
            seconds=args.seconds,
            readers=args.readers,
            delay_s=args.delay,
            publications=args.publications,
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
