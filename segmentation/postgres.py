"""Order histories in PostgreSQL: the URL, the catalog check, a streaming reader, and what may be shown.

    postgresql://user[:password]@host:port/database?table=schema.table
    postgresql://user@host:port/database          with a query given separately (--orders-query)

No Prefect, no pandas; the driver (the Apache Arrow project's ADBC PostgreSQL driver, libpq inside)
is imported only when a server is contacted, so the command line stays fast.

Credentials: libpq fills in whatever the URL leaves out from its environment variables (PGPASSWORD,
PGHOST, PGPORT, PGUSER, PGPASSFILE, ...) and from ~/.pgpass, so the password need never be in the
URL. Where it is, `masked(url)` (password as `***`) is the only form of the URL that may reach a
message, a log, a run record, a Prefect parameter or an artifact, and every driver message is
scrubbed of the password before it becomes ours (`scrub`): libpq and the driver quote the URI and
its parts in some errors.

Columns are matched exactly as an order file's header is (`segmentation.source.map_columns` with the
ORDERS contract, so `--columns` works the same), from the catalog (or, for a query, its described
result), before any row moves. What the reader yields, per contract column present:

    customer_id, order_id       text, as PostgreSQL writes the value (an integer or uuid key too)
    amount, quantity, unit_price text, as PostgreSQL writes the value: numeric exactly ('12.50'), so
                                the pipeline's number rule applies as to a file (NaN, Infinity refused)
    order_date                  DATE: a date as it is; a timestamp's written day; a timestamptz's
                                calendar day in the session's TimeZone (see below); a text column
                                stays text (typed by the pipeline's date detection, not filtered)
    source_key                  text naming the row for a failure report: the primary key's value
                                ('(A17,3)' for a key of several columns), else the ctid of a table
                                row ('(0,17)'); absent for a query without a key to give
    source_line                 BIGINT, the row's number in the order the server sent it (from 1)

Time zones: a PostgreSQL timestamptz is an instant; the offset it was written with is not stored. The
zone "the data carries" is therefore the one the database declares: the session's TimeZone, which
is the server's, the database's or the role's setting (ALTER DATABASE shop SET timezone = ...), or
libpq's PGTZ / `options=-c timezone=...` when the connection overrides it. The day is taken on the
server in that zone (`CAST(order_date AS date)`), which is the day psql and the shop's own reports
show; the zone used is recorded (`InspectedOrders.timezone`).

Point in time: only orders up to the period's end are read at all. The end is a bound parameter
(`set_config('segment.period_end', $1, false)`), and the reading statement compares the date column
with it in an InitPlan (`<= (SELECT current_setting(...)::date)`, evaluated once, usable by an
index). Why not `WHERE order_date <= $1` on the reading statement itself: the driver streams only a
statement without parameters (as `COPY (...) TO STDOUT (FORMAT binary)`); with a bound parameter
libpq holds the whole result in memory before the first batch (measured: benchmarks/postgres.py).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote

from segmentation.errors import InputFileError, PostgresSourceError
from segmentation.source import ORDERS, map_columns

if TYPE_CHECKING:
    import pyarrow as pa

SCHEMES = ("postgresql", "postgres")
MASK = "***"
CONNECT_TIMEOUT_S = 10  # libpq waits for ever on a host that drops packets; a run should not
APPLICATION_NAME = "segment"  # what a DBA sees in pg_stat_activity
PERIOD_END_SETTING = "segment.period_end"
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's NAMEDATALEN - 1
DateKind = Literal["date", "timestamp", "timestamptz", "text"]

# The catalog, read with bound parameters only; pg_catalog rather than information_schema, which
# hides the columns of a table the role may not read (a missing privilege would look like a missing table).
RELATION_SQL = """
SELECT n.nspname::text, c.relname::text, c.relkind::text, current_user::text, current_database()::text,
       current_setting('TimeZone')
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass($1)
"""
COLUMNS_SQL = """
SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
       has_column_privilege(a.attrelid, a.attnum, 'SELECT')
FROM pg_attribute AS a
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
PRIMARY_KEY_SQL = """
SELECT a.attname::text
FROM pg_index AS i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = to_regclass($1) AND i.indisprimary
ORDER BY k.position
"""
# Tables the role can see in a schema, for "did you mean".
TABLES_SQL = """
SELECT c.relname::text
FROM pg_class AS c
WHERE c.relnamespace = to_regnamespace($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY 1
"""
SESSION_SQL = "SELECT current_user::text, current_database()::text, current_setting('TimeZone'), current_schema()::text"
SCHEMA_EXISTS_SQL = "SELECT to_regnamespace($1) IS NOT NULL"


@dataclass(frozen=True)
class TableName:
    """A table named as PostgreSQL reads `schema.table`: unquoted parts folded to lower case."""

    schema: str | None  # None: the first schema of the search path that has it
    name: str

    def quoted(self) -> str:
        """The name as SQL, each part double-quoted ('"public"."Order Lines"'): safe to put in a statement."""
        parts = [self.schema, self.name] if self.schema is not None else [self.name]
        return ".".join(quote_identifier(p) for p in parts)

    def __str__(self) -> str:
        return self.quoted().replace('"', "") if _all_plain(self) else self.quoted()


@dataclass(frozen=True)
class PostgresOrders:
    """An order history in PostgreSQL as the user named it; nothing read yet.

    `dsn` may hold the password: hand it to the driver only, never to a message (use `masked`)."""

    dsn: str  # the URL without `table`, with connect_timeout and application_name added when absent
    url: str  # the URL as given
    table: TableName | None
    query: str | None

    @property
    def masked(self) -> str:
        """The URL as given, password as `***`: the only form that may be shown or stored."""
        return masked(self.url)

    @property
    def what(self) -> str:
        """What is read, for messages and the run record: 'table public.orders' or 'a query'."""
        return f"table {self.table}" if self.table else "the orders query"

    def __repr__(self) -> str:  # a dataclass repr would print the dsn, password and all
        return f"PostgresOrders({self.masked!r}, {self.what})"


@dataclass(frozen=True)
class InspectedOrders:
    """The source after its catalog check: which column is which, and how rows are named."""

    source: PostgresOrders
    header: tuple[str, ...]  # the table's (or the query's) column names, in order
    types: dict[str, str]  # column name -> its PostgreSQL type (a query: the Arrow type described)
    columns: dict[str, str]  # canonical column -> the source's column (map_columns)
    extra_columns: tuple[str, ...]  # the source's other columns, not read
    key: tuple[str, ...]  # the primary key's columns; ('ctid',) for a table without one; () for a query
    date_kind: DateKind
    timezone: str  # the session's TimeZone: a timestamptz's day is taken in it
    user: str
    database: str

    def as_record(self) -> dict[str, object]:
        """What a run records of its source (the password never): the URL masked, the table or the
        query, how rows are named, and how days are taken."""
        table = self.source.table
        return {
            "source": self.source.masked,
            "table": str(table) if table else None,
            "query": self.source.query,
            "key": list(self.key),
            "date_kind": self.date_kind,
            "timezone": self.timezone,
        }

    @property
    def kind(self) -> str:
        """The run record's source_format."""
        return "postgresql"

    @property
    def delimiter(self) -> None:
        """A table has none (the run record's delimiter)."""
        return None

    @property
    def pushed_down(self) -> bool:
        """Whether the point-in-time filter runs on the server (not for dates stored as text)."""
        return self.date_kind != "text"

    @property
    def row_word(self) -> str:
        """How a failure report names a row: 'line_id 17', '(order_id, line_no) (A17,3)', 'ctid (0,17)', 'row 17'."""
        if not self.key:
            return "row"
        return self.key[0] if len(self.key) == 1 else f"({', '.join(self.key)})"


# --- the URL ---


def is_postgres_url(text: str) -> bool:
    """Whether `--orders` names a PostgreSQL server rather than a file."""
    return text.split("://", 1)[0].casefold() in SCHEMES and "://" in text


def masked(url: str) -> str:
    """The URL with its password (in the user part, or a `password=` parameter) replaced by `***`.

    Args:
        url: a libpq URI.

    Returns:
        The same URL, safe to show.
    """
    head, password, tail = _password_split(url)
    shown = head + (":" + MASK if password is not None else "") + tail
    start, query = _query_split(shown)
    pieces = query.split("&") if query else []
    hidden = "&".join("password=" + MASK if p.split("=", 1)[0] == "password" else p for p in pieces)
    return start + ("?" + hidden if query else "")


def without_password(url: str) -> tuple[str, str | None]:
    """The URL without its password, and the password (percent-decoded), or None when it has none.

    For what crosses a process or is kept: the command line can hand the password to libpq through
    its own environment (PGPASSWORD) and pass only the password-less URL on as a flow parameter.

    Args:
        url: a libpq URI, the password in its user part or in a `password=` parameter.

    Returns:
        (the URL without a password, the password or None).
    """
    head, password, tail = _password_split(url)
    start, query = _query_split(head + tail)
    pieces = query.split("&") if query else []
    given = [p.split("=", 1)[1] for p in pieces if p.startswith("password=")]
    kept = [p for p in pieces if not p.startswith("password=")]
    found = password if password is not None else (given[-1] if given else None)
    return start + ("?" + "&".join(kept) if kept else ""), unquote(found) if found is not None else None


def _password_split(url: str) -> tuple[str, str | None, str]:
    """(everything before the password's ':', the password or None, '@' and everything after).

    Not urllib's urlsplit: a password written without percent-encoding its '/' ('pa/ss') would end the host
    part there, and what follows would be shown. The user part ends at the last '@' before the query.
    """
    scheme, sep, rest = url.partition("://")
    before_query, _ = _query_split(rest)
    userinfo, at, _ = before_query.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url, None, ""
    user, _, password = userinfo.partition(":")
    return f"{scheme}://{user}", password, rest[len(userinfo) :]


def _query_split(text: str) -> tuple[str, str]:
    """(before the query, the query) of a URL: the query starts at the first '?' after the last '@'
    that comes before a '?' (a password's own '?' must be percent-encoded, as libpq requires)."""
    first = text.find("?")
    at = text.rfind("@", 0, first if first >= 0 else len(text))
    mark = text.find("?", max(at, 0))
    return (text, "") if mark < 0 else (text[:mark], text[mark + 1 :])


def secrets(url: str) -> tuple[str, ...]:
    """Every form the password of `url` (and PGPASSWORD) may take in a driver's message: as written,
    percent-decoded and percent-encoded; longest first, so a longer form is replaced whole."""
    found: set[str] = set()
    password = _password_split(url)[1]
    if password:
        found.add(password)
    query = _query_split(url)[1]
    found.update(p.split("=", 1)[1] for p in query.split("&") if p.startswith("password="))
    if os.environ.get("PGPASSWORD"):
        found.add(os.environ["PGPASSWORD"])
    forms = {f for s in found for f in (s, unquote(s), quote(unquote(s), safe=""))}
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def scrub(text: str, url: str) -> str:
    """`text` (a driver's message) with the URL masked and every form of its password replaced by `***`."""
    text = text.replace(url, masked(url))
    for secret in secrets(url):
        text = text.replace(secret, MASK)
    return text


def parse_orders_url(url: str, *, query: str | None = None) -> PostgresOrders:
    """Parse `--orders` (and `--orders-query`) into what to connect to and what to read.

    Args:
        url: postgresql://user[:password]@host:port/database?table=schema.table (other libpq parameters,
            e.g. sslmode, are passed on); without a table when `query` is given.
        query: one SELECT whose columns are the order lines; it is read as a subquery, so a trailing
            ';' is dropped and a second statement is a syntax error.

    Returns:
        The source; nothing is contacted.

    Raises:
        PostgresSourceError: not a PostgreSQL URL, no table and no query (or both), a table name that
            is not an identifier, a port that is not a number.
    """
    shown = masked(url)
    if not is_postgres_url(url):
        raise PostgresSourceError(f"{shown}: not a PostgreSQL URL (postgresql://user@host:port/database?table=...)")
    start, query_string = _query_split(url)
    start, _, fragment = start.partition("#")
    if fragment:
        raise PostgresSourceError(f"{shown}: a URL for libpq has no '#' part (percent-encode a '#' as %23)")
    pieces = query_string.split("&") if query_string else []
    tables = [unquote(p.split("=", 1)[1]) for p in pieces if p.split("=", 1)[0] == "table" and "=" in p]
    rest = [p for p in pieces if p.split("=", 1)[0] != "table"]
    _check_port(start.split("://", 1)[1].rpartition("@")[2].split("/", 1)[0], shown)
    query = _clean_query(query, shown)
    if len(tables) > 1:
        raise PostgresSourceError(f"{shown}: names table= {len(tables)} times; give one")
    if query is not None and tables:
        raise PostgresSourceError(
            f"{shown}: names a table and --orders-query gives a query; give one of them\n"
            "hint: drop ?table=... from the URL to read the query, or drop --orders-query"
        )
    if query is None and not tables:
        raise PostgresSourceError(
            f"{shown}: says which server and database, not which orders\n"
            "hint: add ?table=schema.table to the URL (e.g. ?table=public.orders), "
            'or give --orders-query "SELECT ..."'
        )
    table = parse_table_name(tables[0], source=shown) if tables else None
    names = {p.split("=", 1)[0] for p in rest}
    rest += [f"connect_timeout={CONNECT_TIMEOUT_S}"] if "connect_timeout" not in names else []
    rest += [f"application_name={APPLICATION_NAME}"] if "application_name" not in names else []
    dsn = start + "?" + "&".join(rest)  # the URL as given, less `table`: libpq parses it
    return PostgresOrders(dsn=dsn, url=url, table=table, query=query)


def _check_port(hosts: str, shown: str) -> None:
    for host in hosts.split(","):
        port = host.rsplit("]", 1)[-1].rpartition(":")[2] if ":" in host.rsplit("]", 1)[-1] else ""
        if port and not port.isdigit():
            raise PostgresSourceError(f"{shown}: the port {port!r} is not a number")


def _clean_query(query: str | None, shown: str) -> str | None:
    if query is None:
        return None
    text = query.strip()
    while text.endswith(";"):  # as typed in psql; inside the subquery it would be a syntax error
        text = text[:-1].rstrip()
    if not text:
        raise PostgresSourceError(f"{shown}: --orders-query is empty; give a SELECT that returns the order lines")
    return text


def parse_table_name(text: str, *, source: str = "--orders") -> TableName:
    """`schema.table` or `table`, each part a plain identifier (folded to lower case, as PostgreSQL
    does) or a double-quoted one ("Order Lines", with "" for a quote).

    Raises:
        PostgresSourceError: anything else (a third part, an empty part, a stray character, too long).
    """
    parts: list[str] = []
    rest = text.strip()
    while True:
        part, rest = _identifier(rest, text, source)
        parts.append(part)
        if not rest:
            break
        if not rest.startswith("."):
            raise _bad_name(text, source, f"unexpected {rest[0]!r}")
        rest = rest[1:]
    if len(parts) > 2:
        raise _bad_name(text, source, "name it as schema.table (the database is the URL's)")
    return TableName(parts[0], parts[1]) if len(parts) == 2 else TableName(None, parts[0])


_PLAIN = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")


def _identifier(rest: str, text: str, source: str) -> tuple[str, str]:
    if rest.startswith('"'):
        match = re.match(r'"((?:[^"]|"")*)"', rest)
        if not match or not match.group(1):
            raise _bad_name(text, source, "a quoted part must be closed and not empty")
        name, rest = match.group(1).replace('""', '"'), rest[match.end() :]
    else:
        match = _PLAIN.match(rest)
        if not match:
            raise _bad_name(text, source, 'each part is a name (letters, digits, _) or "quoted"')
        name, rest = match.group(0).lower(), rest[match.end() :]
    if len(name.encode("utf-8")) > MAX_IDENTIFIER_BYTES or "\x00" in name:
        raise _bad_name(text, source, f"a part is longer than PostgreSQL's {MAX_IDENTIFIER_BYTES} bytes")
    return name, rest


def _bad_name(text: str, source: str, why: str) -> PostgresSourceError:
    return PostgresSourceError(
        f"{source}: table={text!r} is not a table name ({why})\n"
        "hint: table=schema.table, e.g. table=public.orders; quote a part that is not lower case: "
        'table="Sales"."Orders"'
    )


def quote_identifier(name: str) -> str:
    """A column or table name as SQL: double-quoted, quotes doubled (what PostgreSQL's quote_ident does, always)."""
    return '"' + name.replace('"', '""') + '"'


def _all_plain(table: TableName) -> bool:
    parts = [p for p in (table.schema, table.name) if p is not None]
    return all(re.fullmatch(r"[a-z_][a-z0-9_$]*", p) for p in parts)


# --- the driver and its errors ---


def _driver() -> Any:
    from adbc_driver_postgresql import dbapi  # about 0.6 s: only when a server is contacted

    return dbapi


def connect(source: PostgresOrders) -> Any:
    """An ADBC connection (autocommit; every transaction read-only).

    Raises:
        PostgresSourceError: the server cannot be reached, the credentials are refused, the database
            does not exist; one line with a hint, the password masked.
    """
    dbapi = _driver()
    try:
        conn = dbapi.connect(source.dsn, autocommit=True)
    except dbapi.Error as exc:
        raise connect_error(str(exc), source) from None
    try:
        with conn.cursor() as cur:
            # Whatever a query says, this session writes nothing.
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    except BaseException:
        conn.close()
        raise
    return conn


def connect_error(message: str, source: PostgresOrders) -> PostgresSourceError:
    """The driver's connection failure as one line a data engineer can act on, plus a hint."""
    text = scrub(message, source.url)
    detail = _libpq_detail(text)
    shown = source.masked
    if re.search(
        r"password authentication failed|no password supplied|authentication failed|"
        r'role "[^"]*" does not exist|pg_hba\.conf',
        text,
    ):
        return PostgresSourceError(
            f"{shown}: the server refused the credentials ({detail})\n"
            "hint: check the user and password; keep the password out of the URL: PGPASSWORD, or a line "
            "host:port:database:user:password in ~/.pgpass (mode 0600; PGPASSFILE names another file)"
        )
    missing = re.search(r'database "([^"]*)" does not exist', text)
    if missing:
        return PostgresSourceError(
            f"{shown}: the server has no database {missing.group(1)!r}\n"
            "hint: check the database in the URL's path (postgresql://user@host:port/DATABASE); psql -l lists them"
        )
    if re.search(r"invalid (URI|integer value|connection option)|missing \"=\"|unexpected|invalid sslmode", text):
        return PostgresSourceError(
            f"{shown}: libpq cannot use this URL ({detail})\n"
            "hint: postgresql://user@host:port/database?table=schema.table; other parameters are libpq's "
            "(sslmode, connect_timeout, options, ...)"
        )
    return PostgresSourceError(
        f"{shown}: cannot reach the PostgreSQL server ({detail})\n"
        "hint: is it running and accepting TCP connections on that host and port? pg_isready -h HOST -p PORT "
        "tells; a firewall, or listen_addresses / pg_hba.conf on the server, may stand between"
    )


def _libpq_detail(text: str) -> str:
    """libpq's own words, without the driver's prefixes, on one line."""
    text = re.sub(r"^\w+: \[libpq\] (Failed to connect: )?", "", text.strip())
    text = re.sub(r"connection to server at [^,]*, port \d+ failed: ", "", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = re.sub(r"^(FATAL|ERROR):\s+", "", lines[0]) if lines else "no message"
    return first


def query_error(exc: BaseException, source: PostgresOrders, *, doing: str) -> PostgresSourceError:
    """A failed statement (reading the catalog, describing the query, reading rows) as one line and a hint."""
    text = scrub(str(exc), source.url)
    state = getattr(exc, "sqlstate", None) or _sqlstate(text)
    detail = _server_message(text)
    shown = source.masked
    if state == "42501":
        return PostgresSourceError(
            f"{shown}: permission denied {doing} ({detail})\n"
            "hint: the role needs SELECT on what it reads: GRANT SELECT ON schema.table TO role (and USAGE ON "
            "SCHEMA); ask the database's owner"
        )
    if (state or "")[:2] in ("08", "57") or re.search(r"FATAL:|server closed the connection|connection .* lost", text):
        return PostgresSourceError(
            f"{shown}: the server ended {doing} ({detail})\n"
            "hint: a restart, an administrator or a statement_timeout of the role stopped it; nothing was kept: "
            "run it again (ALTER ROLE ... SET statement_timeout = 0 for a long read)"
        )
    if source.query is not None:
        return PostgresSourceError(
            f"{shown}: the orders query failed ({detail})\n"
            "hint: run the query in psql against the same database to see where; it is read as a "
            "subquery of the reader's own statement, so it must be one SELECT (no ';' but a trailing one)"
        )
    return PostgresSourceError(f"{shown}: {doing} failed ({detail})")


def _sqlstate(text: str) -> str | None:
    match = re.search(r"SQLSTATE: (\w{5})", text)
    return match.group(1) if match else None


def _server_message(text: str) -> str:
    match = re.search(r"(?:ERROR|FATAL):\s+(.+)", text)
    if match:
        return match.group(1).strip()
    return _libpq_detail(re.sub(r"\n\s*Query was:.*", "", text, flags=re.S))


@contextlib.contextmanager
def _statement_errors(source: PostgresOrders, doing: str) -> Iterator[None]:
    dbapi = _driver()
    try:
        yield
    except dbapi.Error as exc:
        raise query_error(exc, source, doing=doing) from None


# --- the catalog ---


@dataclass(frozen=True)
class _Catalog:
    header: tuple[str, ...]
    types: dict[str, str]
    denied: frozenset[str]  # columns the role may not read
    key: tuple[str, ...]
    user: str
    database: str
    timezone: str
    relation: str  # schema.table as the server resolved it; 'query' for a query


def inspect_postgres(source: PostgresOrders, *, columns: Mapping[str, str] | None = None) -> InspectedOrders:
    """Connect, find the table (or describe the query) and map its columns onto the order contract;
    no order row is read.

    Args:
        source: from `parse_orders_url`.
        columns: explicit canonical column -> source column (--columns / SEGMENT_COLUMNS), as for a file.

    Returns:
        The inspected source.

    Raises:
        PostgresSourceError: the server, credentials, database, table, a privilege or the query fails;
            a contract column is missing (with the hints a file header gets); no amount.
    """
    conn = connect(source)
    try:
        with conn.cursor() as cur:
            catalog = _table_catalog(cur, source) if source.table is not None else _query_catalog(cur, source)
    finally:
        conn.close()
    found, extra = _map(source, catalog.header, columns or {})
    _check_privileges(source, found, catalog)
    return InspectedOrders(
        source=source,
        header=catalog.header,
        types=catalog.types,
        columns=found,
        extra_columns=extra,
        key=catalog.key,
        date_kind=_date_kind(catalog.types[found["order_date"]]),
        timezone=catalog.timezone,
        user=catalog.user,
        database=catalog.database,
    )


def _table_catalog(cur: Any, source: PostgresOrders) -> _Catalog:
    assert source.table is not None
    name = source.table.quoted()
    with _statement_errors(source, f"reading the catalog of {source.what}"):
        cur.execute(RELATION_SQL, parameters=(name,))
        relation = cur.fetchone()
        if relation is None:
            raise _missing_table(cur, source)
        cur.execute(COLUMNS_SQL, parameters=(name,))
        rows = cur.fetchall()
        cur.execute(PRIMARY_KEY_SQL, parameters=(name,))
        key = tuple(row[0] for row in cur.fetchall())
    schema, relname, kind, user, database, timezone = relation
    if not key and kind in ("r", "m"):
        key = ("ctid",)  # names a row of a plain table as the server stores it: WHERE ctid = '(0,17)'
    return _Catalog(
        header=tuple(r[0] for r in rows),
        types={r[0]: r[1] for r in rows},
        denied=frozenset(r[0] for r in rows if not r[2]),
        key=key,
        user=user,
        database=database,
        timezone=timezone,
        relation=f"{schema}.{relname}",
    )


def _query_catalog(cur: Any, source: PostgresOrders) -> _Catalog:
    with _statement_errors(source, "running the orders query"):
        # Run with LIMIT 0, not only described: privileges are checked when a statement runs, and the
        # server stops before the first row. The query is the user's own SQL by design (their
        # credentials, a read-only session).
        cur.execute(f"SELECT * FROM (\n{source.query}\n) AS orders LIMIT 0")  # noqa: S608
        schema = cur.fetch_arrow_table().schema
        cur.execute(SESSION_SQL)
        user, database, timezone, _ = cur.fetchone()
    types = {field.name: _arrow_kind(field.type) for field in schema}
    return _Catalog(tuple(schema.names), types, frozenset(), (), user, database, timezone, "query")


def _arrow_kind(arrow_type: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp without time zone"
    return str(arrow_type)


def _date_kind(pg_type: str) -> DateKind:
    if pg_type == "date":
        return "date"
    if pg_type.startswith("timestamp") and pg_type.endswith("with time zone") and "without" not in pg_type:
        return "timestamptz"
    if pg_type.startswith("timestamp"):
        return "timestamp"
    return "text"


def _map(source: PostgresOrders, header: tuple[str, ...], columns: Mapping[str, str]) -> tuple[dict, tuple]:
    try:
        found, extra = map_columns(list(header), columns, source=f"{source.masked} ({source.what})", contract=ORDERS)
    except PostgresSourceError:
        raise
    except InputFileError as exc:
        raise PostgresSourceError(str(exc)) from None
    if "amount" not in found and not {"quantity", "unit_price"} <= set(found):
        raise PostgresSourceError(
            f"{source.masked} ({source.what}): no amount column: it has {list(header)}\n"
            'hint: map the line amount with --columns "amount=YOUR COLUMN", or give quantity and unit_price '
            '(e.g. --columns "quantity=qty,unit_price=price")'
        )
    return found, extra


def _check_privileges(source: PostgresOrders, found: dict[str, str], catalog: _Catalog) -> None:
    denied = [name for name in found.values() if name in catalog.denied]
    if denied:
        assert source.table is not None
        raise PostgresSourceError(
            f"{source.masked}: permission denied: role {catalog.user!r} may not read {denied} of table "
            f"{catalog.relation}\n"
            f"hint: GRANT SELECT ON {source.table.quoted()} TO {quote_identifier(catalog.user)}; "
            "ask the table's owner (or read it as a role that has SELECT)"
        )


def _missing_table(cur: Any, source: PostgresOrders) -> PostgresSourceError:
    """Why the table is not there (no such schema, or no such table in it), with the closest name it has."""
    table = source.table
    assert table is not None
    cur.execute(SESSION_SQL)
    _, database, _, current_schema = cur.fetchone()
    schema = table.schema or current_schema or "public"
    cur.execute(SCHEMA_EXISTS_SQL, parameters=(quote_identifier(schema),))
    if not cur.fetchone()[0]:
        return PostgresSourceError(
            f"{source.masked}: database {database!r} has no schema {schema!r}\n"
            "hint: check the schema in table=schema.table (psql's \\dn lists them), or the database in the URL"
        )
    cur.execute(TABLES_SQL, parameters=(quote_identifier(schema),))
    tables = [row[0] for row in cur.fetchall()]
    where = f"schema {table.schema!r}" if table.schema else "the search path"
    line = f"{source.masked}: database {database!r} has no table {table.name!r} in {where}"
    close = difflib.get_close_matches(table.name, tables, n=1, cutoff=0.6)
    if close:
        return PostgresSourceError(f"{line}\nhint: did you mean table={TableName(table.schema, close[0])}?")
    if not tables:
        hint = "the schema has no table this role can see; check the schema, or the database in the URL"
    else:
        hint = f"its tables: {tables[:10]}" + (" ..." if len(tables) > 10 else "")
    return PostgresSourceError(f"{line}\nhint: {hint}")


# --- the reader ---


def order_select(inspected: InspectedOrders, *, end: date | None, with_key: bool = True) -> str:
    """The statement the reader runs: the contract columns as documented above, filtered on the
    server to orders up to `end` (inclusive; compared with the `segment.period_end` setting, which
    the reader binds) unless the dates are text. Identifiers are quoted; no value is in it.

    Args:
        inspected: from `inspect_postgres`.
        end: the last day whose orders are read; None reads every row.
        with_key: add `source_key` (the primary key's value, or a table row's ctid).

    Returns:
        One SELECT statement.
    """
    columns = inspected.columns
    select = [_select_column(c, quote_identifier(columns[c]), inspected.date_kind) for c in columns]
    key = _key_expression(inspected.key) if with_key else None
    if key:
        select.append(f"{key} AS source_key")
    source = inspected.source
    relation = source.table.quoted() if source.table else f"(\n{source.query}\n)"
    where = _end_filter(quote_identifier(columns["order_date"]), inspected.date_kind) if end else ""
    return f"SELECT {', '.join(select)}\nFROM {relation} AS orders{where}"


def _select_column(canonical: str, column: str, date_kind: DateKind) -> str:
    if canonical == "order_date" and date_kind in ("timestamp", "timestamptz"):
        return f"CAST({column} AS date) AS order_date"  # a timestamptz: the day in the session's TimeZone
    if canonical == "order_date" and date_kind == "date":
        return f"{column} AS order_date"
    return f"CAST({column} AS text) AS {canonical}"


def _key_expression(key: tuple[str, ...]) -> str | None:
    if not key:
        return None
    if key == ("ctid",):
        return "CAST(ctid AS text)"
    if len(key) == 1:
        return f"CAST({quote_identifier(key[0])} AS text)"
    return f"CAST(ROW({', '.join(quote_identifier(k) for k in key)}) AS text)"


def _end_filter(column: str, date_kind: DateKind) -> str:
    end = f"(SELECT CAST(current_setting('{PERIOD_END_SETTING}') AS date)"
    if date_kind == "date":
        return f"\nWHERE {column} <= {end})"
    if date_kind == "timestamp":
        return f"\nWHERE {column} < {end} + 1)"  # before the next day's midnight, as written
    if date_kind == "timestamptz":
        # The next day's midnight in the session's TimeZone: the same days as CAST(... AS date).
        return f"\nWHERE {column} < CAST({end} + 1) AS timestamptz)"
    return ""  # dates as text: typed (and filtered) by the pipeline, every row read


@contextlib.contextmanager
def open_order_reader(
    inspected: InspectedOrders, *, end: date | None, with_key: bool = True
) -> Iterator[pa.RecordBatchReader]:
    """Stream the order lines up to `end` as Arrow record batches (columns as documented above).

    The batches come from PostgreSQL's binary COPY as the consumer asks for them, so memory stays
    bounded whatever the table's size: register the reader in DuckDB and let it pull. Use it inside
    the `with` block: the connection closes at its end.

    Args:
        inspected: from `inspect_postgres`.
        end: the last day (inclusive) whose orders are read; None reads every row.
        with_key: add `source_key` and `source_line`, which name a row in a failure report. Without
            them the read is the contract columns alone: the server's COPY is the bottleneck, and a
            ctid as text costs it about a third more (benchmarks/postgres.py); like an order file,
            whose lines are numbered only when a failed run's report reads it again.

    Yields:
        A RecordBatchReader, to be read once.

    Raises:
        PostgresSourceError: connecting or reading fails (a privilege revoked since the inspection,
            a query that fails when run, the server gone); the password masked.
    """
    source = inspected.source
    conn = connect(source)
    cur = conn.cursor()
    reader = None
    try:
        with _statement_errors(source, f"reading {source.what}"):
            if end is not None:
                cur.execute("SELECT set_config($1, $2, false)", parameters=(PERIOD_END_SETTING, end.isoformat()))
                cur.fetchall()
            cur.execute(order_select(inspected, end=end, with_key=with_key))  # no parameters: streamed by COPY
            reader = cur.fetch_record_batch()
        try:
            yield numbered(reader) if with_key else reader
        except Exception as exc:
            # An error inside the stream surfaces in the consumer (DuckDB) with the driver's words.
            if "[libpq]" in str(exc) or isinstance(exc, _driver().Error):
                raise query_error(exc, source, doing=f"reading {source.what}") from None
            raise
    finally:
        # The stream first: released after its connection, it would touch a closed libpq connection
        # (a consumer that still holds the reader, e.g. a DuckDB view, gets an error, not a crash).
        if reader is not None:
            reader.close()
        cur.close()
        conn.close()


def numbered(reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
    """The same batches with `source_line` appended: each row's number in the stream, from 1.

    Python sees each batch (16 MB of rows), never a row; the batches are not held. The numbers are
    made in Arrow's own memory, not numpy's: freeing a numpy-backed buffer needs the GIL, and DuckDB
    frees batches on its own threads, once while its connection was being destroyed under the GIL
    (a deadlock seen in benchmarks/postgres.py at process exit).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = reader.schema.append(pa.field("source_line", pa.int64(), nullable=False))

    def batches() -> Iterator[pa.RecordBatch]:
        start = 1
        for batch in reader:
            ones = pa.repeat(pa.scalar(1, pa.int64()), batch.num_rows)
            lines = pc.cumulative_sum(ones, start=start - 1)
            start += batch.num_rows
            yield pa.RecordBatch.from_arrays([*batch.columns, lines], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())
