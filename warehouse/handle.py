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
    from warehouse.serving import SyncResult


@dataclass(frozen=True)
class Warehouse:
    """Where the warehouse is, how long to wait for another process's lock, and the storage format
    of a warehouse it creates."""

    path: Path | None
    lock_timeout_s: float = 60.0
    bi_path: Path | None = None
    storage_version: str = "v1.0.0"  # DuckDB 1.x readers open a warehouse made in this format
    mount_path: Path | None = None  # the BI file's folder as BI tools see it (SEGMENT_BI_MOUNT_PATH)

    @classmethod
    def of(cls, settings: Settings) -> Warehouse:
        """The handle a run's settings describe."""
        return cls(
            Path(settings.db_path),
            settings.lock_timeout_s,
            Path(settings.bi_path),
            settings.storage_version,
            settings.bi_mount_path,
        )

    @classmethod
    def of_bi(cls, bi_path: Path) -> Warehouse:
        """A handle to the BI surface alone, for a reader that knows only its path (`segment report`)."""
        return cls(None, bi_path=Path(bi_path))

    @property
    def exists(self) -> bool:
        return self.path is not None and self.path.exists()

    def _warehouse(self) -> Path:
        if self.path is None:
            raise ValueError("this handle was made for the BI surface alone, without the warehouse's path")
        return self.path

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; refuses a warehouse written by a newer pipeline."""
        with connect(self._warehouse(), read_only=True, lock_timeout_s=self.lock_timeout_s) as con:
            yield con

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection, migrated to this code's schema first (a new file is made first)."""
        with connect(
            self._warehouse(), lock_timeout_s=self.lock_timeout_s, storage_version=self.storage_version
        ) as con:
            yield con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection inside one BEGIN … COMMIT (ROLLBACK on any error)."""
        with self.write() as con, begin_commit(con):
            yield con

    def serve(self, *, rebuild: bool = False, wait: bool = True) -> SyncResult:
        """Bring the BI surface up to date with the warehouse (warehouse/serving.py `sync`)."""
        from warehouse.serving import sync

        if self.bi_path is None:
            raise ValueError("this handle was made without a BI surface path")
        return sync(
            self._warehouse(),
            self.bi_path,
            rebuild=rebuild,
            lock_timeout_s=self.lock_timeout_s,
            storage_version=self.storage_version,
            mount_path=self.mount_path,
            wait=wait,
        )

    @contextmanager
    def read_bi(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A hardened read-only connection to the BI surface, as BI tools see it."""
        if self.bi_path is None:
            raise ValueError("this handle was made without a BI surface path")
        with closing(connect_bi(self.bi_path)) as con:
            yield con
