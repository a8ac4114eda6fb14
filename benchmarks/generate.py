"""Write a seeded, Mall-shaped customer file of any size (five income/spending groups, Gender, Age).

    python benchmarks/generate.py --rows 10000000 --out /tmp/customers_10m.csv [--seed 1]

The same generator as `segment sample` (tasks/sample.py): the same seed gives the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tasks.sample import generate_customers, write_customers


def generate(rows: int, out: Path, *, seed: int = 1) -> Path:
    """Write `rows` customers to `out` (CSV) unless a file of that name is already there."""
    if not out.exists():
        write_customers(generate_customers(rows, seed=seed), out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(generate(args.rows, args.out, seed=args.seed))


if __name__ == "__main__":
    main()
