"""Naming: a segment's name in words, from its centre, in the words of segmentation/registry.py.

Each feature of a centroid is Low below -0.5 standard deviations from the customers' mean, High
above +0.5, Average between ("High income · Low spending"), in the words the registry gives the
feature (orders: "Recent · Frequent · High spend"; a low-frequency centre of about one order is
"One-time"). Levels are measured in model space (log1p of counts and money); a categorical feature
(gender) by the segment's share of its first level. A matched segment keeps the words of its
previous name unless a feature moved more than NAME_MARGIN (0.25 SD) past the boundary it crossed,
so a segment hovering at a boundary keeps its name. Two segments of one run never share a name:
the later ID gets " (2)", " (3)", ... A new segment whose name a reference segment of another ID
carries gets the word that tells them apart, from the feature where their centres differ most:
"High income · Low spending (higher income)". `tasks.identity` decides which segment continues
which; this module only words them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.registry import FEATURES, ONE_TIME, model_columns, to_original

LEVEL_THRESHOLD = 0.5
ONE_TIME_BELOW = 1.5  # orders: a centre below this is a one-time buyer's
NAME_MARGIN = 0.25
SEPARATOR = " · "


def level(z: float, *, threshold: float = LEVEL_THRESHOLD) -> int:
    """0 (low), 1 (average) or 2 (high) for a value `z` standard deviations from the mean."""
    return 0 if z < -threshold else 2 if z > threshold else 1


def kept_level(
    z: float, previous: int | None, *, threshold: float = LEVEL_THRESHOLD, margin: float = NAME_MARGIN
) -> int:
    """The level of `z`, except that a previous level holds until `z` is `margin` past the boundary."""
    new = level(z, threshold=threshold)
    if previous is None or new == previous:
        return new
    boundaries = (-threshold, threshold)  # between levels 0|1 and 1|2
    if new > previous:
        return new if z > boundaries[previous] + margin else previous
    return new if z < boundaries[previous - 1] - margin else previous


def previous_levels(name: str | None, features: tuple[str, ...]) -> list[int | None]:
    """The level each feature had in a previous name, where the name spells it out."""
    if not name:
        return [None] * len(features)
    words = name.split(" (")[0].split(SEPARATOR)
    # A name made before a categorical feature was added has fewer words: none of them holds.
    if len(words) != len(features):
        return [None] * len(features)
    return [
        0 if w == ONE_TIME else FEATURES[f].words.index(w) if w in FEATURES[f].words else None
        for f, w in zip(features, words, strict=True)
    ]


def segment_names(
    scaled_centroids: np.ndarray,
    features: tuple[str, ...],
    previous: list[str | None] | None = None,
    centroids: np.ndarray | None = None,
) -> list[str]:
    """Name each segment from its standardised centroid, keeping previous words where they hold.

    Args:
        scaled_centroids: one row per segment (in ID order), one column per feature.
        features: the feature names, in column order.
        previous: the segment's previous name, or None, per row.
        centroids: the same centres in model space; where given, a low-frequency segment whose
            centre is about one order is called "One-time".

    Returns:
        One distinct name per segment.
    """
    previous = previous or [None] * len(scaled_centroids)
    columns = model_columns(features)
    names: list[str] = []
    for row, (centroid, before) in enumerate(zip(scaled_centroids, previous, strict=True)):
        levels = []
        for feature, old in zip(features, previous_levels(before, features), strict=True):
            if FEATURES[feature].categorical:  # by the share of the first level (women): ≤ 1/3, between, ≥ 2/3
                share = (
                    float(centroids[row, columns.index(model_columns([feature])[0])]) if centroids is not None else 0.5
                )
                levels.append(0 if share <= 1 / 3 else 2 if share >= 2 / 3 else 1)
            else:
                levels.append(kept_level(float(centroid[columns.index(feature)]), old))
        words = [FEATURES[f].words[lv] for f, lv in zip(features, levels, strict=True)]
        if centroids is not None and "frequency" in features:
            i = features.index("frequency")
            centre = float(centroids[row, columns.index("frequency")])
            if levels[i] == 0 and to_original("frequency", centre) < ONE_TIME_BELOW:
                words[i] = ONE_TIME
        base = SEPARATOR.join(words)
        repeats = sum(1 for name in names if name == base or name.startswith(base + " ("))
        names.append(base if repeats == 0 else f"{base} ({repeats + 1})")
    return names


def tell_apart(
    names: list[str],
    ids: np.ndarray,
    centroids: np.ndarray,
    pool: pd.DataFrame,
    features: tuple[str, ...],
    scale: np.ndarray,
) -> list[str]:
    """Names of new segments that a pool segment of another ID also carries, with the word that
    tells them apart: where their centres differ most ("higher income", "less recent")."""
    taken = {str(n).split(" (")[0]: i for n, i in zip(pool["segment_name"], pool["segment_id"], strict=True)}
    result = []
    for name, segment_id, centroid in zip(names, ids, centroids, strict=True):
        other = taken.get(name.split(" (")[0])
        if other is None or other == segment_id:
            result.append(name)
            continue
        theirs = pool.loc[pool["segment_id"] == other, "centroid"].iloc[0]
        difference = (centroid - theirs) / scale
        feature = int(np.argmax(np.abs(difference)))
        column = model_columns(features)[feature]
        if column in FEATURES and any(FEATURES[column].comparative):
            phrase = FEATURES[column].comparative[int(difference[feature] > 0)]
        else:  # a one-hot column: more of its level ('more female')
            phrase = f"{'more' if difference[feature] > 0 else 'less'} {column.split('_', 1)[-1]}"
        result.append(f"{name.split(' (')[0]} ({phrase})")
    # Names stay distinct within the run: a told-apart name that another segment has keeps its number.
    return [new if result.count(new) == 1 else old for new, old in zip(result, names, strict=True)]
