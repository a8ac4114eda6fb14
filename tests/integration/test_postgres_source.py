"""Order histories read from a real PostgreSQL server (tests/postgres.py starts one per session).

What is checked against the server itself: the catalog check and column mapping, the filter running
on the server (its statement log shows the filter and the bound end), a timestamptz's day in the
database's zone, the checksum, every error a data engineer meets (each one line and a hint, the
password never in it), libpq's environment and .pgpass, and memory while 1M rows stream.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from segmentation.errors import PostgresSourceError
from segmentation.periods import Period
from segmentation.postgres import InspectedOrders, inspect_postgres, open_order_reader, parse_orders_url
from tasks.orders import period_features, read_orders
from tests.postgres import PostgresServer, free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "s3cret:p@ss/word%"  # every character a URL must encode, so each form of it is tried
OTHER_PASSWORD = "n0-select"
ROWS = [  # (customer_id, order_date, amount, order_id)
    ("C1", "2026-04-03", "10.00", "O1"),
    ("C1", "2026-06-20", "35.50", "O2"),
    ("C2", "2026-05-11", "120.00", "O3"),
    ("C3", "2026-06-30", "15.00", "O4"),
    ("C3", "2026-07-01", "18.00", "O5"),  # after 2026Q2
    ("C4", "2026-08-15", "300.00", None),  # after 2026Q2
]
Q2_END = date(2026, 6, 30)


@pytest.fixture(scope="module", autouse=True)
def _prefect_server() -> None:
    """This module needs no Prefect server (the integration lane's autouse one costs seconds to start)."""


@pytest.fixture(scope="module")
def shop(postgres_server: PostgresServer) -> PostgresServer:
    """Database `shop`: public.orders (ROWS, key line_id), a reader with a password, a role without SELECT."""
    server = postgres_server
    server.create_database("shop")
    server.create_orders_table("shop")
    server.copy_rows("shop", "public.orders", ROWS)
    server.create_role("reader", password=PASSWORD)
    server.create_role("outsider", password=OTHER_PASSWORD)
    server.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader", "shop")
    return server


def url(
    server: PostgresServer,
    table: str | None = "public.orders",
    *,
    database: str = "shop",
    user: str = "reader",
    password: str | None = None,
) -> str:
    return server.url(database, user=user, password=password) + (f"?table={table}" if table else "")


def reader_url(server: PostgresServer, table: str | None = "public.orders") -> str:
    return url(server, table, password=PASSWORD)


def inspect(text: str, *, query: str | None = None, columns: dict[str, str] | None = None) -> InspectedOrders:
    return inspect_postgres(parse_orders_url(text, query=query), columns=columns)


def read_rows(inspected: InspectedOrders, *, end: date | None) -> list[tuple]:
    """Every row the reader yields, through DuckDB, as the pipeline reads it."""
    with open_order_reader(inspected, end=end) as reader, duckdb.connect() as con:
        con.register("order_arrow", reader)
        return con.execute("SELECT * FROM order_arrow ORDER BY source_line").fetchall()


def refused(text: str, *, query: str | None = None, columns: dict[str, str] | None = None) -> str:
    """The error message for `text`, checked to be one line and hints, with no password in it."""
    with pytest.raises(PostgresSourceError) as caught:
        inspect(text, query=query, columns=columns)
    message = str(caught.value)
    _, *rest = message.splitlines()
    assert rest, f"no hint: {message}"
    assert all(line.startswith("hint:") for line in rest), message
    for secret in (PASSWORD, OTHER_PASSWORD, "s3cret", "p%40ss"):
        assert secret not in message
    assert "Query was" not in message
    return message


# --- reading ---


def test_the_table_is_read_with_its_key_and_only_up_to_the_end(shop: PostgresServer) -> None:
    inspected = inspect(reader_url(shop))
    assert inspected.columns == {c: c for c in ("customer_id", "order_date", "amount", "order_id")}
    assert inspected.extra_columns == ("line_id",)
    assert inspected.key == ("line_id",)
    assert inspected.row_word == "line_id"
    record = inspected.as_record()
    assert record["source"] == f"postgresql://reader:***@127.0.0.1:{shop.port}/shop?table=public.orders"
    assert (record["table"], record["key"], record["date_kind"]) == ("public.orders", ["line_id"], "date")
    assert read_rows(inspected, end=Q2_END) == [
        ("C1", date(2026, 4, 3), "10.00", "O1", "1", 1),
        ("C1", date(2026, 6, 20), "35.50", "O2", "2", 2),
        ("C2", date(2026, 5, 11), "120.00", "O3", "3", 3),
        ("C3", date(2026, 6, 30), "15.00", "O4", "4", 4),
    ]
    assert len(read_rows(inspected, end=None)) == len(ROWS)


def test_without_the_key_only_the_contract_columns_are_read(shop: PostgresServer) -> None:
    inspected = inspect(reader_url(shop))
    with open_order_reader(inspected, end=Q2_END, with_key=False) as reader:
        assert reader.schema.names == ["customer_id", "order_date", "amount", "order_id"]
        assert reader.read_all().num_rows == 4


def test_a_reader_used_after_its_block_fails_instead_of_crashing(shop: PostgresServer) -> None:
    con = duckdb.connect()
    with open_order_reader(inspect(reader_url(shop)), end=None) as reader:
        con.register("order_arrow", reader)  # registered, never read inside the block
    with pytest.raises(duckdb.Error, match="already been closed"):
        con.execute("SELECT count(*) FROM order_arrow")
    con.close()


def test_the_filter_runs_on_the_server(shop: PostgresServer) -> None:
    inspected = inspect(reader_url(shop))
    log = shop.folder / "server.log"
    shop.sql("ALTER DATABASE shop SET log_statement = 'all'")  # new connections log what they execute
    try:
        start = log.stat().st_size
        rows = read_rows(inspected, end=Q2_END)
        executed = log.read_bytes()[start:].decode("utf-8", errors="replace")
    finally:
        shop.sql("ALTER DATABASE shop RESET log_statement")
    assert len(rows) == 4  # of 6: only the orders up to the end
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", executed)  # one per log entry; a statement may span lines
    statements = [e.split(" LOG:  ", 1)[1] for e in entries if " LOG:  " in e]
    copies = [s for s in statements if s.startswith("execute") and "COPY (" in s and '"public"."orders"' in s]
    assert len(copies) == 1, executed
    assert "current_setting('segment.period_end')" in copies[0]  # the filter is in the statement the server ran
    assert "2026" not in copies[0]  # the end is a bound parameter, never in the statement
    bound = [s for s in statements if "set_config($1, $2" in s]
    assert len(bound) == 1, executed
    assert "parameters: $1 = 'segment.period_end', $2 = '2026-06-30'" in executed  # ... given as a value


def test_a_query_is_read_as_a_subquery_with_the_same_column_mapping(shop: PostgresServer) -> None:
    query = 'SELECT customer_id AS "Client ID", order_date AS "Invoice Date", amount AS "Total" FROM orders -- ours\n; '
    inspected = inspect(reader_url(shop, table=None), query=query)
    assert inspected.columns == {"customer_id": "Client ID", "order_date": "Invoice Date", "amount": "Total"}
    assert inspected.key == ()
    assert inspected.row_word == "row"
    rows = read_rows(inspected, end=Q2_END)
    assert [r[0] for r in rows] == ["C1", "C1", "C2", "C3"]
    assert rows[0] == ("C1", date(2026, 4, 3), "10.00", 1)  # no source_key: rows are numbered


def test_columns_map_as_a_file_header_does(shop: PostgresServer) -> None:
    names = ("Buyer", "Purchased", "Sale Amount", "Receipt")
    shop.create_orders_table("shop", "public.export", columns=names)
    shop.copy_rows("shop", "public.export", ROWS[:2], columns=names)
    shop.sql("GRANT SELECT ON public.export TO reader", "shop")
    message = refused(reader_url(shop, "public.export"))
    assert "(table public.export): missing required column(s) ['customer_id', 'order_date']" in message
    assert "hint: did you mean 'Buyer' for 'customer_id'? map it with --columns \"customer_id=Buyer\"" in message
    inspected = inspect(reader_url(shop, "public.export"), columns={"customer_id": "buyer", "order_date": "purchased"})
    assert inspected.columns == {
        "customer_id": "Buyer",
        "order_date": "Purchased",
        "amount": "Sale Amount",
        "order_id": "Receipt",
    }
    assert [r[:4] for r in read_rows(inspected, end=None)] == [
        ("C1", date(2026, 4, 3), "10.00", "O1"),
        ("C1", date(2026, 6, 20), "35.50", "O2"),
    ]


def test_a_table_without_a_key_names_rows_by_ctid_and_a_composite_key_by_its_row(shop: PostgresServer) -> None:
    shop.create_orders_table("shop", "public.keyless", key=False)
    shop.copy_rows("shop", "public.keyless", ROWS[:2])
    shop.sql(
        "CREATE TABLE public.lines (order_id text, line_no int, customer_id text, order_date date, amount numeric, "
        "PRIMARY KEY (order_id, line_no)); INSERT INTO public.lines VALUES ('A17', 3, 'C1', '2026-01-02', 4.5);"
        "GRANT SELECT ON public.keyless, public.lines TO reader",
        "shop",
    )
    keyless = inspect(reader_url(shop, "public.keyless"))
    assert keyless.key == ("ctid",)
    assert [r[4] for r in read_rows(keyless, end=None)] == ["(0,1)", "(0,2)"]
    composite = inspect(reader_url(shop, "public.lines"))
    assert composite.row_word == "(order_id, line_no)"
    assert read_rows(composite, end=None)[0][4] == "(A17,3)"


@pytest.mark.parametrize(
    ("timezone", "days"),
    [
        ("UTC", [date(2026, 6, 30)]),  # 23:30 -05 is 04:30 UTC on July 1st: after the quarter there
        ("America/Chicago", [date(2026, 6, 30), date(2026, 6, 30)]),  # both on June 30th, Chicago time
    ],
)
def test_a_timestamptz_counts_on_its_day_in_the_databases_zone(
    postgres_server: PostgresServer, timezone: str, days: list[date]
) -> None:
    database = postgres_server.create_database(f"zoned_{timezone.lower().replace('/', '_')}", timezone=timezone)
    postgres_server.create_orders_table(database, order_date_type="timestamptz")
    instants = [("C1", "2026-06-30 23:30:00-05", "1", "O1"), ("C2", "2026-06-30 12:00:00+00", "2", "O2")]
    postgres_server.copy_rows(database, "public.orders", instants)
    inspected = inspect(postgres_server.url(database) + "?table=orders")
    assert inspected.timezone == timezone
    assert inspected.date_kind == "timestamptz"
    assert sorted(r[1] for r in read_rows(inspected, end=Q2_END)) == days


def test_a_timestamp_counts_on_its_written_day(postgres_server: PostgresServer) -> None:
    database = postgres_server.create_database("written_days")
    postgres_server.create_orders_table(database, order_date_type="timestamp")
    postgres_server.copy_rows(
        database, "public.orders", [("C1", "2026-06-30 23:59:59", "1", "O1"), ("C2", "2026-07-01 00:00:00", "2", "O2")]
    )
    rows = read_rows(inspect(postgres_server.url(database) + "?table=orders"), end=Q2_END)
    assert [(r[0], r[1]) for r in rows] == [("C1", date(2026, 6, 30))]


def test_the_session_writes_nothing(shop: PostgresServer) -> None:
    shop.sql("CREATE SEQUENCE public.tick; GRANT USAGE ON SEQUENCE public.tick TO reader", "shop")
    inspected = inspect(
        reader_url(shop, table=None), query="SELECT customer_id, order_date, amount, nextval('tick') AS n FROM orders"
    )
    with pytest.raises(PostgresSourceError, match="read-only transaction"):
        read_rows(inspected, end=None)


# --- the checksum ---


def checksum(server: PostgresServer, table: str) -> tuple[int, str]:
    """(rows read, checksum) of `table` as a run of 2026Q3 reads it (tasks.orders: read, then the period's facts)."""
    history = read_orders(inspect(reader_url(server, table)), date_format=None)
    try:
        _, facts = period_features(history, Period.parse("2026Q3"), lookback_months=12)
        return history.n_rows, facts.checksum
    finally:
        history.remove()


@pytest.fixture(scope="module")
def checksums(shop: PostgresServer) -> dict[str, tuple[int, str]]:
    variants = {
        "same": ROWS,
        "reversed": ROWS[::-1],  # the same rows, inserted (and so read) in another order
        "one amount": [*ROWS[:2], ("C2", "2026-05-11", "120.01", "O3"), *ROWS[3:]],
        "a line twice": [*ROWS, ROWS[0]],
    }
    found = {}
    for name, rows in variants.items():
        table = f"public.sums_{name.replace(' ', '_')}"
        shop.create_orders_table("shop", table, key=False)
        shop.copy_rows("shop", table, rows)
        shop.sql(f"GRANT SELECT ON {table} TO reader", "shop")
        found[name] = checksum(shop, table)
    return found


def test_the_checksum_does_not_depend_on_the_order_of_the_rows(checksums: dict[str, tuple[int, str]]) -> None:
    assert checksums["same"] == checksums["reversed"]
    assert checksums["same"][0] == len(ROWS)
    assert re.fullmatch(r"[0-9a-f]{16} \(duckdb [0-9.]+\)", checksums["same"][1])


@pytest.mark.parametrize("change", ["one amount", "a line twice"])
def test_the_checksum_changes_with_the_rows(checksums: dict[str, tuple[int, str]], change: str) -> None:
    assert checksums[change][1] != checksums["same"][1]


# --- errors: one line, a hint, never the password ---


def test_server_unreachable(shop: PostgresServer) -> None:
    closed = PostgresServer(shop.bin, shop.folder, free_port())  # nothing listens there
    message = refused(url(closed, password=PASSWORD))
    assert "cannot reach the PostgreSQL server (Connection refused)" in message
    assert "postgresql://reader:***@127.0.0.1:" in message
    assert "hint: is it running and accepting TCP connections" in message


@pytest.mark.parametrize(
    ("user", "password", "detail"),
    [
        ("reader", "wrong", 'password authentication failed for user "reader"'),
        ("reader", None, "fe_sendauth: no password supplied"),
        ("nobody", "x", 'password authentication failed for user "nobody"'),
    ],
)
def test_authentication_failed(shop: PostgresServer, user: str, password: str | None, detail: str) -> None:
    message = refused(url(shop, user=user, password=password))
    assert f"the server refused the credentials ({detail})" in message
    assert "~/.pgpass" in message


def test_database_missing(shop: PostgresServer) -> None:
    message = refused(url(shop, database="shpo", password=PASSWORD))
    assert "the server has no database 'shpo'" in message
    assert "psql -l" in message


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            "public.order",
            "database 'shop' has no table 'order' in schema 'public'\nhint: did you mean table=public.orders?",
        ),
        ("ordres", "database 'shop' has no table 'ordres' in the search path\nhint: did you mean table=orders?"),
        (
            "nowhere.orders",
            "database 'shop' has no schema 'nowhere'\nhint: check the schema in table=schema.table",
        ),
    ],
)
def test_table_missing(shop: PostgresServer, table: str, expected: str) -> None:
    assert expected in refused(reader_url(shop, table))


def test_permission_denied(shop: PostgresServer) -> None:
    message = refused(url(shop, user="outsider", password=OTHER_PASSWORD))
    assert (
        "permission denied: role 'outsider' may not read ['customer_id', 'order_date', 'amount', 'order_id']" in message
    )
    assert 'hint: GRANT SELECT ON "public"."orders" TO "outsider"' in message


def test_permission_denied_in_a_query(shop: PostgresServer) -> None:
    message = refused(url(shop, None, user="outsider", password=OTHER_PASSWORD), query="SELECT * FROM orders")
    assert "permission denied running the orders query (permission denied for table orders)" in message


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("SELECT customer_id, order_date FROM ordrs", 'relation "ordrs" does not exist'),
        ("SELEC customer_id FROM orders", "syntax error at or near"),
        ("SELECT 1; DROP TABLE orders", 'syntax error at or near ";"'),  # one statement only
    ],
)
def test_a_query_that_fails(shop: PostgresServer, query: str, detail: str) -> None:
    message = refused(reader_url(shop, table=None), query=query)
    assert f"the orders query failed ({detail}" in message
    assert "hint: run the query in psql" in message


def test_a_column_missing_gets_the_hints_of_a_file_header(shop: PostgresServer) -> None:
    message = refused(
        reader_url(shop, table=None), query="SELECT customer_id, order_date AS day_of_order, amount FROM orders"
    )
    assert (
        "missing required column(s) ['order_date']; the header has ['customer_id', 'day_of_order', 'amount']" in message
    )
    assert "(the orders query)" in message
    assert "--columns" in message


def test_a_password_libpq_quotes_is_masked(shop: PostgresServer) -> None:
    # libpq quotes a malformed percent-encoding of the URI, the password's included
    with pytest.raises(PostgresSourceError) as caught:
        inspect(f"postgresql://reader:s3cret%zz@127.0.0.1:{shop.port}/shop?table=orders")
    assert "s3cret" not in str(caught.value)
    assert "zz" not in str(caught.value) or "***" in str(caught.value)


def test_the_server_ending_the_read(shop: PostgresServer) -> None:
    shop.sql(
        "CREATE VIEW public.endless AS SELECT 'C' || i AS customer_id, date '2025-01-01' AS order_date, "
        "1::numeric AS amount, 'O' || i AS order_id FROM generate_series(1, 50000000) AS i; "
        "GRANT SELECT ON public.endless TO reader",
        "shop",
    )
    inspected = inspect(reader_url(shop, "public.endless"))
    killer = threading.Thread(target=_terminate_readers_copying, args=(shop,))
    killer.start()
    with pytest.raises(PostgresSourceError) as caught:
        read_rows(inspected, end=None)
    killer.join()
    message = str(caught.value)
    assert (
        "the server ended reading table public.endless (terminating connection due to administrator command)" in message
    )
    assert "hint: a restart, an administrator or a statement_timeout" in message


def _terminate_readers_copying(server: PostgresServer) -> None:
    """End the reader's COPY as soon as it runs (pg_terminate_backend: what an administrator or a restart does)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ended = server.sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = 'reader' AND query LIKE 'COPY%' AND state = 'active'"
        )
        if ended != "0":
            return
        time.sleep(0.05)


# --- credentials from libpq's environment ---


def test_pgpassword_and_pghost(shop: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(shop.port))
    inspected = inspect("postgresql://reader@/shop?table=orders")
    assert inspected.user == "reader"
    assert len(read_rows(inspected, end=Q2_END)) == 4


def test_pgpass(shop: PostgresServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    passfile = tmp_path / "pgpass"
    escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    passfile.write_text(f"127.0.0.1:{shop.port}:shop:reader:{escaped}\n", encoding="utf-8")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    assert inspect(url(shop)).user == "reader"


# --- bounded memory ---


STREAM = """
import json, resource, sys
import duckdb
from segmentation.postgres import inspect_postgres, open_order_reader, parse_orders_url
inspected = inspect_postgres(parse_orders_url(sys.argv[1]))
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with open_order_reader(inspected, end=None) as reader:
    con.register("order_arrow", reader)
    rows, size = con.execute("SELECT count(*), sum(length(customer_id)) FROM order_arrow").fetchone()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "text_mb": size / 2**20, "grew_mb": after - before}))
"""


@pytest.fixture(scope="module")
def million(shop: PostgresServer) -> str:
    """A million order lines with 400-character customer IDs (381 MB of IDs alone, were they all held),
    made by the server as they are read: a view over generate_series, so nothing is written first."""
    shop.sql(
        "CREATE VIEW public.million AS SELECT lpad((i % 100000)::text, 400, 'C') AS customer_id, "
        "date '2025-01-01' + i % 500 AS order_date, (i % 1000)::numeric(12, 2) AS amount, 'O' || i AS order_id "
        "FROM generate_series(1, 1000000) AS i; GRANT SELECT ON public.million TO reader",
        "shop",
    )
    return reader_url(shop, "public.million")


def test_streaming_a_million_rows_keeps_memory_bounded(million: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", STREAM, million], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout)
    assert measured["rows"] == 1_000_000
    assert measured["text_mb"] > 380
    # Batches of about 16 MB flow through and are freed (measured here: 90-130 MB more at 1M or 3M
    # rows of 200 characters, DuckDB's threads and the allocator's arenas included); holding the rows
    # would add the 381 MB of IDs and more.
    assert measured["grew_mb"] < 250, measured


def test_the_command_line_does_not_import_the_driver_to_parse_a_url() -> None:
    code = (
        "import sys\nfrom segmentation.postgres import parse_orders_url\n"
        "parse_orders_url('postgresql://u@h/d?table=orders')\n"
        "heavy = ('adbc_driver_postgresql', 'adbc_driver_manager', 'pandas', 'pyarrow')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


@pytest.fixture(autouse=True)
def _no_libpq_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set libpq's variables themselves; none from the machine may steer them."""
    for name in [n for n in os.environ if n.startswith("PG")]:
        monkeypatch.delenv(name)
