"""Naming: a segment's name in words its own numbers bear out, in the words of segmentation/registry.py.

Words. A numeric feature's word says where the segment's customers fall in the period's
distribution: the segment's median (half its customers on either side of it) against the quantiles
of every customer of the period at the feature's cut levels (registry `cuts`). A customer table's
features use tertiles ("Low income", "Average income", "High income"); recency uses quartiles
("Recent" up to the 25th percentile of days since the last order, "Cooling", "Lapsing", "Lapsed"
beyond the 75th); orders and spend use tertiles and the 90th percentile ("Infrequent", "Regular",
"Frequent", "Very frequent"; "Low spend" .. "Top spend"). A word is thus a non-decreasing function
of the median: a segment named "Recent" never has a longer median recency than one named otherwise,
and the same for every feature. "One-time" replaces the lowest frequency word when at least
ONE_TIME_SHARE (80 %) of the segment's customers have exactly one order (its median is then one).
A categorical feature (gender) is worded by the segment's share of its first level: at most a
third, between, at least two thirds.

Groups (order histories), the first that applies, in front of the words:
- "Champions": Recent, and Frequent or more, and High spend or more;
- "Loyal": Frequent or more, and Recent or Cooling (median recency at most the population's median);
- "At risk": Frequent or more, or High spend or more, and Lapsing or Lapsed (past the median);
- "New": median days since the first order at most NEW_TENURE_DAYS (91: first ordered within a quarter).

Stability. A matched segment keeps the word of its previous name while the word is still nearly
true: its median is within NAME_MARGIN (5 percentiles) of the word's band (for "One-time", its
one-order share within 5 points of 80 %), and keeping it leaves the words monotone in the medians
(otherwise it takes the plain word). Groups follow from the kept words.

Distinct, without brackets. Two segments of one run never share a name: where names clash, the
run's names gain the words of one more feature (one that is not clustered, such as basket size or
tenure, and that tells the clashing segments apart), a whole column of words so they stay monotone;
where no feature tells them apart, the clashing segments gain their median in numbers ("median 4
orders"). A new segment whose name another ID carries in the reference run gains the median of the
feature where their centres differ most ("median income 101 k$"). `tasks.identity` decides which
segment continues which; this module only words them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from segmentation.registry import FEATURES, ONE_TIME, model_columns

NAME_MARGIN = 0.05  # quantile levels a kept word may be past its band
ONE_TIME_SHARE = 0.8  # share of one-order customers that makes a segment "One-time"
NEW_TENURE_DAYS = 91
QUANTILE_SAMPLE_SIZE = 1_000_000  # customers the period's quantiles are read on, at most
SEPARATOR = " · "
# Features whose words may tell clashing segments apart, in the order they are tried.
EXTRA_WORDS = ("avg_order_value", "tenure_days", "frequency", "monetary", "recency_days", "age", "annual_income")


@dataclass(frozen=True)
class SegmentStats:
    """Where each segment's customers fall, per feature (arrays: one entry per segment, in ID order)."""

    medians: dict[str, np.ndarray]  # a numeric feature's median per segment
    means: dict[str, np.ndarray]  # its mean per segment (a categorical feature: the share of its first level)
    quantiles: dict[str, dict[float, float]]  # the period's quantiles of a numeric feature, by level
    one_order: np.ndarray | None  # share of the segment's customers with exactly one order

    @property
    def size(self) -> int:
        return len(next(iter(self.means.values()))) if self.means else 0

    def cut_values(self, feature: str, shift: float = 0.0) -> list[float]:
        """The population's values at the feature's cut levels, each moved by `shift` levels."""
        return [self.quantiles[feature][_level(c + shift)] for c in FEATURES[feature].cuts]


def _level(q: float) -> float:
    return round(min(max(q, 0.0), 1.0), 6)


def quantile_levels(feature: str) -> list[float]:
    """The levels naming needs of a feature's population: its cuts, and each cut NAME_MARGIN either side."""
    cuts = FEATURES[feature].cuts
    return sorted({_level(c + d) for c in cuts for d in (-NAME_MARGIN, 0.0, NAME_MARGIN)})


def segment_stats(
    values: Mapping[str, np.ndarray],
    segment_ids: np.ndarray,
    ids: np.ndarray,
    *,
    random_state: int = 0,
    quantile_sample_size: int = QUANTILE_SAMPLE_SIZE,
) -> SegmentStats:
    """Per segment: each feature's median and mean, the period's quantiles, the share of one-order customers.

    Medians are exact (the ones profiles publish: a name never contradicts the table beside it), and
    so are the quantiles of whole-numbered features (days, orders, scores: counted per value in one
    pass). Other features (money) are grouped by one sort of the segment numbers, and the period's
    quantiles read on a seeded sample beyond `quantile_sample_size` customers (a million: within a
    tenth of a percentile, far inside NAME_MARGIN). Well under a second per feature for ten million.

    Args:
        values: per customer, in original units: a numeric feature's values (integer arrays for
            whole-numbered ones), a categorical one's as 1.0 for its first level and 0.0 otherwise.
        segment_ids: each customer's segment ID, in the same order.
        ids: the segment IDs, ascending, in the order of the result's rows.
        random_state: seed of the quantile sample.
        quantile_sample_size: customers the quantiles of money are read on, at most.

    Returns:
        The segments' statistics.
    """
    lookup = np.zeros(int(ids.max()) + 1, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    position = lookup[segment_ids]
    sizes = np.bincount(position, minlength=len(ids)).astype(np.float64)
    grouping = _Grouping(position, len(ids), random_state, quantile_sample_size)
    medians, means, quantiles = {}, {}, {}
    one_order = None
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty segment's statistics are NaN
        for name, column in values.items():
            column = np.asarray(column)
            means[name] = np.bincount(position, weights=column.astype(np.float64), minlength=len(ids)) / sizes
            if name == "frequency":
                one_order = np.bincount(position, weights=(column == 1).astype(np.float64), minlength=len(ids)) / sizes
            if FEATURES[name].categorical:
                continue
            levels = quantile_levels(name)
            medians[name], found = grouping.medians_and_quantiles(column, levels)
            quantiles[name] = dict(zip(levels, found, strict=True))
    return SegmentStats(medians, means, quantiles, one_order)


COUNTING_LIMIT = 1 << 22  # segments x distinct values counted per value, at most (32 MB of counts)


class _Grouping:
    """Medians per segment and the population's quantiles of one column at a time: by counting for
    whole numbers of a modest range, else by one (lazy, shared) sort of the rows by segment."""

    def __init__(self, position: np.ndarray, k: int, random_state: int, sample_size: int) -> None:
        self.position, self.k = position, k
        self.random_state, self.sample_size = random_state, sample_size
        self._order: np.ndarray | None = None

    def medians_and_quantiles(self, column: np.ndarray, levels: list[float]) -> tuple[np.ndarray, list[float]]:
        if len(column) and np.issubdtype(column.dtype, np.integer):
            low = int(column.min())
            span = int(column.max()) - low + 1
            if span * self.k <= COUNTING_LIMIT:
                counts = np.bincount(self.position * span + (column - low), minlength=self.k * span)
                counts = counts.reshape(self.k, span)
                medians = np.array([_quantiles_of_counts(c, [0.5])[0] + low for c in counts])
                return medians, [q + low for q in _quantiles_of_counts(counts.sum(axis=0), levels)]
        return self._sorted(column.astype(np.float64), levels)

    def _sorted(self, column: np.ndarray, levels: list[float]) -> tuple[np.ndarray, list[float]]:
        if self._order is None:
            # Few segments: a stable sort of small integers is a radix sort, one pass.
            self._order = np.argsort(self.position.astype(np.uint8 if self.k < 256 else np.int64), kind="stable")
        grouped = column[self._order]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(self.position, minlength=self.k))])
        # Each slice of `grouped` is ours (a gather is a copy): the median may reorder it.
        medians = np.array(
            [np.median(grouped[a:b], overwrite_input=True) if b > a else np.nan for a, b in itertools.pairwise(bounds)]
        )
        if len(column) > self.sample_size:
            rows = np.random.default_rng(self.random_state).integers(0, len(column), size=self.sample_size)
            column = column[rows]
        return medians, np.quantile(column, levels).tolist()


def _quantiles_of_counts(counts: np.ndarray, levels: list[float]) -> list[float]:
    """numpy's default ('linear') quantiles of the values 0, 1, 2, ... counted `counts` times."""
    total = int(counts.sum())
    if total == 0:
        return [float("nan")] * len(levels)
    cumulative = np.cumsum(counts)
    result = []
    for q in levels:
        h = (total - 1) * q
        below = int(np.floor(h))
        at = np.searchsorted(cumulative, [below, min(below + 1, total - 1)], side="right")
        result.append(float(at[0] + (h - below) * (at[1] - at[0])))
    return result


def band(median: float, cuts: list[float]) -> int:
    """The word index of a median: how many cut values it is above."""
    return int(sum(median > c for c in cuts))


def holds(stats: SegmentStats, feature: str, row: int, rank: int) -> bool:
    """Whether a previous word (its rank; -1 is "One-time") is still nearly true of segment `row`:
    its median within the word's band widened by NAME_MARGIN levels on either side."""
    if rank == -1:
        return _one_time(stats, row, ONE_TIME_SHARE - NAME_MARGIN)
    if feature == "frequency" and rank == 0 and _one_time(stats, row, ONE_TIME_SHARE + NAME_MARGIN):
        return False  # clearly one-time now: "Infrequent" gives way
    median = stats.medians[feature][row]
    lower, upper = stats.cut_values(feature, -NAME_MARGIN), stats.cut_values(feature, NAME_MARGIN)
    above = rank == 0 or median > lower[rank - 1]
    below = rank == len(upper) or median <= upper[rank]
    return above and below


def _one_time(stats: SegmentStats, row: int, share: float) -> bool:
    return stats.one_order is not None and bool(stats.one_order[row] >= share)


def plain_ranks(stats: SegmentStats, feature: str) -> list[int]:
    """Each segment's word index from its median alone (frequency: -1 for "One-time")."""
    cuts = stats.cut_values(feature)
    ranks = [band(m, cuts) for m in stats.medians[feature]]
    if feature == "frequency":
        ranks = [-1 if r == 0 and _one_time(stats, i, ONE_TIME_SHARE) else r for i, r in enumerate(ranks)]
    return ranks


def monotone(ranks: list[int], plain: list[int], medians: np.ndarray) -> list[int]:
    """Kept words that rank a segment above one with a larger median (or below one with a smaller)
    go back to their plain word, until none does (plain words never do)."""
    ranks = list(ranks)
    while True:
        wrong = {
            x
            for i in range(len(ranks))
            for j in range(len(ranks))
            if medians[i] < medians[j] and ranks[i] > ranks[j]
            for x in (i, j)
            if ranks[x] != plain[x]
        }
        if not wrong:
            return ranks
        for x in wrong:
            ranks[x] = plain[x]


def feature_ranks(stats: SegmentStats, feature: str, previous: list[int | None]) -> list[int]:
    """Each segment's word index for a numeric feature, keeping previous words that still hold.

    Args:
        stats: the segments' statistics.
        feature: a numeric feature in `stats`.
        previous: the word index each segment's previous name gave the feature, or None.

    Returns:
        One word index per segment (frequency: -1 for "One-time"), monotone in the medians.
    """
    plain = plain_ranks(stats, feature)
    kept = [
        old if old is not None and old != new and holds(stats, feature, row, old) else new
        for row, (new, old) in enumerate(zip(plain, previous, strict=True))
    ]
    return monotone(kept, plain, stats.medians[feature])


def word(feature: str, rank: int) -> str:
    """The word of a feature at a word index (-1: "One-time")."""
    return ONE_TIME if rank == -1 else FEATURES[feature].words[rank]


def share_rank(share: float) -> int:
    """A categorical feature's word index by the share of its first level: at most 1/3, between, at least 2/3."""
    return 0 if share <= 1 / 3 else 2 if share >= 2 / 3 else 1


def previous_ranks(name: str | None, feature: str) -> int | None:
    """The word index a previous name gave a feature, where it carries one of the feature's words."""
    if not name:
        return None
    for part in name.split(" (")[0].split(SEPARATOR):
        if feature == "frequency" and part == ONE_TIME:
            return -1
        if part in FEATURES[feature].words:
            return FEATURES[feature].words.index(part)
    return None


@dataclass(frozen=True)
class Group:
    """A group marketing names, with the rule over the features' word indexes that puts a segment in it."""

    name: str
    needs: tuple[str, ...]
    applies: Callable[[dict[str, int], dict[str, float]], bool]


# Word indexes: recency 0 Recent .. 3 Lapsed; frequency -1 One-time, 0 Infrequent .. 3 Very frequent;
# spend 0 Low .. 3 Top. The first group that applies is the segment's.
GROUPS = (
    Group(
        "Champions",
        ("recency_days", "frequency", "monetary"),
        lambda r, m: r["recency_days"] == 0 and r["frequency"] >= 2 and r["monetary"] >= 2,
    ),
    Group("Loyal", ("recency_days", "frequency"), lambda r, m: r["frequency"] >= 2 and r["recency_days"] <= 1),
    Group(
        "At risk",
        ("recency_days", "frequency", "monetary"),
        lambda r, m: (r["frequency"] >= 2 or r["monetary"] >= 2) and r["recency_days"] >= 2,
    ),
    Group("New", ("tenure_days",), lambda r, m: m["tenure_days"] <= NEW_TENURE_DAYS),
)


def group_of(ranks: dict[str, int], medians: dict[str, float], words: list[str]) -> str | None:
    """The first group whose rule holds (and whose name is not already one of the words)."""
    for group in GROUPS:
        if all(f in ranks for f in group.needs) and group.name not in words and group.applies(ranks, medians):
            return group.name
    return None


def segment_names(
    stats: SegmentStats, features: tuple[str, ...], previous: list[str | None] | None = None
) -> list[str]:
    """Name each segment from where its customers fall, keeping previous words where they still hold.

    Args:
        stats: the segments' statistics (`segment_stats`) over the clustered features and any other
            feature the customers have (order histories: all five behavioural ones).
        features: the clustered features, in name order.
        previous: each segment's previous name, or None.

    Returns:
        One distinct name per segment, without brackets.
    """
    previous = previous or [None] * stats.size
    ranks = {
        f: feature_ranks(stats, f, [previous_ranks(p, f) for p in previous])
        for f in stats.medians
        if not FEATURES[f].categorical
    }
    names = []
    for row in range(stats.size):
        words = [_feature_word(stats, ranks, f, row) for f in features]
        group = group_of({f: r[row] for f, r in ranks.items()}, _medians_of(stats, row), words)
        names.append(SEPARATOR.join([group, *words] if group else words))
    return distinct(names, stats, features, ranks)


def _feature_word(stats: SegmentStats, ranks: dict[str, list[int]], feature: str, row: int) -> str:
    if FEATURES[feature].categorical:
        return FEATURES[feature].words[share_rank(float(stats.means[feature][row]))]
    return word(feature, ranks[feature][row])


def _medians_of(stats: SegmentStats, row: int) -> dict[str, float]:
    return {f: float(m[row]) for f, m in stats.medians.items()}


def _clashes(names: list[str]) -> list[list[int]]:
    """Groups of rows that share a name."""
    seen: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        seen.setdefault(name, []).append(row)
    return [rows for rows in seen.values() if len(rows) > 1]


def distinct(
    names: list[str], stats: SegmentStats, features: tuple[str, ...], ranks: dict[str, list[int]]
) -> list[str]:
    """Names made distinct: first by a column of words of one more feature that tells the clashing
    segments apart (every segment gains it, so the words stay monotone), then by the clashing
    segments' medians in numbers.

    Args:
        names: one name per segment.
        stats: the segments' statistics.
        features: the features already in the names.
        ranks: each numeric feature's word indexes (`feature_ranks`).

    Returns:
        The names, none twice.
    """
    used = set(features)
    while clashes := _clashes(names):
        extra = next((f for f in EXTRA_WORDS if f in ranks and f not in used and _separates(ranks[f], clashes)), None)
        if extra is None:
            break
        used.add(extra)
        names = [f"{name}{SEPARATOR}{word(extra, ranks[extra][row])}" for row, name in enumerate(names)]
    for _ in range(len(names)):  # each round splits every clash by one more feature's numbers
        if not (clashes := _clashes(names)):
            break
        for rows in clashes:
            for row in rows:
                phrase = _measured(stats, rows, row)
                # Identical medians and means on every feature: not seen from K-Means, but names must differ.
                names[row] += SEPARATOR + (phrase or f"group {rows.index(row) + 1} of {len(rows)}")
    return names


def _separates(ranks: list[int], clashes: list[list[int]]) -> bool:
    """Whether a feature's words differ within at least one group of clashing segments."""
    return any(len({ranks[r] for r in rows}) > 1 for rows in clashes)


def _measured(stats: SegmentStats, rows: list[int], row: int, feature: str | None = None) -> str | None:
    """A segment's median in numbers, on the feature (given, or where the clashing segments' medians
    differ most: the most distinct values, then the widest spread in the population's terms); their
    mean where every median is the same; None where the means are the same too."""
    if feature is None:
        feature = _most_distinct(stats.medians, rows, key=lambda f: _spread(stats, f, rows))
    if feature is not None:
        return "median " + FEATURES[feature].quantity.format(_shown(stats.medians[feature][row]))
    chosen = _most_distinct(stats.means, rows, key=lambda f: 0.0)
    if chosen is None:
        return None
    value = stats.means[chosen][row]
    return "mean " + FEATURES[chosen].quantity.format(f"{value:.0%}" if FEATURES[chosen].categorical else _shown(value))


def _most_distinct(columns: dict[str, np.ndarray], rows: list[int], *, key: Callable[[str], float]) -> str | None:
    """The column whose shown values differ most among the rows (ties: the larger key), or None."""
    counts = {f: len({_shown(v[r]) for r in rows}) for f, v in columns.items()}
    candidates = [f for f, n in counts.items() if n > 1]
    return max(candidates, key=lambda f: (counts[f], key(f))) if candidates else None


def _spread(stats: SegmentStats, feature: str, rows: list[int]) -> float:
    """How far apart the rows' medians are, in quantile levels of the period's population."""
    quantiles = stats.quantiles[feature]
    levels, values = np.array(list(quantiles)), np.array(list(quantiles.values()))
    placed = np.interp([stats.medians[feature][r] for r in rows], values, levels)
    return float(np.ptp(placed)) + 1e-9 * float(np.ptp([stats.medians[feature][r] for r in rows]))


def _shown(value: float) -> str:
    """A number as a name shows it: whole numbers without decimals, thousands separated."""
    value = float(value)
    if value.is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def tell_apart(
    names: list[str],
    ids: np.ndarray,
    centroids: np.ndarray,
    pool: pd.DataFrame,
    features: tuple[str, ...],
    scale: np.ndarray,
    stats: SegmentStats,
) -> list[str]:
    """Names of new segments that a pool segment of another ID also carries, with the segment's
    median on the feature where their centres differ most: "High income · Low spending · median
    income 101 k$". Names stay distinct within the run.

    Args:
        names: this run's names, one per segment (rows in ID order).
        ids: the segments' lasting IDs.
        centroids: their centres in model space.
        pool: the reference pool (segment_id, segment_name, centroid).
        features: the clustered features.
        scale: the reference run's standard deviation per model column.
        stats: this run's segment statistics.

    Returns:
        The names, each carried by one ID only.
    """
    taken = {str(n): int(i) for n, i in zip(pool["segment_name"], pool["segment_id"], strict=True)}
    columns = model_columns(features)
    result = list(names)
    for row, (name, segment_id, centroid) in enumerate(zip(names, ids, centroids, strict=True)):
        other = taken.get(name)
        if other is None or other == int(segment_id):
            continue
        theirs = pool.loc[pool["segment_id"] == other, "centroid"].iloc[0]
        column = columns[int(np.argmax(np.abs((centroid - theirs) / scale)))]
        feature = next(f for f in features if column in model_columns((f,)))
        if FEATURES[feature].categorical:
            phrase = FEATURES[feature].quantity.format(f"{stats.means[feature][row]:.0%}")
        else:
            phrase = _measured(stats, [row], row, feature)
        told = f"{name}{SEPARATOR}{phrase}"
        result[row] = told if told not in result and told not in taken else f"{told}{SEPARATOR}segment {segment_id}"
    return result
