from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import DataError
from tasks.select_k import bend_of, choose_k, feasible_ks, knee_of, score_k, stability_score


def scores(inertia: list[float], silhouette: list[float | None], first_k: int = 2) -> pd.DataFrame:
    ks = list(range(first_k, first_k + len(inertia)))
    return pd.DataFrame({"k": ks, "inertia": inertia, "silhouette": silhouette})


def test_pinned_k_wins() -> None:
    choice = choose_k(scores([9, 5, 4], [0.1, 0.2, 0.3]), tolerance=0.1, pinned=3)
    assert choice.k == 3
    assert "pinned" in choice.reason


def test_knee_kept_when_its_silhouette_is_close_to_the_best() -> None:
    # Inertia falls steeply to k=4, then flattens: knee at 4. Best silhouette 0.50 at k=5;
    # 0.48 at the knee is within 10% of it.
    choice = choose_k(scores([100, 60, 20, 18, 16, 15], [0.30, 0.40, 0.48, 0.50, 0.41, 0.40]), tolerance=0.1)
    assert choice.k == 4
    assert choice.reason.startswith("knee of the inertia curve at k=4")


def test_best_silhouette_wins_when_the_knee_is_far_below_it() -> None:
    choice = choose_k(scores([100, 60, 20, 18, 16, 15], [0.30, 0.40, 0.20, 0.50, 0.41, 0.40]), tolerance=0.1)
    assert choice.k == 5
    assert "more than 10% below the best; took k=5" in choice.reason


def test_no_knee_falls_back_to_best_silhouette() -> None:
    choice = choose_k(scores([10, 9], [0.2, 0.6]), tolerance=0.1)
    assert choice.k == 3
    assert "has no knee" in choice.reason


def test_feasible_ks_drop_k_not_below_row_count() -> None:
    assert feasible_ks([2, 3, 4, 5], 4) == [2, 3]
    with pytest.raises(DataError, match="cannot be split into 2 or more"):
        feasible_ks([2, 3], 2)


def test_score_k_on_two_obvious_groups() -> None:
    points = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    result = score_k(points, 2, n_init=3, random_state=0, silhouette_sample_size=100)
    # each group: two points 1 apart around their centre -> inertia 4 * 0.25
    assert result["k"] == 2
    assert result["inertia"] == pytest.approx(1.0)
    # a(i) = 1, b(i) = mean(10, sqrt(101)) for every point
    b = (10 + np.sqrt(101)) / 2
    assert result["silhouette"] == pytest.approx(1 - 1 / b)


def test_stability_is_one_for_well_separated_groups_and_off_when_asked() -> None:
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(centre, 0.1, size=(50, 2)) for centre in ((0, 0), (10, 0), (0, 10))])
    labels = np.repeat([0, 1, 2], 50)
    kwargs = {"sample_size": 1000, "n_init": 3, "random_state": 0}
    assert stability_score(points, labels, 3, resamples=3, **kwargs) == pytest.approx(1.0)
    assert stability_score(points, labels, 3, resamples=0, **kwargs) is None
    assert stability_score(points[:4], labels[:4], 3, resamples=3, **kwargs) is None  # 80% of 4 rows <= k


def test_stability_is_low_for_structureless_data() -> None:
    points = np.random.default_rng(1).uniform(size=(400, 2))
    labels = np.random.default_rng(2).integers(0, 4, size=400)  # a partition nothing reproduces
    score = stability_score(points, labels, 4, resamples=3, sample_size=1000, n_init=3, random_state=0)
    assert abs(score) < 0.1


def test_a_knee_below_the_stability_floor_is_not_chosen() -> None:
    table = scores([100, 60, 20, 18, 16, 15], [0.30, 0.40, 0.48, 0.50, 0.41, 0.40])
    table["stability"] = [0.99, 0.95, 0.60, 0.90, 0.85, 0.80]
    choice = choose_k(table, tolerance=0.1, stability_floor=0.8)
    assert choice.k == 5
    assert choice.reason.startswith("knee of the inertia curve at k=4 is not stable enough (0.60 < 0.8)")
    assert "k=4 fell below the stability floor 0.8" in choice.reason
    assert choose_k(table, tolerance=0.1, stability_floor=0.5).k == 4


def test_every_method_answer_is_recorded_and_disagreement_said() -> None:
    table = scores([100, 60, 20, 18, 16, 15], [0.30, 0.40, 0.48, 0.50, 0.41, 0.40])
    table["calinski_harabasz"] = [10, 20, 30, 25, 40, 5]
    table["davies_bouldin"] = [0.9, 0.8, 0.5, 0.7, 0.6, 0.95]
    table["stability"] = [0.99, 0.95, 0.90, 0.90, 0.85, 0.80]
    choice = choose_k(table, tolerance=0.1, stability_floor=0.8)
    assert choice.methods == {"elbow": 4, "silhouette": 5, "calinski_harabasz": 6, "davies_bouldin": 4, "stability": 2}
    assert choice.k == 4
    assert (
        "methods disagree (elbow 4, silhouette 5, Calinski-Harabasz 6, Davies-Bouldin 4, stability 2); "
        "silhouette, Calinski-Harabasz, stability would choose otherwise"
    ) in choice.reason


def test_when_no_candidate_is_stable_enough_all_are_eligible() -> None:
    table = scores([100, 60, 20, 18], [0.30, 0.40, 0.48, 0.50])
    table["stability"] = [0.1, 0.2, 0.3, 0.2]
    choice = choose_k(table, tolerance=0.1, stability_floor=0.8)
    assert choice.k == 5  # no knee over 2..5: the best silhouette, though nothing is stable
    assert "no candidate reaches the stability floor 0.8, so all were eligible" in choice.reason


# The order-history rule (tolerance None): k in 3..8, every segment at least min_share of customers,
# and the knee not overridden by silhouette. Hand-made tables: inertia bends at k=5 (kneed).
ORDER_KS = list(range(3, 9))
BENT = [100, 70, 45, 40, 37, 35]


def order_scores(
    inertia: list[float], *, silhouette: list[float] | None = None, **columns: list[float]
) -> pd.DataFrame:
    table = pd.DataFrame({"k": ORDER_KS, "inertia": inertia})
    table["silhouette"] = silhouette or [0.40, 0.36, 0.33, 0.31, 0.30, 0.29]  # falls with k, as on order data
    return table.assign(**columns)


def test_the_order_rule_keeps_the_knee_however_much_better_silhouette_likes_a_smaller_k() -> None:
    table = order_scores(BENT, min_share=[0.2, 0.1, 0.08, 0.05, 0.04, 0.03])
    choice = choose_k(table, tolerance=None, min_share=0.02)
    assert choice.k == 5
    assert choice.reason.startswith("knee of the inertia curve at k=5 (kneed); methods disagree")
    assert choice.methods == {"elbow": 5, "silhouette": 3}
    assert "silhouette would choose otherwise" in choice.reason
    # The customer-table rule on the same table: silhouette 0.33 is more than 10% below 0.40.
    assert choose_k(table, tolerance=0.1).k == 3


def test_a_knee_with_a_segment_below_the_share_floor_gives_way_to_the_nearest_eligible_k() -> None:
    table = order_scores(BENT, min_share=[0.2, 0.1, 0.015, 0.05, 0.01, 0.03])
    choice = choose_k(table, tolerance=None, min_share=0.02)
    assert choice.k == 4  # 4 and 6 are both one away from the knee: the smaller
    assert choice.reason.startswith(
        "knee of the inertia curve at k=5 has a segment of 1.5% of customers; took k=4, the nearest eligible k; "
        "not chosen for a segment below 2% of customers: k=5 1.5%, k=7 1.0%"
    )


def test_an_unstable_knee_gives_way_to_the_nearest_stable_k() -> None:
    table = order_scores(BENT, min_share=[0.2] * 6, stability=[0.95, 0.7, 0.6, 0.9, 0.9, 0.9])
    choice = choose_k(table, tolerance=None, stability_floor=0.8, min_share=0.02)
    assert choice.k == 6
    assert "knee of the inertia curve at k=5 is not stable enough (0.60 < 0.8); took k=6" in choice.reason
    assert "k=4, 5 fell below the stability floor 0.8" in choice.reason


def test_data_that_cannot_fill_the_range_with_big_enough_segments_says_so() -> None:
    table = order_scores(BENT, min_share=[0.012, 0.009, 0.004, 0.003, 0.002, 0.001])
    choice = choose_k(table, tolerance=None, min_share=0.02)
    assert choice.k == 3
    assert choice.reason.startswith(
        "the data cannot support 6 candidate k with every segment at least 2% of customers (smallest segments: "
        "k=3 1.2%, k=4 0.9%, k=5 0.4%, k=6 0.3%, k=7 0.2%, k=8 0.1%); took k=3, whose smallest segment is the largest"
    )
    assert "methods disagree (elbow 5, silhouette 3)" in choice.reason


def test_without_a_knee_the_order_rule_takes_the_best_silhouette_among_big_enough_segments() -> None:
    table = order_scores([100, 90, 80, 70, 60, 50], min_share=[0.01, 0.1, 0.1, 0.1, 0.1, 0.1])
    choice = choose_k(table, tolerance=None, min_share=0.02)
    assert choice.k == 4  # k=3 has the best silhouette but a segment of 1%
    assert choice.reason.startswith("the inertia curve over k=3..8 has no knee; k=4 has the best silhouette (0.360)")


def test_a_pinned_k_is_kept_and_says_when_its_smallest_segment_is_below_the_floor() -> None:
    table = order_scores(BENT, min_share=[0.2, 0.1, 0.08, 0.05, 0.04, 0.01])
    choice = choose_k(table, tolerance=None, min_share=0.02, pinned=8)
    assert choice.k == 8
    assert choice.reason == (
        "k=8 was pinned by the user; no selection rule applied; its smallest segment holds 1.0% of customers (below 2%)"
    )


def test_score_k_records_the_smallest_segments_share() -> None:
    points = np.array([[0.0, 0.0], [0.0, 0.1], [0.1, 0.0], [10.0, 10.0]])
    assert score_k(points, 2, n_init=3, random_state=0, silhouette_sample_size=100)["min_share"] == 0.25


# An online retailer's quarter (generated history): inertia over 3..8 bends gently, kneed finds no knee.
GENTLE = [6725.7, 5622.8, 4785.6, 4225.3, 3778.0, 3389.2]


def test_the_largest_bend_is_the_point_furthest_below_the_line_between_the_ends() -> None:
    assert knee_of(order_scores(GENTLE)) is None
    # Scaled to 0..1, the line from k=3 to k=8 is above the curve by .13, .18, .15, .08 at k=4..7.
    assert bend_of(order_scores(GENTLE)) == 5
    assert bend_of(order_scores([100, 90, 80, 70, 60, 50])) is None  # straight
    assert bend_of(order_scores([100, 99, 97, 90, 70, 40])) is None  # concave
    assert bend_of(order_scores(GENTLE).head(2)) is None


def test_where_kneed_finds_no_knee_the_order_rule_takes_the_largest_bend() -> None:
    choice = choose_k(order_scores(GENTLE, min_share=[0.2, 0.17, 0.09, 0.07, 0.06, 0.06]), tolerance=None)
    assert choice.k == 5
    assert choice.reason.startswith(
        "the inertia curve over k=3..8 has no knee by kneed's threshold; it bends most at k=5 "
        "(furthest below the line from k=3 to k=8); every method's own answer differs from k=5 (silhouette 3)"
    )
    assert "elbow" not in choice.methods  # the votes are the methods' own, as before
    # The customer-table rule on the same curve: no knee, the best silhouette.
    assert choose_k(order_scores(GENTLE), tolerance=0.1).k == 3


def test_a_bend_with_a_small_segment_gives_way_to_the_nearest_eligible_k() -> None:
    table = order_scores(GENTLE, min_share=[0.2, 0.17, 0.01, 0.07, 0.06, 0.06])
    choice = choose_k(table, tolerance=None, min_share=0.02)
    assert choice.k == 4
    assert "it bends most at k=5 (furthest below the line from k=3 to k=8), but k=5 has a segment of 1.0% of " in (
        choice.reason
    )
