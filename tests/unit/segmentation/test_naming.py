"""Segment names in the registry's words: pure, no Prefect, no warehouse."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from segmentation.naming import SEPARATOR, kept_level, level, previous_levels, segment_names, tell_apart
from segmentation.registry import FEATURES

MALL = ("annual_income", "spending_score")
RFM = ("recency_days", "frequency", "monetary")


@pytest.mark.parametrize(("z", "expected"), [(-0.51, 0), (-0.5, 1), (0.5, 1), (0.51, 2)])
def test_levels_split_at_half_a_standard_deviation(z: float, expected: int) -> None:
    assert level(z) == expected


@pytest.mark.parametrize(
    ("z", "previous", "expected"),
    [(0.6, 1, 1), (0.76, 1, 2), (-0.6, 1, 1), (-0.76, 1, 0), (0.3, 2, 2), (0.24, 2, 1), (0.6, None, 2)],
)
def test_a_previous_level_holds_until_a_quarter_sd_past_the_boundary(
    z: float, previous: int | None, expected: int
) -> None:
    assert kept_level(z, previous) == expected


def test_names_are_the_registry_words_of_each_level() -> None:
    names = segment_names(np.array([[0.0, 0.0], [1.2, 1.3], [1.0, -1.0], [-1.0, -1.0]]), MALL)
    assert names == [
        "Average income · Average spending",
        "High income · High spending",
        "High income · Low spending",
        "Low income · Low spending",
    ]
    words = FEATURES["annual_income"].words, FEATURES["spending_score"].words
    assert names[1] == SEPARATOR.join((words[0][2], words[1][2]))


def test_two_segments_of_one_run_never_share_a_name() -> None:
    assert segment_names(np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]), MALL) == [
        "High income · High spending",
        "High income · High spending (2)",
        "High income · High spending (3)",
    ]


def test_a_previous_name_keeps_its_words_near_a_boundary() -> None:
    previous = ["Average income · High spending"]
    assert segment_names(np.array([[0.6, 1.0]]), MALL, previous) == previous
    assert previous_levels("Average income · High spending (2)", MALL) == [1, 2]
    assert previous_levels("Recent · Frequent", RFM) == [None, None, None]  # fewer words: none hold


def test_a_low_frequency_centre_of_about_one_order_is_one_time() -> None:
    scaled = np.array([[-1.0, -1.0, -1.0], [-1.0, -1.0, -1.0]])
    centroids = np.array([[10.0, math.log1p(1.0), 3.0], [10.0, math.log1p(2.0), 3.0]])  # model space: log1p
    assert segment_names(scaled, RFM, centroids=centroids) == [
        "Recent · One-time · Low spend",
        "Recent · Infrequent · Low spend",
    ]
    assert previous_levels("Recent · One-time · Low spend", RFM) == [0, 0, 0]


def test_a_categorical_feature_is_named_by_its_share_of_the_first_level() -> None:
    features = ("annual_income", "gender")  # model columns: annual_income, gender_female, gender_male
    scaled = np.zeros((3, 3))
    centroids = np.array([[50.0, 0.9, 0.1], [50.0, 0.5, 0.5], [50.0, 0.2, 0.8]])
    assert segment_names(scaled, features, centroids=centroids) == [
        "Average income · Mostly women",
        "Average income · Mixed gender",
        "Average income · Mostly men",
    ]


def test_a_new_segment_named_like_another_ids_segment_is_told_apart() -> None:
    pool = pd.DataFrame(
        {"segment_id": [1], "segment_name": ["High income · Low spending"], "centroid": [np.array([80.0, 20.0])]}
    )
    names = tell_apart(
        ["High income · Low spending", "Low income · Low spending"],
        np.array([7, 8]),
        np.array([[100.0, 22.0], [20.0, 20.0]]),
        pool,
        MALL,
        np.array([10.0, 10.0]),
    )
    assert names == ["High income · Low spending (higher income)", "Low income · Low spending"]
    same_id = tell_apart(
        ["High income · Low spending"], np.array([1]), np.array([[100.0, 22.0]]), pool, MALL, np.ones(2)
    )
    assert same_id == ["High income · Low spending"]


# Moved from the identity tests when naming left tasks/identity.py (the Mall's two features).


@pytest.mark.parametrize(("z", "expected"), [(-0.51, 0), (-0.5, 1), (0.0, 1), (0.5, 1), (0.51, 2)])
def test_level_thresholds(z: float, expected: int) -> None:
    assert level(z) == expected


@pytest.mark.parametrize(
    ("z", "previous", "expected"),
    [
        (-0.4, 0, 0),  # just past the -0.5 boundary: still Low
        (-0.2, 0, 1),  # 0.3 past it: Average now
        (0.6, 1, 1),  # just past +0.5: still Average
        (0.8, 1, 2),
        (0.4, 2, 2),
        (0.2, 2, 1),
        (0.9, 0, 2),  # a jump of two levels is never held back
        (0.6, None, 2),  # no previous name: plain thresholds
    ],
)
def test_a_previous_level_holds_until_the_value_is_clearly_past_the_boundary(z, previous, expected) -> None:
    assert kept_level(z, previous) == expected


def test_names_from_centroids_repeats_numbered_and_previous_words_kept() -> None:
    centroids = np.array([[1.2, -1.0], [-1.0, 1.0], [0.1, 0.2], [1.5, -0.9]])
    assert segment_names(centroids, MALL) == [
        "High income · Low spending",
        "Low income · High spending",
        "Average income · Average spending",
        "High income · Low spending (2)",
    ]
    hovering = np.array([[0.6, -0.45]])  # plain words: High income · Average spending
    assert segment_names(hovering, MALL) == ["High income · Average spending"]
    assert segment_names(hovering, MALL, ["Average income · Low spending"]) == ["Average income · Low spending"]
    assert segment_names(np.array([[-2.0]]), ("age",)) == ["Younger"]


def test_a_new_segment_named_like_another_id_gets_the_word_that_tells_them_apart() -> None:
    pool = pd.DataFrame(
        {
            "segment_id": [3, 4],
            "segment_name": ["High income · Low spending", "Low income · Low spending"],
            "centroid": [np.array([88.0, 17.0]), np.array([26.0, 20.0])],
        }
    )
    names = tell_apart(
        ["High income · Low spending", "Low income · Low spending"],
        np.array([6, 4]),
        np.array([[120.0, 30.0], [25.0, 21.0]]),
        pool,
        MALL,
        np.array([26.0, 25.0]),
    )
    assert names == ["High income · Low spending (higher income)", "Low income · Low spending"]
