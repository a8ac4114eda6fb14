"""Plots: one function per figure, plain data in, a matplotlib Figure out.

Figures are built with the object-oriented API on `Figure` objects (no pyplot state, no display
needed), in the Okabe-Ito colour-blind-safe palette (Okabe & Ito, "Color Universal Design"),
with segment names and units in titles and legends. They read only what the warehouse holds, so a report can be
rebuilt for any past run.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from schemas.features import FEATURES

# Okabe-Ito, ordered so that the first segments get the most distinct colours; yellow (weak on
# white) and black come last.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LABELS = {name: feature.label for name, feature in FEATURES.items()}
DPI = 80


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def style(index: int) -> dict[str, str]:
    """Colour and marker of the index-th segment: more segments than colours still differ."""
    return {"color": colour(index), "marker": MARKERS[(index // len(PALETTE)) % len(MARKERS)]}


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def k_selection_figure(k_table: pd.DataFrame, *, chosen: int, reason: str) -> Figure:
    """Inertia per candidate k, silhouette (and stability where scored) on a second axis, the
    chosen k marked, the decision's reason as the caption."""
    caption = textwrap.fill(f"Why: {reason}", 110)
    lines = caption.count("\n") + 1
    figure = Figure(figsize=(7.5, 4.6 + 0.16 * lines))
    figure.subplots_adjust(left=0.1, right=0.9, top=0.82, bottom=0.12 + 0.035 * lines)
    axis = figure.subplots()
    table = k_table.sort_values("k")
    axis.plot(table["k"], table["inertia"], marker="o", color=colour(0), label="inertia (left)")
    axis.set_xlabel("number of segments k")
    axis.set_ylabel("inertia (within-segment sum of squares)")
    axis.set_xticks(table["k"])
    scores = axis.twinx()
    scores.plot(table["k"], table["silhouette"], marker="s", color=colour(1), label="silhouette (right)")
    if "stability" in table and table["stability"].notna().any():
        scores.plot(
            table["k"], table["stability"], marker="^", linestyle="--", color=colour(2), label="stability (right)"
        )
    scores.set_ylabel("silhouette, stability")
    scores.set_ylim(0, 1.05)
    axis.axvline(chosen, color=colour(3), linewidth=2, alpha=0.6)
    axis.annotate(f"chosen k={chosen}", xy=(chosen, axis.get_ylim()[1]), xytext=(4, -14), textcoords="offset points")
    lines = axis.get_legend_handles_labels()
    more = scores.get_legend_handles_labels()
    axis.legend(
        lines[0] + more[0], lines[1] + more[1], loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False
    )
    axis.set_title(f"How k was chosen: k={chosen}", pad=28)
    figure.text(0.01, 0.01, caption, fontsize=8, va="bottom")
    return figure


def segment_map_figure(
    points: pd.DataFrame, centroids: pd.DataFrame, *, x: str, y: str, names: dict[int, str], note: str
) -> Figure:
    """Customers on the two main features, coloured by segment name, centres marked.

    Args:
        points: segment_id and the two feature columns, one row per plotted customer.
        centroids: segment_id and the two feature columns, one row per segment.
        x, y: the features on each axis.
        names: segment id -> name, in legend order.
        note: what the points are (all customers, or a seeded sample of how many).
    """
    figure = Figure(figsize=(9.5, 5.4))
    figure.subplots_adjust(left=0.08, right=0.66, top=0.93, bottom=0.14)
    axis = figure.subplots()
    for index, (segment_id, name) in enumerate(names.items()):
        mine = points[points["segment_id"] == segment_id]
        look = style(index)
        axis.scatter(mine[x], mine[y], s=14, alpha=0.6, label=f"{segment_id} {name}", **look)
        centre = centroids[centroids["segment_id"] == segment_id]
        if not centre.empty and centre[[x, y]].notna().all(axis=None):
            axis.scatter(centre[x], centre[y], s=220, marker="X", color=look["color"], edgecolor="black", linewidth=1.2)
    axis.set_xlabel(LABELS[x])
    axis.set_ylabel(LABELS[y])
    axis.set_title(f"Segments by {LABELS[x].split(' (')[0].lower()} and {LABELS[y].split(' (')[0].lower()}")
    axis.legend(title="segment (✕ = centre)", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.text(0.01, 0.01, note, fontsize=8, va="bottom")
    return figure


def profile_figure(profiles: pd.DataFrame, *, features: tuple[str, ...]) -> Figure:
    """Segment sizes and the mean of each profiled column, side by side."""
    figure = Figure(figsize=(11, 4.4), layout="constrained")
    sizes, means = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    labels = [f"{r.segment_id} {r.segment_name}" for r in profiles.itertuples()]
    positions = np.arange(len(profiles))
    sizes.barh(positions, profiles["n_customers"], color=[colour(i) for i in range(len(profiles))])
    sizes.set_yticks(positions, labels, fontsize=8)
    sizes.invert_yaxis()
    sizes.set_xlabel("customers")
    sizes.set_title("Segment sizes")
    for position, row in zip(positions, profiles.itertuples(), strict=True):
        sizes.annotate(f" {row.share:.0%}", (row.n_customers, position), va="center", fontsize=8)
    columns = list(features)
    width = 0.8 / len(columns)
    for offset, column in enumerate(columns):
        means.bar(
            positions + offset * width,
            profiles[f"mean_{column}"],
            width,
            label=LABELS[column],
            color=colour(len(profiles) + offset),
        )
    means.set_xticks(positions + width * (len(columns) - 1) / 2, [str(i) for i in profiles["segment_id"]])
    means.set_xlabel("segment")
    means.set_title("Mean per segment")
    means.legend(fontsize=8, frameon=False)
    return figure


def demographics_figure(profiles: pd.DataFrame, ages: pd.DataFrame | None) -> Figure:
    """Age (distribution where a customer sample exists, else mean and median) and gender mix
    per segment."""
    figure = Figure(figsize=(11, 4.6))
    figure.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.22)
    age_axis, gender_axis = figure.subplots(1, 2)
    positions = np.arange(len(profiles))
    ids = profiles["segment_id"].tolist()
    if ages is not None and not ages.empty:
        data = [ages.loc[ages["segment_id"] == sid, "age"].to_numpy() for sid in ids]
        boxes = age_axis.boxplot(
            data, positions=positions, widths=0.6, patch_artist=True, showfliers=False, medianprops={"color": "black"}
        )
        for index, box in enumerate(boxes["boxes"]):
            box.set_facecolor(colour(index))
            box.set_alpha(0.7)
        age_axis.set_title("Age per segment")
    else:
        age_axis.bar(positions, profiles["mean_age"], color=[colour(i) for i in range(len(ids))], label="mean")
        age_axis.scatter(positions, profiles["median_age"], color="black", marker="_", s=300, label="median")
        age_axis.legend(fontsize=8, frameon=False)
        age_axis.set_title("Age per segment (mean and median)")
    age_axis.set_xticks(positions, [str(i) for i in ids])
    age_axis.set_xlabel("segment")
    age_axis.set_ylabel(LABELS["age"])
    gender_axis.bar(positions, profiles["share_female"], color=colour(0), label="Female")
    gender_axis.bar(positions, profiles["share_male"], bottom=profiles["share_female"], color=colour(1), label="Male")
    gender_axis.set_xticks(positions, [str(i) for i in ids])
    gender_axis.set_xlabel("segment")
    gender_axis.set_ylabel("share of the segment")
    gender_axis.set_ylim(0, 1)
    gender_axis.set_title("Gender mix per segment")
    gender_axis.legend(fontsize=8, frameon=False, loc="upper right")
    names = "; ".join(f"{r.segment_id} = {r.segment_name}" for r in profiles.itertuples())
    figure.text(0.01, 0.01, textwrap.fill(f"Segments: {names}", 150), fontsize=8, va="bottom")
    return figure
