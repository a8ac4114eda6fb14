"""Order lines from PostgreSQL into DuckDB: the ADBC driver, connectorx, and the same lines as a CSV.

    python benchmarks/postgres.py                    # 2M and 10M lines (about 10 minutes on 2 cores)
    python benchmarks/postgres.py --rows 1000000     # a quick look

Starts its own PostgreSQL server (tests/postgres.py: Debian's binaries, a temporary folder, 127.0.0.1)
and loads `--rows` seeded order lines into a table without a primary key (customer_id text,
order_date date, amount numeric(12,2), order_id text; about ten lines per customer, dates over 900
days from 2024-01-01), then writes the same lines as a CSV (the server's COPY TO). Each reader runs as
a process of its own, timed from outside with its own peak RSS (wait4), reading every line into a
table of a new DuckDB file (memory_limit 1GB, as an order store would), or only counting them
(`count`: nothing kept, so the reader's own memory shows):

    adbc          segmentation.postgres with_key=True: the catalog check, then ADBC's binary COPY stream
                  registered in DuckDB as a RecordBatchReader, each row with its ctid and row number
    adbc-fast     the same reader, with_key=False: the contract columns only
    adbc-end      adbc-fast up to --end: the point-in-time filter on the server (the end a bound setting)
    adbc-bind     ADBC with `WHERE order_date <= $1` bound on the reading statement itself (what the reader
                  does not do: libpq then holds the whole result before the first batch)
    connectorx    connectorx 0.4's arrow_stream (rust-postgres, binary COPY), the statement adbc-fast runs
    csv           DuckDB's read_csv of the same lines (amount read as text, as the database readers give it)

Then, with --pipeline (the default), the whole pipeline on the same lines: `segment run --orders
postgresql://...?table=public.orders` against `segment run --orders FILE.csv` for the quarter that ends
after the last line, each a process of its own against one Prefect server, with k, the segmented
customers and the run's source checksum (equal when both read the same orders). Prints tables; asserts
nothing. Last, how long each driver takes to report a server that is down.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.bench import measure, pipeline_env
from benchmarks.bench import start_server as start_prefect

ROOT = Path(__file__).resolve().parents[1]
MODES = ("adbc", "adbc-fast", "adbc-end", "adbc-bind", "connectorx", "csv")
COLUMNS = "customer_id, order_date, CAST(amount AS text) AS amount, order_id"
MEMORY_LIMIT = "1GB"
PIPELINE_PERIOD = "2026Q2"  # the lines' last day is 2024-01-01 + 899 days, 2026-06-18
# Seeded lines, generated on the server: customers C0..C(rows/10 - 1), dates over 2024-01-01 + 900 days,
# amounts 0.01..500.00, one order per line.
LOAD = """
INSERT INTO orders (customer_id, order_date, amount, order_id)
SELECT 'C' || (hashint4(i) % {customers} + {customers}) % {customers},
       date '2024-01-01' + (abs(hashint4(i + 1)) % 900),
       round((1 + abs(hashint4(i + 2)) % 50000) / 100.0, 2),
       'O' || i
FROM generate_series(1, {rows}) AS i
"""


def load(server: object, rows: int, work: Path) -> tuple[str, Path, float]:
    """A database holding `rows` order lines and the same lines as a CSV; (url, csv, seconds)."""
    from tests.postgres import PostgresServer

    assert isinstance(server, PostgresServer)
    database = server.create_database(f"bench_{rows}")
    server.create_orders_table(database, key=False)
    started = time.perf_counter()
    server.sql(LOAD.format(rows=rows, customers=max(rows // 10, 1)), database)
    server.sql("VACUUM ANALYZE orders", database)
    seconds = time.perf_counter() - started
    target = server.folder / f"orders_{rows}.csv"  # written by the server, as its own user
    # COPY takes no parameters; the path is our own temporary folder's.
    copy = f"COPY (SELECT customer_id, order_date, amount, order_id FROM orders) TO '{target}' CSV HEADER"  # noqa: S608
    server.sql(copy, database)
    return server.url(database), target, seconds


def child(mode: str, sink: str, url: str, csv: str, out: str, end: str) -> None:
    """One reader in this process: print a JSON line (rows, seconds inside)."""
    import duckdb

    con = duckdb.connect(out)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    statement = "CREATE TABLE orders AS SELECT * FROM" if sink == "table" else "SELECT count(*) FROM"
    started = time.perf_counter()
    if mode == "csv":
        types = {"customer_id": "VARCHAR", "order_date": "DATE", "amount": "VARCHAR", "order_id": "VARCHAR"}
        read = f"{statement} read_csv(?, columns = ?, header = true, auto_detect = false)"
        counted = con.execute(read, [csv, types]).fetchone()
    else:
        with READERS[mode](url, date.fromisoformat(end)) as reader:
            con.register("order_arrow", reader)
            counted = con.execute(f"{statement} order_arrow").fetchone()
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM orders").fetchone()[0] if sink == "table" else counted[0]
    print(json.dumps({"rows": rows, "inside_s": seconds}))


def _reader(url: str, end: date | None, *, with_key: bool) -> contextlib.AbstractContextManager:
    from segmentation.postgres import inspect_postgres, open_order_reader, parse_orders_url

    inspected = inspect_postgres(parse_orders_url(url + "?table=public.orders"))
    return open_order_reader(inspected, end=end, with_key=with_key)


@contextlib.contextmanager
def _bound(url: str, end: date) -> Iterator[object]:
    from adbc_driver_postgresql import dbapi

    with dbapi.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {COLUMNS} FROM orders WHERE order_date <= $1", parameters=(end,))  # noqa: S608
        yield cur.fetch_record_batch()


@contextlib.contextmanager
def _connectorx(url: str, end: date) -> Iterator[object]:
    import connectorx as cx

    yield cx.read_sql(url, f"SELECT {COLUMNS} FROM orders", return_type="arrow_stream", batch_size=100_000)  # noqa: S608


READERS: dict[str, Callable[[str, date], contextlib.AbstractContextManager]] = {
    "adbc": lambda url, end: _reader(url, None, with_key=True),
    "adbc-fast": lambda url, end: _reader(url, None, with_key=False),
    "adbc-end": lambda url, end: _reader(url, end, with_key=False),
    "adbc-bind": _bound,
    "connectorx": _connectorx,
}


def run(mode: str, sink: str, url: str, csv: Path, work: Path, end: str) -> dict[str, object]:
    out = work / f"{mode}-{sink}.duckdb"
    out.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--child", mode, "--sink", sink, "--url", url, "--csv", str(csv)]
    command += ["--out", str(out), "--end", end]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "SEGMENT_"))} | {"PYTHONPATH": str(ROOT)}
    measured = measure(command, env=env, cwd=ROOT)
    result = json.loads(measured.stdout.strip().splitlines()[-1]) if measured.returncode == 0 else {}
    out.unlink(missing_ok=True)
    return {"wall": measured.wall_s, "rss": measured.peak_rss_mb, "ok": measured.returncode == 0, **result}


def pipeline(rows: int, url: str, csv: Path, work: Path) -> list[dict[str, object]]:
    """`segment run` on the table and on the CSV of the same lines: wall, peak RSS, k, segmented, checksum."""
    import duckdb

    prefect, api = start_prefect(work / f"prefect-{rows}")
    env = pipeline_env(api, drop=("PG",))  # no libpq variables: the URL says where and who
    results = []
    try:
        for name, source in (("postgresql", f"{url}?table=public.orders"), ("csv", str(csv))):
            db = work / f"pipeline-{name}-{rows}" / "segments.duckdb"
            command = [sys.executable, "-m", "flows.cli", "run", "--orders", source, "--db", str(db)]
            measured = measure([*command, "--period", PIPELINE_PERIOD, "--json"], env=env, cwd=work)
            summary = json.loads(measured.stdout) if measured.returncode == 0 else {}
            checksum = None
            if measured.returncode == 0:
                with duckdb.connect(str(db), read_only=True) as con:
                    checksum = con.execute("SELECT source_checksum FROM runs ORDER BY started_at DESC").fetchone()[0]
            results.append({
                "lines": rows, "source": name, "wall": measured.wall_s, "rss": measured.peak_rss_mb,
                "k": summary.get("k"), "checksum": checksum,
                "segmented": sum(s["customers"] for s in summary.get("segments", [])),
            })  # fmt: skip
    finally:
        os.killpg(prefect.pid, 15)
        prefect.wait(timeout=30)
    return results


def print_pipelines(results: list[dict[str, object]]) -> None:
    header = f"\n{'lines':>11} | {'segment run --orders':<20} | {'wall s':>7} | {'peak RSS MB':>11} | "
    header += f"{'k':>2} | {'segmented':>10} | source checksum"
    print(header + "\n" + "-" * len(header))
    for r in results:
        checksum = str(r["checksum"] or "FAILED")[:16]
        line = f"{r['lines']:>11,} | {r['source']:<20} | {r['wall']:>7.1f} | {r['rss']:>11.0f} | "
        print(f"{line}{r['k'] or '-':>2} | {r['segmented']:>10,} | {checksum}", flush=True)


def refused_seconds(mode: str) -> float:
    """How long a reader takes to say that nothing listens on the port (a server that is down)."""
    from tests.postgres import free_port

    url = f"postgresql://reader:pw@127.0.0.1:{free_port()}/shop"
    started = time.perf_counter()
    code = (
        "import connectorx as cx\ntry: cx.read_sql(u, 'SELECT 1', return_type='arrow')\nexcept BaseException: pass"
        if mode == "connectorx"
        else "from adbc_driver_postgresql import dbapi\ntry: dbapi.connect(u)\nexcept BaseException: pass"
    )
    subprocess.run([sys.executable, "-c", f"u = {url!r}\n{code}"], capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000, 10_000_000])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--sinks", nargs="+", choices=("table", "count"), default=["table", "count"])
    parser.add_argument("--end", default="2025-06-30", help="adbc-end and adbc-bind read orders up to this day")
    parser.add_argument("--pipeline", action=argparse.BooleanOptionalAction, default=True,
                        help="also time segment run on the table and on the CSV")  # fmt: skip
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--sink", default="table", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.sink, args.url, args.csv, args.out, args.end)
        return
    from tests.postgres import start_server

    server = start_server()
    work = Path(tempfile.mkdtemp(prefix="segment-pg-bench-"))
    pipelines: list[dict[str, object]] = []
    try:
        print(f"PostgreSQL {server.version} on 127.0.0.1:{server.port}; {os.cpu_count()} cores; DuckDB {MEMORY_LIMIT}")
        header = f"{'lines':>11} | {'reader':<10} | {'into':<5} | {'rows read':>11} | {'wall s':>7} | "
        header += f"{'peak RSS MB':>11}"
        print(header + "\n" + "-" * len(header))
        for rows in args.rows:
            url, csv, seconds = load(server, rows, work)
            print(f"{rows:>11,} | loaded into PostgreSQL in {seconds:.1f} s", flush=True)
            for mode in args.modes:
                for sink in args.sinks:
                    r = run(mode, sink, url, csv, work, args.end)
                    read = f"{r['rows']:,}" if r.get("rows") is not None else ("-" if r["ok"] else "FAILED")
                    line = f"{rows:>11,} | {mode:<10} | {sink:<5} | {read:>11} | {r['wall']:>7.1f} | "
                    print(f"{line}{r['rss']:>11.0f}", flush=True)
            if args.pipeline:
                pipelines.extend(pipeline(rows, url, csv, work))
            server.sql(f"DROP DATABASE bench_{rows}")
            csv.unlink(missing_ok=True)
        if pipelines:
            print_pipelines(pipelines)
        if "connectorx" in args.modes:
            print(
                f"\nrefused connection reported after: adbc {refused_seconds('adbc'):.1f} s, "
                f"connectorx {refused_seconds('connectorx'):.1f} s"
            )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
