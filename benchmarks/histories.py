"""Seeded, realistic order histories for evaluating the k rule and the names (benchmarks/evaluate_segments.py).

The bundled sample (segmentation/sample.py) draws customers around five clear behavioural groups, so
any rule finds them. Real order histories are hostile in other ways: most customers buy once, spend
is heavy-tailed, customers form a continuum rather than clumps, and the calendar has bursts. These
generators draw such histories from the buy-till-you-die process that BG/NBD models (each customer
orders at a rate of their own while alive and may drop out after any order), with:

- online retailer: about 4k-20k customers over three years, growing; about half buy once and never
  return; repeat rates spread over two orders of magnitude (Gamma, shape 0.6); order values
  lognormal per customer with a Pareto tail of wholesale-like buyers; 1-8 lines per order; about
  8 % of orders partly returned and 1 % wholly (net zero: not an order); arrivals and orders burst in
  November and December.
- music store: fewer customers (about 1.5k-3k), most of them steady repeat buyers (Gamma, shape 3),
  rare dropouts, small baskets (tracks at 0.99-1.29, one to twelve per order), a mild holiday bump.

Every customer's whole future is drawn, so an evaluation knows what each segment did next quarter.
The same (shape, seed) gives the same history. Columns are those of `segment sample --orders`:
order_id, customer_id, order_date, quantity, amount (one row per order line; returns are negative
lines a few days after their order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

HISTORY_START = "2023-01-01"
HISTORY_END = "2025-12-31"


@dataclass(frozen=True)
class Shape:
    """The parameters of one kind of shop."""

    name: str
    customers: tuple[int, int]  # drawn uniformly in this range per seed
    one_time_share: float  # customers who buy once and never return
    rate_shape: float  # Gamma shape of repeat buyers' orders per month (small: heterogeneous)
    rate_mean: float  # mean orders per month of a repeat buyer while alive
    dropout: tuple[float, float]  # Beta(a, b) of the chance to drop out after each repeat order
    value_median: float  # median of customers' typical order value
    value_sigma: float  # lognormal spread of typical order values between customers
    order_sigma: float  # lognormal spread of one customer's order values
    tail_share: float  # customers with Pareto-tailed order values (wholesale-like)
    tail_alpha: float
    lines: tuple[int, int]  # lines per order, inclusive
    partial_returns: float  # share of orders partly returned
    full_returns: float  # share of orders wholly returned
    holiday_boost: float  # order and arrival intensity multiplier in November and December
    growth: float  # arrivals per day at the end over those at the start


ONLINE_RETAILER = Shape(
    name="online_retailer",
    customers=(4_000, 20_000),
    one_time_share=0.4,
    rate_shape=0.6,
    rate_mean=0.35,
    dropout=(1.0, 6.0),
    value_median=45.0,
    value_sigma=0.8,
    order_sigma=0.5,
    tail_share=0.02,
    tail_alpha=1.3,
    lines=(1, 8),
    partial_returns=0.08,
    full_returns=0.01,
    holiday_boost=2.0,
    growth=1.6,
)
MUSIC_STORE = Shape(
    name="music_store",
    customers=(1_500, 3_000),
    one_time_share=0.15,
    rate_shape=3.0,
    rate_mean=0.8,
    dropout=(1.0, 40.0),
    value_median=5.0,
    value_sigma=0.4,
    order_sigma=0.4,
    tail_share=0.0,
    tail_alpha=2.0,
    lines=(1, 12),
    partial_returns=0.01,
    full_returns=0.002,
    holiday_boost=1.3,
    growth=1.1,
)
SHAPES = {shape.name: shape for shape in (ONLINE_RETAILER, MUSIC_STORE)}


def _season(days: np.ndarray, day0: np.datetime64, boost: float) -> np.ndarray:
    """Intensity multiplier by calendar day: `boost` in November and December, 1 otherwise."""
    months = (day0 + days.astype("timedelta64[D]")).astype("datetime64[M]").astype(int) % 12 + 1
    return np.where(months >= 11, boost, 1.0)


def _arrivals(rng: np.random.Generator, n: int, span: int, shape: Shape, day0: np.datetime64) -> np.ndarray:
    """Arrival days: a growing stream with holiday bursts (drawn by thinning a uniform stream)."""
    accepted: list[np.ndarray] = []
    top = (1 + shape.growth) * shape.holiday_boost
    while sum(len(a) for a in accepted) < n:
        days = rng.uniform(0, span, size=2 * n)
        intensity = (1 + shape.growth * days / span) * _season(days, day0, shape.holiday_boost)
        accepted.append(days[rng.random(2 * n) < intensity / top])
    return np.sort(np.concatenate(accepted)[:n])


def _order_days(rng: np.random.Generator, first: np.ndarray, span: int, shape: Shape, day0: np.datetime64) -> list:
    """Each customer's order days: the first at arrival, then a seasonal Poisson process until dropout."""
    n = len(first)
    repeat = rng.random(n) >= shape.one_time_share
    rate = rng.gamma(shape.rate_shape, shape.rate_mean / shape.rate_shape, size=n) / 30.4  # per day
    dropout = rng.beta(*shape.dropout, size=n)
    owners, days = [np.arange(n)], [first]
    now, alive = first.copy(), repeat.copy()
    top = shape.holiday_boost
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1 / (rate[idx] * top))
        past = now[idx] >= span
        alive[idx[past]] = False
        idx = idx[~past]
        kept = rng.random(len(idx)) < _season(now[idx], day0, shape.holiday_boost) / top  # thinning
        ordered = idx[kept]
        owners.append(ordered)
        days.append(now[ordered].copy())
        alive[ordered[rng.random(len(ordered)) < dropout[ordered]]] = False
    return [np.concatenate(owners), np.concatenate(days)]


def _order_values(rng: np.random.Generator, owner: np.ndarray, n: int, shape: Shape) -> np.ndarray:
    """Order values: a typical value per customer (lognormal, a Pareto tail for a few), varied per order."""
    typical = shape.value_median * np.exp(rng.normal(0, shape.value_sigma, size=n))
    tail = rng.random(n) < shape.tail_share
    typical[tail] *= 1 + rng.pareto(shape.tail_alpha, size=int(tail.sum())) * 10
    return typical[owner] * np.exp(rng.normal(0, shape.order_sigma, size=len(owner)))


def generate_history(shape: Shape, *, seed: int, start: str = HISTORY_START, end: str = HISTORY_END) -> pa.Table:
    """Draw an order history of one shape: one row per order line, sorted by date.

    Args:
        shape: ONLINE_RETAILER, MUSIC_STORE or one's own.
        seed: random seed; the same seed gives the same history (and number of customers).
        start, end: the history's first and last day (ISO dates).

    Returns:
        order_id, customer_id, order_date (date32), quantity, amount: the columns `segment run --orders` reads.
    """
    rng = np.random.default_rng(seed)
    day0, day1 = np.datetime64(start, "D"), np.datetime64(end, "D")
    span = int((day1 - day0).astype(int)) + 1
    n = int(rng.integers(shape.customers[0], shape.customers[1] + 1))
    first = _arrivals(rng, n, span, shape, day0)
    owner, days = _order_days(rng, first, span, shape, day0)
    value = np.round(_order_values(rng, owner, n, shape), 2)
    n_lines = rng.integers(shape.lines[0], shape.lines[1] + 1, size=len(owner))
    line_order = np.repeat(np.arange(len(owner)), n_lines)
    weights = rng.random(len(line_order)) + 0.2
    totals = np.bincount(line_order, weights=weights)
    amounts = np.round(value[line_order] * weights / totals[line_order], 2)
    order_ids = np.char.add("O", np.arange(len(owner)).astype(str))
    customer = np.char.add("C", (owner + 1).astype(str))
    returned = rng.random(len(owner))
    full = returned < shape.full_returns
    partial = (returned >= shape.full_returns) & (returned < shape.full_returns + shape.partial_returns)
    r_orders = np.flatnonzero(full | partial)
    r_share = np.where(full[r_orders], 1.0, rng.uniform(0.1, 0.6, size=len(r_orders)))
    r_days = np.minimum(days[r_orders] + rng.integers(2, 25, size=len(r_orders)), span - 1)
    frame = pd.DataFrame(
        {
            "order_id": np.concatenate([order_ids[line_order], np.char.add("R", order_ids[r_orders])]),
            "customer_id": np.concatenate([customer[owner[line_order]], customer[owner[r_orders]]]),
            "order_date": np.concatenate([day0 + days[line_order].astype(int), day0 + r_days.astype(int)]).astype(
                "datetime64[D]"
            ),
            "quantity": np.concatenate([rng.integers(1, 4, size=len(line_order)), -np.ones(len(r_orders), int)]),
            "amount": np.concatenate([amounts, -np.round(value[r_orders] * r_share, 2)]),
        }
    )
    frame = frame.sort_values(["order_date", "order_id"], kind="stable").reset_index(drop=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.set_column(2, "order_date", table.column("order_date").cast(pa.date32()))
