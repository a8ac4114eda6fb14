"""segmentation/postgres.py without a server: the URL, table names, masking, the statement built."""

from __future__ import annotations

from datetime import date

import pytest

from segmentation.errors import InputFileError, PostgresSourceError
from segmentation.postgres import (
    InspectedOrders,
    TableName,
    is_postgres_url,
    masked,
    order_select,
    parse_orders_url,
    parse_table_name,
    scrub,
    without_password,
)

SECRET = "pa:ss@w/rd"
ENCODED = "pa%3Ass%40w%2Frd"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://shop:{ENCODED}@db:5432/shop?table=orders", "postgresql://shop:***@db:5432/shop?table=orders"),
        ("postgresql://shop:pw@with@db/shop", "postgresql://shop:***@db/shop"),  # an '@' left unencoded
        ("postgresql://shop:pa/ss@db/shop?table=t", "postgresql://shop:***@db/shop?table=t"),  # a '/' too
        ("postgres://shop@db/shop?password=pw&sslmode=require", "postgres://shop@db/shop?password=***&sslmode=require"),
        ("postgresql://shop@db:5432/shop", "postgresql://shop@db:5432/shop"),
        ("postgresql://:pw@db/shop", "postgresql://:***@db/shop"),
        ("postgresql:///shop", "postgresql:///shop"),
        ("postgresql://shop:pw@h1:5432,h2:5433/shop", "postgresql://shop:***@h1:5432,h2:5433/shop"),
    ],
)
def test_masked_replaces_the_password_and_keeps_the_rest(url: str, shown: str) -> None:
    assert masked(url) == shown


def test_scrub_removes_the_password_in_every_form_a_driver_may_quote() -> None:
    url = f"postgresql://shop:{ENCODED}@db/shop"
    text = f"failed: {url} / password {SECRET!r} / token {ENCODED}"
    scrubbed = scrub(text, url)
    assert SECRET not in scrubbed
    assert ENCODED not in scrubbed
    assert "***" in scrubbed


@pytest.mark.parametrize(
    ("url", "bare", "password"),
    [
        (f"postgresql://shop:{ENCODED}@db/shop?table=t", "postgresql://shop@db/shop?table=t", SECRET),
        ("postgresql://shop@db/shop?password=pw&table=t", "postgresql://shop@db/shop?table=t", "pw"),
        ("postgresql://shop@db/shop?password=pw", "postgresql://shop@db/shop", "pw"),
        ("postgresql://shop@db/shop?table=t", "postgresql://shop@db/shop?table=t", None),
    ],
)
def test_without_password(url: str, bare: str, password: str | None) -> None:
    assert without_password(url) == (bare, password)


def test_scrub_removes_pgpassword(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "from-the-environment")
    assert "from-the-environment" not in scrub("echo from-the-environment", "postgresql://shop@db/shop")


def test_a_url_with_a_table() -> None:
    source = parse_orders_url(f"postgresql://shop:{ENCODED}@db:5432/shop?sslmode=disable&table=sales.orders")
    assert source.table == TableName("sales", "orders")
    assert source.query is None
    # libpq's parameters pass on, `table` does not, and a run cannot wait for ever on a host
    assert source.dsn == (
        f"postgresql://shop:{ENCODED}@db:5432/shop?sslmode=disable&connect_timeout=10&application_name=segment"
    )
    assert SECRET not in repr(source)
    assert ENCODED not in repr(source)
    assert SECRET not in source.masked


def test_a_url_with_a_query_strips_a_trailing_semicolon() -> None:
    source = parse_orders_url("postgresql://shop@db/shop", query="  SELECT * FROM orders ;; ")
    assert source.table is None
    assert source.query == "SELECT * FROM orders"
    assert source.what == "the orders query"


@pytest.mark.parametrize(
    ("url", "query", "message"),
    [
        ("mysql://shop@db/shop?table=orders", None, "not a PostgreSQL URL"),
        ("postgresql://shop@db/shop", None, "hint: add ?table=schema.table"),
        ("postgresql://shop@db/shop?table=orders", "SELECT 1", "names a table and --orders-query gives a query"),
        ("postgresql://shop@db/shop?table=a&table=b", None, "names table= 2 times"),
        ("postgresql://shop@db:54x2/shop?table=orders", None, "the port '54x2' is not a number"),
        ("postgresql://shop@db/shop", " ; ", "--orders-query is empty"),
    ],
)
def test_refused_urls(url: str, query: str | None, message: str) -> None:
    with pytest.raises(PostgresSourceError, match=message.replace("?", r"\?")):
        parse_orders_url(url, query=query)


def test_the_errors_are_input_file_errors() -> None:
    # The command line prints an InputFileError as one `error:` block and exits 1, as for a file.
    assert issubclass(PostgresSourceError, InputFileError)


@pytest.mark.parametrize(
    ("text", "table", "quoted"),
    [
        ("orders", TableName(None, "orders"), '"orders"'),
        ("Public.Orders", TableName("public", "orders"), '"public"."orders"'),  # folded, as PostgreSQL does
        ('"Sales"."Order Lines"', TableName("Sales", "Order Lines"), '"Sales"."Order Lines"'),
        ('sales."a""b"', TableName("sales", 'a"b'), '"sales"."a""b"'),
        ("s_1.t$2", TableName("s_1", "t$2"), '"s_1"."t$2"'),
    ],
)
def test_table_names(text: str, table: TableName, quoted: str) -> None:
    assert parse_table_name(text) == table
    assert table.quoted() == quoted


@pytest.mark.parametrize(
    "text",
    ["", "a.b.c", "orders; DROP TABLE x", '"unclosed', '""', "a..b", "1orders", "orders--", "a" * 64, "or ders"],
)
def test_names_that_are_not_identifiers_are_refused(text: str) -> None:
    with pytest.raises(PostgresSourceError, match="is not a table name"):
        parse_table_name(text)


def test_is_postgres_url() -> None:
    assert is_postgres_url("postgresql://db/shop")
    assert is_postgres_url("POSTGRES://db/shop")
    assert not is_postgres_url("orders.csv")
    assert not is_postgres_url("postgresql.csv")


def _inspected(date_kind: str, key: tuple[str, ...] = ("line_id",), query: str | None = None) -> InspectedOrders:
    url = "postgresql://shop@db/shop" + ("" if query else "?table=public.orders")
    columns = {"customer_id": "Client ID", "order_date": "day", "amount": "total"}
    return InspectedOrders(
        source=parse_orders_url(url, query=query),
        header=tuple(columns.values()),
        types={},
        columns=columns,
        extra_columns=(),
        key=key,
        date_kind=date_kind,  # type: ignore[arg-type]
        timezone="UTC",
        user="shop",
        database="shop",
    )


def test_the_statement_quotes_names_and_holds_no_value() -> None:
    statement = order_select(_inspected("date"), end=date(2026, 6, 30))
    assert statement == (
        'SELECT CAST("Client ID" AS text) AS customer_id, "day" AS order_date, CAST("total" AS text) AS amount, '
        'CAST("line_id" AS text) AS source_key\n'
        'FROM "public"."orders" AS orders\n'
        "WHERE \"day\" <= (SELECT CAST(current_setting('segment.period_end') AS date))"
    )
    assert "2026" not in statement


@pytest.mark.parametrize(
    ("date_kind", "select", "where"),
    [
        ("timestamptz", 'CAST("day" AS date) AS order_date', 'WHERE "day" < CAST((SELECT CAST(current_setting('),
        ("timestamp", 'CAST("day" AS date) AS order_date', 'WHERE "day" < (SELECT CAST(current_setting('),
        ("text", 'CAST("day" AS text) AS order_date', None),  # typed by the pipeline: nothing filtered here
    ],
)
def test_each_kind_of_date(date_kind: str, select: str, where: str | None) -> None:
    statement = order_select(_inspected(date_kind), end=date(2026, 6, 30))
    assert select in statement
    assert (where in statement) if where else "WHERE" not in statement


def test_keys_of_several_columns_a_ctid_and_a_query() -> None:
    assert 'CAST(ROW("order_id", "line_no") AS text) AS source_key' in order_select(
        _inspected("date", ("order_id", "line_no")), end=None
    )
    assert "CAST(ctid AS text) AS source_key" in order_select(_inspected("date", ("ctid",)), end=None)
    statement = order_select(_inspected("date", (), query="SELECT 1 -- a comment"), end=None)
    assert "source_key" not in statement
    assert "FROM (\nSELECT 1 -- a comment\n) AS orders" in statement  # a trailing comment ends on its own line
