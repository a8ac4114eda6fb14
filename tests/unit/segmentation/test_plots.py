"""Plots: a segment's colour follows its ID in every run and figure; labels, units and sizes read right."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from PIL import Image

from segmentation.colours import PALETTE, segment_colour
from segmentation.plots import (
    DPI,
    demographics_figure,
    k_selection_figure,
    png,
    profile_figure,
    segment_map_figure,
    share_labels,
)

FEATURES = ("annual_income", "spending_score")


def profiles(ids: list[int], sizes: list[int]) -> pd.DataFrame:
    n = sum(sizes)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "segment_id": ids,
            "segment_name": [f"segment named {i}" for i in ids],
            "n_customers": sizes,
            "share": [s / n for s in sizes],
            "mean_age": rng.uniform(20, 60, len(ids)),
            "median_age": rng.uniform(20, 60, len(ids)),
            "mean_annual_income": rng.uniform(15, 130, len(ids)),
            "mean_spending_score": rng.uniform(1, 100, len(ids)),
            "share_female": [0.6] * len(ids),
            "share_male": [0.4] * len(ids),
        }
    )


def points(ids: list[int]) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "segment_id": np.repeat(ids, 10),
            "annual_income": rng.uniform(15, 130, 10 * len(ids)),
            "spending_score": rng.uniform(1, 100, 10 * len(ids)),
            "age": rng.integers(18, 70, 10 * len(ids)),
        }
    )


def map_colours(frame: pd.DataFrame) -> dict[int, str]:
    """Segment ID -> the colour its points are drawn in, read back from the figure's legend."""
    figure = segment_map_figure(
        points(frame["segment_id"].tolist()),
        frame.assign(annual_income=50.0, spending_score=50.0),
        x="annual_income",
        y="spending_score",
        names=dict(zip(frame["segment_id"], frame["segment_name"], strict=True)),
        note="All customers.",
    )
    legend = figure.axes[0].get_legend()
    return {
        int(text.get_text().split()[0]): to_hex(handle.get_facecolor()[0]).upper()
        for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)
    }


def bar_colours(frame: pd.DataFrame) -> dict[int, str]:
    """Segment ID -> the colour of its bar in the sizes panel of the profile figure."""
    figure = profile_figure(frame, features=FEATURES)
    bars = figure.axes[0].patches
    return {int(i): to_hex(bar.get_facecolor()).upper() for i, bar in zip(frame["segment_id"], bars, strict=True)}


def test_a_segment_keeps_its_colour_by_id_in_two_runs_figures() -> None:
    # The first run has segments 1-5; in the next, segment 3 retired and segment 6 is new, so
    # segment 4 is third in the list: its colour must still be segment 4's.
    first = profiles([1, 2, 3, 4, 5], [81, 39, 35, 23, 22])
    second = profiles([1, 2, 4, 5, 6], [80, 39, 23, 22, 36])
    for colours in (map_colours, bar_colours):
        before, after = colours(first), colours(second)
        for segment_id in (1, 2, 4, 5):
            assert before[segment_id] == after[segment_id] == segment_colour(segment_id)
        assert after[6] == segment_colour(6)
        assert len(set(after.values())) == 5  # no two segments of one run share a colour
    assert segment_colour(4) == PALETTE[3]
    assert segment_colour(9) == segment_colour(1)  # the palette repeats; the marker then changes


def test_profile_has_one_panel_per_feature_with_its_unit_and_shares_that_add_up() -> None:
    frame = profiles([1, 2, 3, 4, 5], [81, 39, 35, 23, 22])
    figure = profile_figure(frame, features=FEATURES)
    sizes, income, spending = figure.axes
    assert income.get_ylabel() == "mean annual income (k$)"
    assert spending.get_ylabel() == "mean spending score (1-100)"
    assert all(axis.get_ylabel() or axis.get_xlabel() for axis in figure.axes)
    shown = [text.get_text().strip() for text in sizes.texts]
    assert shown == ["40.5%", "19.5%", "17.5%", "11.5%", "11.0%"]
    assert sum(float(s.rstrip("%")) for s in shown) == pytest.approx(100.0)
    assert share_labels(frame["share"]) == shown


def test_plots_work_for_any_features_with_readable_labels() -> None:
    frame = profiles([1, 2, 3], [5, 3, 2]).assign(mean_recency_days=[10.0, 40.0, 90.0], mean_frequency=[9.0, 3, 1])
    figure = profile_figure(frame, features=("recency_days", "frequency", "annual_income"))
    assert [axis.get_ylabel() for axis in figure.axes[1:]] == [
        "mean days since last order",  # labels from the feature registry (segmentation/registry.py)
        "mean orders in the window",
        "mean annual income (k$)",
    ]
    frame_points = points([1, 2, 3]).rename(columns={"annual_income": "recency_days", "spending_score": "frequency"})
    centres = frame.assign(recency_days=1.0, frequency=2.0)
    figure = segment_map_figure(
        frame_points, centres, x="recency_days", y="frequency", names={1: "a", 2: "b", 3: "c"}, note="n"
    )
    assert figure.axes[0].get_xlabel() == "Days since last order"


def test_gender_legend_sits_above_the_bars_and_the_k_label_is_in_the_legend() -> None:
    frame = profiles([1, 2, 3], [5, 3, 2])
    figure = demographics_figure(frame, None)
    figure.canvas.draw()
    gender = figure.axes[1]
    legend_box = gender.get_legend().get_window_extent()
    axes_box = gender.get_window_extent()
    assert legend_box.y0 >= axes_box.y1 - 1  # above the plotting area, never over a bar
    assert gender.get_ylabel() == "share of the segment"
    k_table = pd.DataFrame(
        {"k": [2, 3, 4], "inertia": [9.0, 5, 4], "silhouette": [0.4, 0.5, 0.45], "stability": [1.0, 0.9, 0.7]}
    )
    figure = k_selection_figure(k_table, chosen=3, reason="knee")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert "chosen k=3" in labels
    assert not figure.axes[0].texts  # no free-floating label to collide with a line


def test_figures_are_saved_at_150_dpi_with_one_caption() -> None:
    frame = profiles([1, 2, 3], [5, 3, 2])
    figure = segment_map_figure(
        points([1, 2, 3]),
        frame.assign(annual_income=1.0, spending_score=2.0),
        x="annual_income",
        y="spending_score",
        names={1: "a", 2: "b", 3: "c"},
        note="All 30 customers; ✕ marks each segment's centre.",
    )
    with Image.open(io.BytesIO(png(figure))) as image:
        assert DPI >= 150
        assert [round(d) for d in image.info["dpi"]] == [DPI, DPI]
        # Cropped to what is drawn ("tight"), never cut: within a quarter of the figure's own size.
        assert abs(image.width - figure.get_figwidth() * DPI) < 0.25 * figure.get_figwidth() * DPI
    captions = [t.get_text() for t in figure.texts]
    assert captions == ["All 30 customers; ✕ marks each segment's centre."]
    assert all(t.get_fontsize() >= 9 for t in figure.texts)
