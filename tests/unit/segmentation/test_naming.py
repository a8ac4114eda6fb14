"""Segment names in the registry's words, true to the segments' medians: pure, no Prefect, no warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmentation.naming import (
    NEW_TENURE_DAYS,
    SEPARATOR,
    SegmentStats,
    band,
    feature_ranks,
    previous_ranks,
    segment_names,
    segment_stats,
    tell_apart,
)
from segmentation.registry import FEATURES, ONE_TIME

MALL = ("annual_income", "spending_score")
RFM = ("recency_days", "frequency", "monetary")


def stats_of(values: dict[str, list[float]], segments: list[int]) -> SegmentStats:
    """Statistics of hand-made customers: feature -> values, and each customer's segment (1..k)."""
    ids = np.array(sorted(set(segments)))
    return segment_stats({f: np.array(v, dtype=float) for f, v in values.items()}, np.array(segments), ids)


def made(medians: dict[str, list[float]], quantiles: dict[str, dict[float, float]], **extra: object) -> SegmentStats:
    """Statistics given directly: each segment's medians and the population's quantiles by level."""
    arrays = {f: np.array(v, dtype=float) for f, v in medians.items()}
    return SegmentStats(arrays, dict(arrays), quantiles, extra.get("one_order"))


def levels(feature: str, values: list[float]) -> dict[float, float]:
    """A population whose value at every level naming asks for is the one of its nearest cut."""
    from segmentation.naming import quantile_levels

    cuts = FEATURES[feature].cuts
    return {q: values[int(np.argmin([abs(q - c) for c in cuts]))] for q in quantile_levels(feature)}


def test_segment_stats_are_medians_quantiles_and_one_order_shares_per_segment() -> None:
    stats = stats_of(
        {"frequency": [1, 1, 1, 2, 5, 6, 7, 9], "monetary": [10, 20, 30, 40, 100, 200, 300, 400]},
        [2, 2, 2, 2, 1, 1, 1, 1],
    )
    np.testing.assert_allclose(stats.medians["frequency"], [6.5, 1.0])  # rows in ID order: 1, 2
    np.testing.assert_allclose(stats.medians["monetary"], [250.0, 25.0])
    np.testing.assert_allclose(stats.one_order, [0.0, 0.75])
    assert stats.quantiles["frequency"][0.9] == pytest.approx(np.quantile([1, 1, 1, 2, 5, 6, 7, 9], 0.9))


@pytest.mark.parametrize("n", [1, 2, 999, 1000])
def test_whole_numbers_are_counted_to_the_same_medians_and_quantiles_as_sorting_gives(n: int) -> None:
    rng = np.random.default_rng(n)
    days, segments = rng.integers(0, 400, n), rng.integers(1, 4, n)
    segments[: min(n, 3)] = [1, 2, 3][: min(n, 3)]
    ids = np.unique(segments)
    counted = segment_stats({"recency_days": days}, segments, ids)
    sorted_ = segment_stats({"recency_days": days.astype(float)}, segments, ids)
    np.testing.assert_allclose(counted.medians["recency_days"], [np.median(days[segments == i]) for i in ids])
    np.testing.assert_allclose(counted.medians["recency_days"], sorted_.medians["recency_days"])
    assert counted.quantiles["recency_days"] == pytest.approx(sorted_.quantiles["recency_days"])


def test_the_quantiles_of_money_are_read_on_a_seeded_sample_beyond_its_size() -> None:
    rng = np.random.default_rng(0)
    spend, segments = rng.lognormal(4, 1, 20_000), rng.integers(1, 3, 20_000)
    sampled = segment_stats({"monetary": spend}, segments, np.array([1, 2]), quantile_sample_size=5_000)
    exact = segment_stats({"monetary": spend}, segments, np.array([1, 2]))
    np.testing.assert_array_equal(sampled.medians["monetary"], exact.medians["monetary"])  # medians: exact
    again = segment_stats({"monetary": spend}, segments, np.array([1, 2]), quantile_sample_size=5_000)
    assert sampled.quantiles == again.quantiles
    tertile = round(2 / 3, 6)
    assert sampled.quantiles["monetary"][tertile] == pytest.approx(exact.quantiles["monetary"][tertile], rel=0.05)


def test_a_word_is_where_the_median_falls_among_the_populations_cut_values() -> None:
    assert [band(m, [10.0, 20.0]) for m in (5, 10, 10.5, 20, 25)] == [0, 0, 1, 1, 2]


def test_mall_segments_keep_their_names_from_tertiles_of_income_and_spending() -> None:
    # The Mall's five segments: medians of income (k$) and spending score; tertiles 48 | 72 and 41.3 | 59.
    stats = made(
        {"annual_income": [54, 79, 85, 25, 24.5], "spending_score": [50, 83, 16, 17, 77]},
        {"annual_income": levels("annual_income", [48, 72]), "spending_score": levels("spending_score", [41.3, 59])},
    )
    assert segment_names(stats, MALL) == [
        "Average income · Average spending",
        "High income · High spending",
        "High income · Low spending",
        "Low income · Low spending",
        "Low income · High spending",
    ]


# An online retailer's quarter: recency quartiles 46 | 129 | 218 days, orders 1 | 2 | 5, spend 44 | 126 | 403.
QUANTILES = {
    "recency_days": levels("recency_days", [46, 129, 218]),
    "frequency": levels("frequency", [1, 2, 5]),
    "monetary": levels("monetary", [44, 126, 403]),
    "tenure_days": levels("tenure_days", [150, 400]),
    "avg_order_value": levels("avg_order_value", [30, 60]),
}


def retailer(medians: dict[str, list[float]], one_order: list[float]) -> SegmentStats:
    return made(medians, QUANTILES, one_order=np.array(one_order))


def test_order_segments_are_named_with_groups_marketing_uses() -> None:
    stats = retailer(
        {
            "recency_days": [63, 235, 220, 53, 37, 250],
            "frequency": [1, 1, 1, 3, 7, 4],
            "monetary": [42, 26, 119, 167, 477, 300],
            "tenure_days": [80, 261, 268, 212, 358, 500],
        },
        one_order=[0.85, 0.93, 0.62, 0.06, 0.0, 0.0],
    )
    assert segment_names(stats, RFM) == [
        "New · Cooling · One-time · Low spend",
        "Lapsed · One-time · Low spend",
        "Lapsed · Infrequent · Mid spend",  # median one order, but only 62 % have one: not "One-time"
        "Loyal · Cooling · Frequent · High spend",
        "Champions · Recent · Very frequent · Top spend",
        "At risk · Lapsed · Frequent · High spend",
    ]


@pytest.mark.parametrize(("share", "word"), [(0.8, ONE_TIME), (0.79, "Infrequent"), (0.5, "Infrequent")])
def test_one_time_needs_four_in_five_customers_with_one_order(share: float, word: str) -> None:
    stats = retailer({"frequency": [1, 3]}, one_order=[share, 0.0])
    assert segment_names(stats, ("frequency",))[0] == word


def test_new_is_a_median_first_order_within_a_quarter() -> None:
    stats = retailer({"tenure_days": [NEW_TENURE_DAYS, NEW_TENURE_DAYS + 1]}, one_order=[1.0, 1.0])
    assert segment_names(stats, ("tenure_days",)) == ["New · Newer", "Newer"]


def test_a_previous_word_holds_within_the_margin_and_goes_beyond_it() -> None:
    # Spend tertile cut 126 at level 2/3; 5 levels either side: 100 and 150.
    quantiles = {"monetary": {**levels("monetary", [44, 126, 403]), 2 / 3 - 0.05: 100.0, 2 / 3 + 0.05: 150.0}}
    quantiles["monetary"] = {round(q, 6): v for q, v in quantiles["monetary"].items()}
    stats = made({"monetary": [140.0, 160.0, 30.0]}, quantiles)
    assert feature_ranks(stats, "monetary", [None, None, None]) == [2, 2, 0]
    assert feature_ranks(stats, "monetary", [1, 1, None]) == [1, 2, 0]  # 140 is within 150: still "Mid spend"


def test_a_kept_word_that_would_contradict_another_segments_median_gives_way() -> None:
    quantiles = {"monetary": {round(q, 6): v for q, v in levels("monetary", [44, 126, 403]).items()}}
    quantiles["monetary"][round(2 / 3 + 0.05, 6)] = 150.0
    stats = made({"monetary": [140.0, 130.0]}, quantiles)
    # Segment 1 (140) was "Mid spend" and is within the margin; segment 2 (130) is "High spend" anew:
    # keeping "Mid spend" would name the bigger spender lower, so it takes its plain word.
    assert feature_ranks(stats, "monetary", [1, None]) == [2, 2]


def test_previous_names_are_read_word_by_word() -> None:
    name = "Champions · Recent · Very frequent · Top spend"
    assert [previous_ranks(name, f) for f in RFM] == [0, 3, 3]
    assert previous_ranks("Lapsed · One-time · Low spend (2)", "frequency") == -1
    assert previous_ranks("Active · Regular", "recency_days") is None  # an older vocabulary's word
    assert previous_ranks(None, "monetary") is None


def test_two_segments_with_the_same_words_are_told_apart_by_a_column_of_one_more_feature() -> None:
    stats = retailer(
        {
            "recency_days": [235, 240, 30],
            "frequency": [1, 1, 6],
            "monetary": [26, 30, 500],
            "tenure_days": [300, 700, 380],
            "avg_order_value": [26, 30, 80],
        },
        one_order=[0.9, 0.9, 0.0],
    )
    # Basket size does not tell the two apart (both small); tenure does: every segment gains its word.
    assert segment_names(stats, RFM) == [
        "Lapsed · One-time · Low spend · Established",
        "Lapsed · One-time · Low spend · Long-standing",
        "Champions · Recent · Very frequent · Top spend · Established",
    ]


def test_segments_no_feature_word_tells_apart_get_their_medians_in_numbers() -> None:
    stats = made(
        {"annual_income": [80.0, 95.0], "spending_score": [20.0, 20.0]},
        {
            "annual_income": levels("annual_income", [48, 72]),
            "spending_score": levels("spending_score", [41.3, 59]),
        },
    )
    assert segment_names(stats, MALL) == [
        "High income · Low spending · median income 80 k$",
        "High income · Low spending · median income 95 k$",
    ]


def test_a_new_segment_named_like_another_ids_segment_gains_its_median_where_their_centres_differ_most() -> None:
    pool = pd.DataFrame(
        {
            "segment_id": [3, 4],
            "segment_name": ["High income · Low spending", "Low income · Low spending"],
            "centroid": [np.array([88.0, 17.0]), np.array([26.0, 20.0])],
        }
    )
    stats = made({"annual_income": [101.0, 25.0], "spending_score": [30.0, 21.0]}, {})
    names = tell_apart(
        ["High income · Low spending", "Low income · Low spending"],
        np.array([6, 4]),
        np.array([[120.0, 30.0], [25.0, 21.0]]),
        pool,
        MALL,
        np.array([26.0, 25.0]),
        stats,
    )
    assert names == ["High income · Low spending · median income 101 k$", "Low income · Low spending"]


def test_a_categorical_feature_is_named_by_its_share_of_the_first_level() -> None:
    women = [1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0]  # shares 90 %+, a half, a sixth
    stats = stats_of(
        {"annual_income": [50, 51, 52, 53, 50, 51, 52, 53, 50, 51, 52, 53], "gender": women},
        [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3],
    )
    assert segment_names(stats, ("gender",)) == ["Mostly women", "Mixed gender", "Mostly men"]


# Property: whatever the medians and the previous names, every word is monotone in the medians,
# no two segments share a name and no name has a bracket.

VOCABULARY = {f: (ONE_TIME, *FEATURES[f].words) if f == "frequency" else FEATURES[f].words for f in RFM}


def rank_in(name: str, feature: str) -> int:
    words = VOCABULARY[feature]
    found = [words.index(p) for p in name.split(SEPARATOR) if p in words]
    assert len(found) == 1, (name, feature)
    return found[0]


@st.composite
def quarters(draw: st.DrawFn) -> tuple[np.ndarray, dict[str, np.ndarray], list[str | None]]:
    k = draw(st.integers(3, 8))
    n = draw(st.integers(k * 3, 120))
    segments = np.array(draw(st.lists(st.integers(1, k), min_size=n, max_size=n)))
    segments[:k] = np.arange(1, k + 1)  # every segment has customers
    frequency = draw(st.lists(st.integers(1, 30), min_size=n, max_size=n))
    recency = draw(st.lists(st.integers(0, 365), min_size=n, max_size=n))
    spend = draw(st.lists(st.floats(0, 5_000, allow_nan=False), min_size=n, max_size=n))
    tenure = [r + draw(st.integers(0, 400)) for r in recency]
    values = {
        "recency_days": np.array(recency, float),
        "frequency": np.array(frequency, float),
        "monetary": np.array(spend),
        "tenure_days": np.array(tenure, float),
    }
    old_words = st.one_of(st.none(), st.tuples(*(st.sampled_from(VOCABULARY[f]) for f in RFM)))
    previous = [SEPARATOR.join(w) if w else None for w in draw(st.lists(old_words, min_size=k, max_size=k))]
    return segments, values, previous


@settings(max_examples=150, deadline=None)
@given(quarters())
def test_words_are_monotone_in_the_medians_and_names_distinct_without_brackets(quarter) -> None:
    segments, values, previous = quarter
    ids = np.unique(segments)
    stats = segment_stats(values, segments, ids)
    names = segment_names(stats, RFM, previous)
    assert len(set(names)) == len(names)
    assert not any("(" in n or ")" in n for n in names)
    for feature in RFM:
        ranks = [rank_in(n, feature) for n in names]
        medians = stats.medians[feature]
        for i in range(len(names)):
            for j in range(len(names)):
                assert not (ranks[i] < ranks[j] and medians[i] > medians[j]), (feature, names[i], names[j])
    for name, share in zip(names, stats.one_order, strict=True):
        if ONE_TIME in name.split(SEPARATOR):
            assert share >= 0.75  # 80 %, or 75 % for a segment that was One-time


def test_names_are_stable_across_two_periods_while_they_stay_true() -> None:
    first = retailer({"recency_days": [40, 230], "frequency": [3, 1], "monetary": [140, 30]}, one_order=[0.1, 0.9])
    names = segment_names(first, RFM)
    assert names == ["Champions · Recent · Frequent · High spend", "Lapsed · One-time · Low spend"]
    # Next quarter the first segment's median recency (50) and spend (120) are just past their cuts (46, 126)
    # but within 5 percentiles of them: it keeps its words; a plain naming would change them.
    second = retailer({"recency_days": [50, 240], "frequency": [3, 1], "monetary": [120, 28]}, one_order=[0.1, 0.78])
    second.quantiles["recency_days"][0.3] = 59.0
    second.quantiles["monetary"][round(2 / 3 - 0.05, 6)] = 105.0
    assert segment_names(second, RFM, names) == names
    assert segment_names(second, RFM) == ["Loyal · Cooling · Frequent · Mid spend", "Lapsed · Infrequent · Low spend"]
