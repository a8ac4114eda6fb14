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
from segmentation.settings import SAMPLE_ROWS, SAMPLE_SEED  # noqa: F401 (the bundled sample's recipe)

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


# Behavioural groups of an order history: (share, orders per month while active, mean order value,
# month the group's customers start arriving (0 = the history's start), chance to lapse).
ORDER_GROUPS = (
    (0.15, 1.6, 140.0, 0.0, 0.05),  # loyal big spenders
    (0.30, 0.7, 60.0, 0.0, 0.15),  # regulars
    (0.25, 0.2, 30.0, 0.0, 0.35),  # occasional bargain hunters
    (0.15, 0.8, 55.0, 0.7, 0.05),  # newcomers: arrive in the last 30 % of the history
    (0.15, 0.9, 70.0, 0.0, 1.00),  # lapsing: used to buy often, stop at some point
)
ORDER_SAMPLE_CUSTOMERS = 600
ORDER_SAMPLE_START = "2024-07-01"
ORDER_SAMPLE_END = "2026-11-30"


def generate_orders(
    n_customers: int,
    *,
    seed: int,
    start: str = ORDER_SAMPLE_START,
    end: str = ORDER_SAMPLE_END,
    first_id: int = 1,
    rate_scale: float = 1.0,
) -> pa.Table:
    """Draw an order history: one row per order line (order_id, customer_id, order_date, quantity, amount).

    Customers arrive over the history (newcomers late), order at their group's rate while active,
    some lapse for good, and about 4 % of orders are partly returned (a negative line a few days
    later). Orders have one to four lines.

    Args:
        n_customers: how many customers.
        seed: random seed; the same seed gives the same history.
        start, end: the history's first and last day (ISO dates).
        first_id: the first customer number (customer IDs are 'C' + number).
        rate_scale: multiplies every group's order rate (the benchmark's lines per customer).

    Returns:
        The order lines, sorted by date.
    """
    rng = np.random.default_rng(seed)
    day0, day1 = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = int((day1 - day0).astype(int)) + 1
    groups = np.array([g[1:] for g in ORDER_GROUPS])
    shares = np.array([g[0] for g in ORDER_GROUPS])
    group = rng.choice(len(ORDER_GROUPS), size=n_customers, p=shares / shares.sum())
    rate, value, arrive_from, lapse_p = (groups[group, i] for i in range(4))
    first = (arrive_from + (1 - arrive_from) * rng.random(n_customers)) * span * 0.95
    lapses = rng.random(n_customers) < lapse_p
    last = np.where(lapses, first + (span - first) * rng.random(n_customers), span - 1)
    active_months = np.maximum(last - first, 1) / 30.4
    n_orders = np.maximum(rng.poisson(rate * rate_scale * active_months), 1)
    owner = np.repeat(np.arange(n_customers), n_orders)
    days = first[owner] + (last[owner] - first[owner]) * rng.random(len(owner))
    basket = np.exp(rng.normal(np.log(value[owner]), 0.5))
    n_lines = rng.integers(1, 5, size=len(owner))
    order_of_line = np.repeat(np.arange(len(owner)), n_lines)
    share = rng.dirichlet(np.ones(4), size=len(owner))
    position = np.arange(len(order_of_line)) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    weights = share[order_of_line, position]
    totals = np.cumsum(share, axis=1)[order_of_line, n_lines[order_of_line] - 1]
    amounts = np.round(basket[order_of_line] * weights / totals, 2)
    order_ids = np.char.add(f"O{first_id}-", np.arange(len(owner)).astype(str))
    returned = rng.random(len(owner)) < 0.04
    r_orders = np.flatnonzero(returned)
    r_days = np.minimum(days[r_orders] + rng.integers(2, 20, size=len(r_orders)), span - 1)
    customer = np.char.add("C", (first_id + owner).astype(str))
    frame = pd.DataFrame(
        {
            "order_id": np.concatenate([order_ids[order_of_line], np.char.add("R", order_ids[r_orders])]),
            "customer_id": np.concatenate([customer[order_of_line], customer[r_orders]]),
            "order_date": np.concatenate([day0 + days[order_of_line].astype(int), day0 + r_days.astype(int)]).astype(
                "datetime64[D]"
            ),
            "quantity": np.concatenate([rng.integers(1, 4, size=len(order_of_line)), -np.ones(len(r_orders), int)]),
            "amount": np.concatenate([amounts, -np.round(basket[r_orders] * rng.uniform(0.2, 0.8, len(r_orders)), 2)]),
        }
    )
    frame = frame.sort_values(["order_date", "order_id"], kind="stable").reset_index(drop=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.set_column(2, "order_date", table.column("order_date").cast(pa.date32()))


def write_orders(table: pa.Table, path: Path) -> Path:
    """Write generated order lines as CSV (ISO dates), unquoted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    pacsv.write_csv(table, path, options)
    return path


def simulate_orders(
    n_customers: int,
    *,
    bgnbd: tuple[float, float, float, float],
    gamma_gamma: tuple[float, float, float],
    start: str,
    end: str,
    seed: int,
) -> pa.Table:
    """An order history drawn from BG/NBD and Gamma-Gamma themselves, one line per order, so a
    forecast's parameters can be checked against the ones that made the data.

    Each customer's first order falls on a uniform day of [start, end]; while active they order as
    a Poisson process of rate lambda ~ Gamma(r, alpha) per day, and after each repeat order drop out
    with probability p ~ Beta(a, b); each order's value ~ Gamma(p_v, nu), nu ~ Gamma(q, gamma).

    Args:
        n_customers: how many customers.
        bgnbd: (r, alpha per day, a, b).
        gamma_gamma: (p, q, gamma).
        start, end: the history's first and last day (ISO dates).
        seed: random seed.

    Returns:
        order_id, customer_id, order_date, amount, sorted by date.
    """
    r, alpha, a, b = bgnbd
    p_value, q, gamma = gamma_gamma
    rng = np.random.default_rng(seed)
    day0, day1 = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = int((day1 - day0).astype(int))
    first = rng.uniform(0, span, size=n_customers)
    rate = rng.gamma(r, 1.0 / alpha, size=n_customers)
    dropout = rng.beta(a, b, size=n_customers)
    nu = rng.gamma(q, 1.0 / gamma, size=n_customers)
    # Given N arrivals of a Poisson process on (first, span], their times are N sorted uniforms; the
    # customer keeps the first K ~ Geometric(p) of them (drops out after the K-th repeat order).
    arrivals = rng.poisson(rate * (span - first))
    kept = np.minimum(arrivals, rng.geometric(dropout))
    owner = np.repeat(np.arange(n_customers), arrivals)
    times = first[owner] + rng.uniform(0, 1, size=len(owner)) * (span - first[owner])
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    repeat = rank < kept[owner]
    owners = np.concatenate([np.arange(n_customers), owner[repeat]])
    days = np.concatenate([first, times[repeat]]).astype(int)
    values = rng.gamma(p_value, 1.0 / nu[owners])
    frame = pd.DataFrame(
        {
            "order_id": np.char.add("S", np.arange(len(owners)).astype(str)),
            "customer_id": np.char.add("C", (owners + 1).astype(str)),
            "order_date": (day0 + days).astype("datetime64[D]"),
            "amount": np.round(np.maximum(values, 0.01), 2),
        }
    ).sort_values(["order_date", "order_id"], kind="stable")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.set_column(2, "order_date", table.column("order_date").cast(pa.date32()))
