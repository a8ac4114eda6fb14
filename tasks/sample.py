"""A seeded generator of Mall-format customer files, for the bundled sample and for tests.

Customers are drawn around five income/spending groups like the ones retail data shows, so
the sample has a real structure to find; nothing is copied from any real dataset.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from schemas.columns import CANONICAL_HEADERS
from tasks.settings import SAMPLE_ROWS, SAMPLE_SEED  # noqa: F401 (the bundled sample's recipe)

# (share, income mean k$, income sd, spending mean, spending sd, age mean, age sd)
GROUPS = (
    (0.40, 55, 8, 50, 6, 42, 13),
    (0.18, 88, 12, 82, 8, 32, 4),
    (0.17, 88, 13, 17, 9, 41, 11),
    (0.12, 26, 7, 20, 12, 45, 13),
    (0.13, 26, 7, 79, 10, 25, 5),
)


def generate_customers(n_rows: int, *, seed: int, first_id: int = 1) -> pd.DataFrame:
    """Draw `n_rows` customers with the source file's headers.

    Args:
        n_rows: how many customers.
        seed: random seed; the same seed gives the same file.
        first_id: the first CustomerID.

    Returns:
        A frame with the CANONICAL_HEADERS columns, ready for `to_csv(index=False)`.
    """
    rng = np.random.default_rng(seed)
    shares = np.array([g[0] for g in GROUPS])
    group = rng.choice(len(GROUPS), size=n_rows, p=shares / shares.sum())
    params = np.array([g[1:] for g in GROUPS], dtype=float)[group]
    income = rng.normal(params[:, 0], params[:, 1])
    spending = rng.normal(params[:, 2], params[:, 3])
    age = rng.normal(params[:, 4], params[:, 5])
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(first_id, first_id + n_rows),
            "gender": rng.choice(["Female", "Male"], size=n_rows, p=[0.56, 0.44]),
            "age": np.clip(np.rint(age), 18, 80).astype(int),
            "annual_income": np.clip(np.rint(income), 10, 150).astype(int),
            "spending_score": np.clip(np.rint(spending), 1, 100).astype(int),
        }
    )
    return frame.rename(columns=CANONICAL_HEADERS)


def write_customers(frame: pd.DataFrame, path: Path) -> Path:
    """Write generated customers as CSV, unquoted (millions of rows in seconds)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path, options)
    return path
