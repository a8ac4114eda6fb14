"""Write a seeded benchmark file of any size: Mall-shaped customers, or an order history.

    python benchmarks/generate.py --rows 10000000 --out /tmp/customers_10m.csv [--seed 1]
    python benchmarks/generate.py --orders --rows 1000000 --out /tmp/orders_10m.csv   # about 10 lines per customer

The same generators as `segment sample` (segmentation/sample.py): the same seed gives the same file.
Order histories are written in chunks of customers, so a hundred million lines need no more
memory than five million.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow.csv as pacsv

from segmentation.sample import generate_customers, generate_orders, write_customers

ORDER_CHUNK = 250_000  # customers per chunk of an order history
# About ten order lines per customer over the sample's two and a half years (the default
# groups give about 24): 10M customers make 100M lines.
ORDER_RATE_SCALE = 0.4


def generate(rows: int, out: Path, *, seed: int = 1) -> Path:
    """Write `rows` customers to `out` (CSV) unless a file of that name is already there."""
    if not out.exists():
        write_customers(generate_customers(rows, seed=seed), out)
    return out


def generate_order_file(customers: int, out: Path, *, seed: int = 1) -> tuple[Path, int]:
    """Write the order lines of `customers` customers to `out` (CSV), chunk by chunk; (path, lines)."""
    partial = out.with_name(out.name + ".partial")
    lines = 0
    writer = None
    try:
        for number, first in enumerate(range(0, customers, ORDER_CHUNK)):
            size = min(ORDER_CHUNK, customers - first)
            table = generate_orders(size, seed=seed * 1_000 + number, first_id=first + 1, rate_scale=ORDER_RATE_SCALE)
            if writer is None:
                options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
                writer = pacsv.CSVWriter(str(partial), table.schema, write_options=options)
            writer.write_table(table)
            lines += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    partial.rename(out)
    return out, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True, help="customers")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders", action="store_true", help="an order history of --rows customers")
    args = parser.parse_args()
    if args.orders:
        if not args.out.exists():
            generate_order_file(args.rows, args.out, seed=args.seed)
        print(args.out)
    else:
        print(generate(args.rows, args.out, seed=args.seed))


if __name__ == "__main__":
    main()
