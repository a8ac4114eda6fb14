"""The one handle to the warehouse (Dagster's `DuckDBResource`): made from Settings, it opens
connections; stages, flows and the command line never call `connect(...)` themselves.

It holds a path and a lock timeout, never a live connection: a handle is safe to pass to a task,
to a thread, or into a cache key, and each `read()` / `write()` / `transaction()` opens and closes
its own connection (DuckDB allows one writer process or many readers, never both).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse.connection import connect, connect_bi
from warehouse.connection import transaction as begin_commit

if TYPE_CHECKING:  # settings live above the warehouse; only their fields are read here
    from segmentation.settings import Settings


@dataclass(frozen=True)
class Warehouse:
    """Where the warehouse is and how long to wait for another process's lock."""

    path: Path
    lock_timeout_s: float = 60.0
    bi_path: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> Warehouse:
        """The handle a run's settings describe."""
        return cls(Path(settings.db_path), settings.lock_timeout_s, Path(settings.bi_path))

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; refuses a warehouse written by a newer pipeline."""
        with connect(self.path, read_only=True, lock_timeout_s=self.lock_timeout_s) as con:
            yield con

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection, migrated to this code's schema first."""
        with connect(self.path, lock_timeout_s=self.lock_timeout_s) as con:
            yield con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection inside one BEGIN … COMMIT (ROLLBACK on any error)."""
        with self.write() as con, begin_commit(con):
            yield con

    @contextmanager
    def read_bi(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A hardened read-only connection to the BI surface, as BI tools see it."""
        if self.bi_path is None:
            raise ValueError("this handle was made without a BI surface path")
        with closing(connect_bi(self.bi_path)) as con:
            yield con
