"""Plots: one function per figure, plain data in, a matplotlib Figure out.

Figures are built with the object-oriented API on `Figure` objects (no pyplot state, no display
needed), with segment names and units in titles and legends. A segment's colour (and marker) is a
function of its lasting ID (`segmentation.colours`), never of its place in a list, so segment 4 looks the
same in every period, plot and report. Features are whatever the run clustered on: their labels
come from `LABELS` (a readable default otherwise), so every plot works for any two or more
features. They read only what the warehouse holds, so a report can be rebuilt for any past run.
"""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from segmentation.colours import PALETTE, segment_colour, segment_marker
from segmentation.registry import FEATURES
from segmentation.registry import label as feature_label

DPI = 150  # a caption at 9 pt is 19 px high: readable in a report and in the Prefect UI
CAPTION_PT = 9
# Neutral for what is not a segment (metrics, gender), so no line or bar borrows a segment's colour.
INK = ("#333333", "#777777", "#AAAAAA")
GENDER = {"Female": "#5E5E5E", "Male": "#BDBDBD"}


def label(feature: str, currency: str | None = None) -> str:
    """A feature in the reader's words, with its unit where known: 'Annual income (k$)',
    'Net spend in the window (EUR)'."""
    return feature_label(feature, currency) if feature in FEATURES else feature.replace("_", " ").capitalize()


def heavy_tailed(feature: str) -> bool:
    """Counts and money: drawn on a log scale, or a few big spenders squash everyone else into a band."""
    return feature in FEATURES and FEATURES[feature].transform == "log1p"


def short_label(feature: str) -> str:
    """The label without its unit, lower case: 'annual income'."""
    return (FEATURES[feature].short if feature in FEATURES else label(feature)).lower()


def colour(segment_id: int) -> str:
    """The colour of a segment ID (see `segmentation.colours`)."""
    return segment_colour(segment_id)


def style(segment_id: int) -> dict[str, str]:
    """Colour and marker of a segment ID: more segments than colours still differ."""
    return {"color": segment_colour(segment_id), "marker": segment_marker(segment_id)}


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    # zlib level 1, not Pillow's 6: the same pixels, written in about three quarters of the time
    # (the figures are a quarter of a run's CPU on small data), files about 8 % larger.
    # bbox "tight": no label, title or legend is ever cut at the figure's edge.
    figure.savefig(
        buffer, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.15, pil_kwargs={"compress_level": 1}
    )
    return buffer.getvalue()


def _caption(figure: Figure, text: str) -> None:
    figure.text(0.01, 0.01, text, fontsize=CAPTION_PT, va="bottom")


def k_selection_figure(k_table: pd.DataFrame, *, chosen: int, reason: str) -> Figure:
    """Inertia per candidate k, silhouette (and stability where scored) on a second axis, the
    chosen k marked (in the legend, so its label never sits on a line), the reason as the caption."""
    caption = textwrap.fill(f"Why: {reason}", 105)
    lines = caption.count("\n") + 1
    figure = Figure(figsize=(7.5, 4.6 + 0.18 * lines))
    figure.subplots_adjust(left=0.1, right=0.9, top=0.8, bottom=0.12 + 0.04 * lines)
    axis = figure.subplots()
    table = k_table.sort_values("k")
    axis.plot(table["k"], table["inertia"], marker="o", color=INK[0], label="inertia (left)")
    axis.set_xlabel("number of segments k")
    axis.set_ylabel("inertia (within-segment sum of squares)")
    axis.set_xticks(table["k"])
    scores = axis.twinx()
    scores.plot(table["k"], table["silhouette"], marker="s", color=PALETTE[3], label="silhouette (right)")
    if "stability" in table and table["stability"].notna().any():
        scores.plot(
            table["k"], table["stability"], marker="^", linestyle="--", color=PALETTE[4], label="stability (right)"
        )
    scores.set_ylabel("silhouette, stability")
    scores.set_ylim(0, 1.05)
    axis.axvline(chosen, color=PALETTE[2], linewidth=6, alpha=0.3, label=f"chosen k={chosen}")
    handles, names = axis.get_legend_handles_labels()
    more = scores.get_legend_handles_labels()
    axis.legend(
        handles + more[0], names + more[1], loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False
    )
    axis.set_title(f"How k was chosen: k={chosen}", pad=26)
    _caption(figure, caption)
    return figure


def segment_map_figure(
    points: pd.DataFrame,
    centroids: pd.DataFrame,
    *,
    x: str,
    y: str,
    names: dict[int, str],
    note: str,
    currency: str | None = None,
) -> Figure:
    """Customers on two features, coloured by segment ID, centres marked.

    Args:
        points: segment_id and the two feature columns, one row per plotted customer.
        centroids: segment_id and the two feature columns, one row per segment.
        x, y: the features on each axis.
        names: segment id -> name, in legend order.
        note: what the points and the ✕ are (all customers or a sample; the run's or the model's centres).
        currency: the unit of amounts (SEGMENT_CURRENCY).
    """
    caption = textwrap.fill(note, 120)
    lines = caption.count("\n") + 1
    figure = Figure(figsize=(9.5, 5.4 + 0.18 * (lines - 1)))
    figure.subplots_adjust(left=0.08, right=0.64, top=0.93, bottom=0.1 + 0.04 * lines)
    axis = figure.subplots()
    for segment_id, name in names.items():
        mine = points[points["segment_id"] == segment_id] if len(points) else points
        look = style(segment_id)
        axis.scatter(mine[x], mine[y], s=14, alpha=0.6, label=f"{segment_id} {name}", **look)
        centre = centroids[centroids["segment_id"] == segment_id]
        if not centre.empty and centre[[x, y]].notna().all(axis=None):
            axis.scatter(centre[x], centre[y], s=220, marker="X", color=look["color"], edgecolor="black", linewidth=1.2)
    scaled = []
    for name, setter in ((x, axis.set_xscale), (y, axis.set_yscale)):
        if heavy_tailed(name):  # symlog: zero and net refunds (negative) still have a place
            setter("symlog", linthresh=1)
            scaled.append(short_label(name))
    axis.set_xlabel(label(x, currency) + (" (log scale)" if heavy_tailed(x) else ""))
    axis.set_ylabel(label(y, currency) + (" (log scale)" if heavy_tailed(y) else ""))
    axis.set_title(f"Segments by {short_label(x)} and {short_label(y)}")
    axis.legend(title="segment (✕ = centre)", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    _caption(figure, caption)
    return figure


def share_labels(shares: pd.Series) -> list[str]:
    """Shares as percentages with one decimal, as the report's table prints them."""
    return [f"{100 * s:.1f}%" for s in shares]


def profile_figure(profiles: pd.DataFrame, *, features: tuple[str, ...], currency: str | None = None) -> Figure:
    """Segment sizes, then one small panel per feature with its mean per segment (each on its own
    axis and unit: income in k$ and a 1-100 score never share a scale)."""
    columns = [f for f in features if f"mean_{f}" in profiles] or [
        c.removeprefix("mean_") for c in profiles.columns if c.startswith("mean_")
    ][:1]
    figure = Figure(figsize=(5.6 + 2.6 * len(columns), 4.4), layout="constrained")
    axes = figure.subplots(1, 1 + len(columns), gridspec_kw={"width_ratios": [1.6] + [1] * len(columns)})
    sizes, panels = axes[0], axes[1:]
    ids = [int(i) for i in profiles["segment_id"]]
    colours = [colour(i) for i in ids]
    labels = [f"{r.segment_id} {r.segment_name}" for r in profiles.itertuples()]
    positions = np.arange(len(profiles))
    sizes.barh(positions, profiles["n_customers"], color=colours)
    sizes.set_yticks(positions, labels, fontsize=8)
    sizes.invert_yaxis()
    sizes.set_xlabel("customers")
    sizes.set_title("Segment sizes (share of customers)", fontsize=10)
    sizes.set_xlim(0, profiles["n_customers"].max() * 1.25)
    for position, n, text in zip(positions, profiles["n_customers"], share_labels(profiles["share"]), strict=True):
        sizes.annotate(f" {text}", (n, position), va="center", fontsize=8)
    for panel, column in zip(panels, columns, strict=True):
        panel.bar(positions, profiles[f"mean_{column}"], color=colours)
        panel.set_xticks(positions, [str(i) for i in ids])
        panel.set_xlabel("segment")
        text = label(column, currency)
        panel.set_ylabel(f"mean {text[0].lower()}{text[1:]}")
        panel.set_title(f"Mean {short_label(column)}", fontsize=10)
    return figure


def demographics_figure(profiles: pd.DataFrame, ages: pd.DataFrame | None) -> Figure:
    """Age (distribution where a customer sample exists, else mean and median) and gender mix
    per segment."""
    names = "; ".join(f"{r.segment_id} = {r.segment_name}" for r in profiles.itertuples())
    caption = textwrap.fill(f"Segments: {names}", 130)
    lines = caption.count("\n") + 1
    figure = Figure(figsize=(11, 4.6 + 0.18 * (lines - 1)))
    figure.subplots_adjust(left=0.07, right=0.98, top=0.84, bottom=0.14 + 0.04 * lines, wspace=0.25)
    age_axis, gender_axis = figure.subplots(1, 2)
    positions = np.arange(len(profiles))
    ids = [int(i) for i in profiles["segment_id"]]
    if ages is not None and not ages.empty:
        data = [ages.loc[ages["segment_id"] == sid, "age"].to_numpy() for sid in ids]
        boxes = age_axis.boxplot(
            data, positions=positions, widths=0.6, patch_artist=True, showfliers=False, medianprops={"color": "black"}
        )
        for segment_id, box in zip(ids, boxes["boxes"], strict=True):
            box.set_facecolor(colour(segment_id))
            box.set_alpha(0.7)
        age_axis.set_title("Age per segment")
    else:
        age_axis.bar(positions, profiles["mean_age"], color=[colour(i) for i in ids], label="mean")
        age_axis.scatter(positions, profiles["median_age"], color="black", marker="_", s=300, label="median")
        age_axis.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
        age_axis.set_title("Age per segment (mean and median)", pad=22)
    age_axis.set_xticks(positions, [str(i) for i in ids])
    age_axis.set_xlabel("segment")
    age_axis.set_ylabel(label("age"))
    female, male = profiles["share_female"], profiles["share_male"]
    gender_axis.bar(positions, female, color=GENDER["Female"], label="Female", edgecolor="white")
    gender_axis.bar(positions, male, bottom=female, color=GENDER["Male"], label="Male", edgecolor="white")
    for position, share in zip(positions, female, strict=True):
        gender_axis.annotate(f"{100 * share:.0f}%", (position, share / 2), ha="center", va="center", color="white")
    gender_axis.set_xticks(positions, [str(i) for i in ids])
    gender_axis.set_xlabel("segment")
    gender_axis.set_ylabel("share of the segment")
    gender_axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    gender_axis.set_ylim(0, 1)
    # Above the bars, never on them: a swatch inside a bar of its own colour disappears.
    gender_axis.legend(fontsize=8, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
    gender_axis.set_title("Gender mix per segment (female share in the bar)", pad=22)
    _caption(figure, caption)
    return figure


def forecast_figure(accuracy: pd.DataFrame, *, currency: str | None = None) -> Figure:
    """Predicted against actual, per forecast period (the next period's orders, and its value where
    forecast): how the earlier forecasts did, as later runs measured them.

    Args:
        accuracy: forecast_period, predicted_orders, actual_orders, predicted_value, actual_value,
            one row per earlier forecast (all its customers), in period order.
        currency: the unit of amounts.
    """
    has_value = "predicted_value" in accuracy and accuracy["predicted_value"].notna().any()
    figure = Figure(figsize=(10 if has_value else 6, 4.2), layout="constrained")
    axes = figure.subplots(1, 2 if has_value else 1, squeeze=False)[0]
    positions = np.arange(len(accuracy))
    width = 0.38
    for axis, (what, unit) in zip(axes, [("orders", "orders"), ("value", currency or "currency units")], strict=False):
        axis.bar(positions - width / 2, accuracy[f"predicted_{what}"], width, color=INK[1], label="predicted")
        axis.bar(positions + width / 2, accuracy[f"actual_{what}"], width, color=PALETTE[2], label="actual")
        axis.set_xticks(positions, list(accuracy["forecast_period"]), rotation=30 if len(positions) > 6 else 0)
        axis.set_xlabel("period forecast from (horizon: the next period)")
        axis.set_ylabel(f"{what} in the next period ({unit})" if what == "value" else "orders in the next period")
        axis.set_title(f"Forecast {what}: predicted and actual", fontsize=10)
        axis.legend(fontsize=8, frameon=False)
    return figure
