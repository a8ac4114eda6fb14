"""The DuckDB warehouse: the one door to the database, its migrations, SQL and BI views."""

from warehouse.connection import (
    WarehouseError,
    WarehouseLocked,
    WarehouseVersionError,
    connect,
    connect_bi,
    open_order_store,
    open_scratch,
    scratch,
    sql,
    transaction,
    writer_lock,
)
from warehouse.handle import Warehouse

__all__ = [
    "Warehouse",
    "WarehouseError",
    "WarehouseLocked",
    "WarehouseVersionError",
    "connect",
    "connect_bi",
    "open_order_store",
    "open_scratch",
    "scratch",
    "sql",
    "transaction",
    "writer_lock",
]
