"""A real PostgreSQL server for tests and benchmarks, in a temporary folder.

`postgres_server` (session scope; the integration conftest imports it) runs `initdb` and `pg_ctl`
on 127.0.0.1 at a free port, TCP only (no Unix socket), and stops and removes it at the end of the
session, also when a test failed. The binaries: the machine's own PostgreSQL when one is installed
(/usr/lib/postgresql/<version>/bin, the newest), else the ones the `pgserver` wheel bundles (the test
extra pins it, so README's test command needs nothing but pip). As root the server runs as the
`postgres` user, or `nobody` where there is none (PostgreSQL refuses to run as root), and its
folder belongs to that user.

Authentication (pg_hba.conf): the superuser `postgres` is trusted from 127.0.0.1 (the fixture's own
door: `PostgresServer.sql`, `copy_rows`); every other role needs its password (scram-sha-256), so
tests can check how credentials are given and refused. Durability is off (fsync, full-page writes,
synchronous commit): a throwaway server loads rows several times faster that way.
A test that needs to see what the server executed turns on `log_statement` for its database and
reads `folder/server.log`.

With neither, the fixture fails saying how to install one; it never skips: a skip would hide that
these tests no longer run. No Prefect, no driver under test: the helpers talk to the server through
`psql`.
"""

from __future__ import annotations

import csv
import glob
import importlib.util
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

INSTALL = 'pip install -c constraints.txt -e ".[test]" (it brings pgserver), or apt-get install -y postgresql'
SERVICE_USERS = ("postgres", "nobody")  # the OS user the server runs as when the tests run as root: the first there is
SUPERUSER = "postgres"  # the database superuser initdb creates (trusted from 127.0.0.1)
ORDER_COLUMNS = ("customer_id", "order_date", "amount", "order_id")
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "unix_socket_directories": "''",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "30",
    "timezone": "'UTC'",  # initdb takes the machine's zone; tests that need another set it per database
    "log_min_messages": "warning",
}
INITDB_OPTIONS = ("-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
HBA = f"""# TYPE DATABASE USER ADDRESS METHOD
host all {SUPERUSER} 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


class PostgresMissing(RuntimeError):
    """PostgreSQL's server binaries are not installed."""


def bin_dir() -> Path:
    """Where initdb, pg_ctl, postgres and psql are: the newest /usr/lib/postgresql/<version>/bin, else
    the pgserver wheel's.

    Raises:
        PostgresMissing: neither is installed; the message says how to install one.
    """
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").is_file()]
    found = [p for p in found if (p / "pg_ctl").is_file() and p.parent.name.isdigit()]
    if found:
        return max(found, key=lambda p: int(p.parent.name))
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "pginstall" / "bin"
        if (bundled / "initdb").is_file() and (bundled / "pg_ctl").is_file():
            return bundled
    raise PostgresMissing(f"no PostgreSQL server binaries (initdb, pg_ctl) on this machine: {INSTALL}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """This process's environment without libpq's variables (PGPASSWORD, PGHOST, ...): a test may set them
    to check how the code under test reads them, and they must not steer the fixture's own psql."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


@dataclass
class PostgresServer:
    """A running server: where it listens, and helpers that run SQL as the superuser through psql."""

    bin: Path
    folder: Path  # holds data/ and server.log; removed by `stop`
    port: int
    host: str = "127.0.0.1"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def version(self) -> str:
        """The server's version, e.g. '16.2' (from `postgres --version`)."""
        done = subprocess.run([str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=True)
        return done.stdout.split()[-1]

    def url(self, database: str = "postgres", *, user: str = SUPERUSER, password: str | None = None) -> str:
        """A libpq URI for `database` (postgresql://user[:password]@127.0.0.1:port/database)."""
        secret = f":{quote(password, safe='')}" if password is not None else ""
        return f"postgresql://{quote(user, safe='')}{secret}@{self.host}:{self.port}/{database}"

    def _psql(self, database: str) -> list[str]:
        connection = ["-h", self.host, "-p", str(self.port), "-U", SUPERUSER, "-d", database]
        return [str(self.bin / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *connection]

    def sql(self, statements: str, database: str = "postgres") -> str:
        """Run SQL as the superuser; its output (unaligned, tuples only).

        Raises:
            RuntimeError: psql failed; with its message.
        """
        done = subprocess.run(
            [*self._psql(database), "-c", statements], capture_output=True, text=True, env=clean_env(), check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql on {database} failed: {done.stderr.strip()}\n{statements}")
        return done.stdout.strip()

    def create_database(self, name: str, *, timezone: str | None = None) -> str:
        """A new empty database; its name.

        Args:
            name: a plain lower-case identifier.
            timezone: the database's TimeZone setting, e.g. 'America/New_York' (default: the server's, UTC).
        """
        self.sql(f'CREATE DATABASE "{name}"')
        if timezone:
            self.sql(f"ALTER DATABASE \"{name}\" SET timezone = '{timezone}'")
        return name

    def create_role(self, name: str, *, password: str | None = None) -> str:
        """A login role (with a password when given) that may connect and use schema public; its name."""
        secret = f" PASSWORD '{password}'" if password is not None else ""
        self.sql(f'CREATE ROLE "{name}" LOGIN{secret}')
        return name

    def create_orders_table(
        self,
        database: str,
        table: str = "public.orders",
        *,
        order_date_type: str = "date",
        key: bool = True,
        columns: Sequence[str] = ORDER_COLUMNS,
    ) -> str:
        """An empty table of order lines: customer_id text, order_date (date, timestamp or timestamptz),
        amount numeric(12,2), order_id text, with an identity primary key `line_id` when `key`; its name.

        `columns` renames the four columns in that order (e.g. a table whose header needs a mapping).
        """
        names = [f'"{c}"' for c in columns]
        types = ["text", order_date_type, "numeric(12,2)", "text"]
        body = ", ".join(f"{n} {t}" for n, t in zip(names, types, strict=True))
        if key:
            body = f"line_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {body}"
        self.sql(f"CREATE TABLE {table} ({body})", database)
        return table

    def copy_rows(
        self, database: str, table: str, rows: Iterable[Sequence[object]], columns: Sequence[str] = ORDER_COLUMNS
    ) -> None:
        """Load rows with COPY FROM STDIN (CSV; None is NULL): thousands of rows in milliseconds."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in rows:
            writer.writerow(["\\N" if v is None else v for v in row])
        target = f"{table} ({', '.join(f'{chr(34)}{c}{chr(34)}' for c in columns)})"
        command = f"\\copy {target} FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        done = subprocess.run(
            [*self._psql(database), "-c", command],
            input=buffer.getvalue(),
            capture_output=True,
            text=True,
            env=clean_env(),
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"COPY into {table} failed: {done.stderr.strip()}")

    def stop(self) -> None:
        """Stop at once (the data is thrown away) and remove the folder."""
        if (self.data / "postmaster.pid").exists():
            _run_as_service(
                [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"], check=False
            )
        shutil.rmtree(self.folder, ignore_errors=True)


def _service_user() -> pwd.struct_passwd | None:
    """The OS account the server runs as: None when this process is not root, else the first of
    SERVICE_USERS that exists.

    Raises:
        PostgresMissing: root, and none of them exists.
    """
    if os.geteuid() != 0:
        return None
    for name in SERVICE_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresMissing(f"running as root and no account to run the server as (tried {', '.join(SERVICE_USERS)})")


def _as_service(command: list[str]) -> list[str]:
    """The command as the service user when this process is root (PostgreSQL refuses root)."""
    account = _service_user()
    if account is None:
        return command
    return ["runuser", "-u", account.pw_name, "--", *command]


def _run_as_service(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        _as_service(command), capture_output=True, text=True, env=clean_env(), check=False, cwd=tempfile.gettempdir()
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed: {(done.stderr or done.stdout).strip()}")
    return done


def _private_folder() -> Path:
    """A temporary folder the server's user owns (pytest's tmp_path is root's, 0700: not reachable)."""
    account = _service_user()
    folder = Path(tempfile.mkdtemp(prefix="segment-pg-"))
    if account is not None:
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def _initdb(server: PostgresServer) -> None:
    _run_as_service(
        [str(server.bin / "initdb"), "-D", str(server.data), "-U", SUPERUSER, "-A", "trust", *INITDB_OPTIONS]
    )
    conf = "".join(f"{name} = {value}\n" for name, value in SETTINGS.items())
    # Root may write the files the service user owns; they keep their owner.
    _append(server.data / "postgresql.conf", conf)
    _replace(server.data / "pg_hba.conf", HBA)


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:  # root may write a file it does not own
        handle.write(text)


def _replace(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _start(server: PostgresServer) -> None:
    log = server.folder / "server.log"
    port = f"-p {server.port}"
    done = _run_as_service(
        [str(server.bin / "pg_ctl"), "-D", str(server.data), "-l", str(log), "-w", "-t", "60", "-o", port, "start"],
        check=False,
    )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else done.stderr
        raise RuntimeError(f"PostgreSQL did not start on port {server.port}: {tail.strip()}")


def start_server(attempts: int = 3) -> PostgresServer:
    """initdb a new cluster in a temporary folder and start it on a free port (retried: another process
    may take the port between choosing and binding it).

    Raises:
        PostgresMissing: PostgreSQL is not installed.
        RuntimeError: initdb or the server failed; with the server's log.
    """
    binaries = bin_dir()
    folder = _private_folder()
    server = PostgresServer(binaries, folder, free_port())
    try:
        _initdb(server)
        for attempt in range(attempts):
            try:
                _start(server)
                return server
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                server.port = free_port()
                time.sleep(0.2)
    except BaseException:
        server.stop()
        raise
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (about 1.5 s to initdb and start); stopped and removed after."""
    try:
        server = start_server()
    except PostgresMissing as exc:
        pytest.fail(f"{exc} (as .ci/run does)")
    try:
        yield server
    finally:
        server.stop()
