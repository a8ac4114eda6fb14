"""`segment sample`: the bundled sample data, written anew (a customer table or an order history)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.output import out
from segmentation.settings import SAMPLE_ORDERS, SAMPLE_ROWS, SAMPLE_SEED, SAMPLE_SOURCE


def sample(
    out_path: Annotated[
        Path | None, typer.Option("--out", metavar="PATH", help="CSV to write. Default: the bundled sample's path.")
    ] = None,
    rows: Annotated[int | None, typer.Option(min=1, metavar="N", help="Customers to draw.")] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="Random seed.")] = SAMPLE_SEED,
    orders: Annotated[
        bool, typer.Option("--orders", help="Write an order history (one row per order line) instead.")
    ] = False,
) -> None:
    """Write a seeded synthetic customer file in the Mall Customers format, or an order history.

    The order history (--orders) spans two and a half years with behavioural groups that drift:
    loyal big spenders, regulars, occasional bargain hunters, newcomers arriving late, and
    customers who lapse; a few orders are partly returned.
    Example: segment sample --orders --out orders.csv --rows 5000 --seed 1
    """
    from segmentation.sample import (
        ORDER_SAMPLE_CUSTOMERS,
        generate_customers,
        generate_orders,
        write_customers,
        write_orders,
    )

    if orders:
        n = rows or ORDER_SAMPLE_CUSTOMERS
        table = generate_orders(n, seed=seed)
        path = write_orders(table, out_path or SAMPLE_ORDERS)
        out().print(f"wrote {table.num_rows} order lines of {n} customers to {path}")
        return
    n = rows or SAMPLE_ROWS
    write_customers(generate_customers(n, seed=seed), out_path or SAMPLE_SOURCE)
    out().print(f"wrote {n} customers to {out_path or SAMPLE_SOURCE}")
