"""Select k: score every candidate k on the seeded selection sample, then choose by a
written-down rule. Each candidate is its own task (threads here, or a Dask cluster).

The rule. A k may be chosen only if its stability (agreement with refits on seeded subsamples)
reaches `stability_floor` (unless none does) and its smallest segment holds at least `min_share`
of the sample's customers (unless none does: then the data cannot support the range, the k whose
smallest segment is largest is taken, and the reason says so). Among those:

- a customer table (`tolerance` a fraction, default 0.10): the knee of the inertia curve (kneed's
  KneeLocator, convex and decreasing) if it may be chosen and its silhouette is within `tolerance`
  of the best such k's; otherwise, or when the curve has no knee, the k with the best silhouette;
- an order history (`tolerance` None, with k in 3..8 and segments of at least 2 % by default): the
  knee if it may be chosen, otherwise the k nearest to it that may. Where kneed finds no knee, the
  point where the curve bends most (`bend_of`: furthest below the line between the range's ends)
  stands in for it; silhouette only decides on a straight curve. On behavioural data customers
  form a continuum, where silhouette prefers the fewest segments (k=2 in most quarters before); the
  knee's partitions tell next quarter's buyers apart far better (README "How k is chosen").

A pinned k skips the rule. Every method's own answer is recorded too (elbow, silhouette,
Calinski-Harabasz, Davies-Bouldin, stability), and the reason, in words, says where they disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from kneed import KneeLocator
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from threadpoolctl import threadpool_limits

from segmentation.errors import too_few_customers
from segmentation.kmeans import fit_kmeans, stability_score
from segmentation.results import KChoice
from segmentation.settings import Settings

CANDIDATE_SCORED = "candidate k=%d scored"
SCORE_COLUMNS = ["k", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability"]


METHOD_NAMES = {
    "elbow": "elbow",
    "silhouette": "silhouette",
    "calinski_harabasz": "Calinski-Harabasz",
    "davies_bouldin": "Davies-Bouldin",
    "stability": "stability",
}


def feasible_ks(candidates: list[int], n_rows: int) -> list[int]:
    """The candidate ks that leave at least one more customer than segments.

    Raises:
        DataError: no candidate is feasible.
    """
    feasible = [k for k in candidates if too_few_customers(n_rows, k) is None]
    if not feasible:
        raise too_few_customers(n_rows, min(candidates))
    return feasible


def score_k(
    scaled: np.ndarray,
    k: int,
    *,
    n_init: int,
    random_state: int,
    silhouette_sample_size: int,
    stability_resamples: int = 0,
    stability_sample_size: int = 20_000,
) -> dict[str, object]:
    """Fit K-Means for one candidate k and return k with its scores (see `fit_kmeans`), its
    stability (see `stability_score`), the share of rows in its smallest segment (`min_share`) and
    its `centers`, which warm-start the final fit."""
    if error := too_few_customers(len(scaled), k):
        raise error
    model, scores = fit_kmeans(
        scaled, k, n_init=n_init, random_state=random_state, silhouette_sample_size=silhouette_sample_size
    )
    stability = stability_score(
        scaled,
        model.labels_,
        k,
        resamples=stability_resamples,
        sample_size=stability_sample_size,
        n_init=n_init,
        random_state=random_state,
    )
    shares = np.bincount(model.labels_, minlength=k) / len(scaled)
    return (
        {"k": k}
        | scores
        | {"stability": stability, "min_share": float(shares.min()), "centers": model.cluster_centers_}
    )


def knee_of(scores: pd.DataFrame) -> int | None:
    """The knee of the inertia curve (kneed), if it has one; needs three candidates."""
    ordered = scores.sort_values("k")
    if len(ordered) < 3:
        return None
    knee = KneeLocator(ordered["k"].tolist(), ordered["inertia"].tolist(), curve="convex", direction="decreasing").knee
    return None if knee is None else int(knee)


def bend_of(scores: pd.DataFrame) -> int | None:
    """Where the inertia curve bends most: the candidate furthest below the straight line from the
    first candidate's inertia to the last's, both axes scaled to 0..1 (kneedle's difference curve,
    without the threshold kneed adds before it calls a point a knee); None for a straight or
    concave curve, or fewer than three candidates.

    Args:
        scores: one row per candidate k with `k` and `inertia`.

    Returns:
        The k of the largest bend, or None.
    """
    ordered = scores.sort_values("k")
    if len(ordered) < 3:
        return None
    k = ordered["k"].to_numpy(dtype=float)
    inertia = ordered["inertia"].to_numpy(dtype=float)
    x = (k - k[0]) / (k[-1] - k[0])
    spread = inertia[0] - inertia[-1]
    if spread <= 0:
        return None
    below = (1 - x) - (inertia - inertia[-1]) / spread  # the chord minus the curve
    best = int(np.argmax(below))
    return int(k[best]) if below[best] > 1e-9 else None


def method_votes(scores: pd.DataFrame) -> dict[str, int]:
    """The k each method prefers on its own: elbow (knee), the best silhouette, Calinski-Harabasz
    and stability (highest) and Davies-Bouldin (lowest); ties go to the smaller k."""
    ordered = scores.sort_values("k")
    votes: dict[str, int] = {}
    if (knee := knee_of(ordered)) is not None:
        votes["elbow"] = knee
    for column, best in (
        ("silhouette", "max"),
        ("calinski_harabasz", "max"),
        ("davies_bouldin", "min"),
        ("stability", "max"),
    ):
        if column in ordered and ordered[column].notna().any():
            values = ordered[column]
            target = values.max() if best == "max" else values.min()
            votes[column] = int(ordered.loc[values == target, "k"].iloc[0])
    return votes


def _votes_text(votes: dict[str, int], chosen: int) -> str:
    listed = ", ".join(f"{METHOD_NAMES[m]} {k}" for m, k in votes.items())
    if len(set(votes.values())) <= 1:
        if not votes or chosen in votes.values():
            return f"every method agrees ({listed})"
        # The bend or the nearest eligible k is no method's own answer: say so rather than "agrees".
        return f"every method's own answer differs from k={chosen} ({listed})"
    against = [METHOD_NAMES[m] for m, k in votes.items() if k != chosen]
    return f"methods disagree ({listed}); {', '.join(against)} would choose otherwise"


def _eligible(
    ordered: pd.DataFrame, *, stability_floor: float, min_share: float
) -> tuple[pd.DataFrame, list[str], str | None]:
    """The candidates the rule may choose from, what was left out and why, and (when no candidate
    has segments big enough) why the data cannot support the range.

    A candidate needs stability >= the floor (unscored passes) and a smallest segment >= `min_share`
    (unscored passes). When no candidate is stable enough, all are eligible (as before); when none
    has segments big enough, the one whose smallest segment is largest is the only one left."""
    notes: list[str] = []
    stability = ordered["stability"] if "stability" in ordered else pd.Series(np.nan, index=ordered.index)
    stable = ordered[stability.isna() | (stability >= stability_floor)]
    if stable.empty:
        stable = ordered
        notes.append(f"no candidate reaches the stability floor {stability_floor:g}, so all were eligible")
    elif len(stable) < len(ordered):
        dropped = ", ".join(str(k) for k in ordered.loc[~ordered.index.isin(stable.index), "k"])
        notes.append(f"k={dropped} fell below the stability floor {stability_floor:g}")
    if min_share <= 0 or "min_share" not in stable:
        return stable, notes, None
    shares = stable["min_share"]
    big = stable[shares.isna() | (shares >= min_share)]
    small = stable[~stable.index.isin(big.index)]
    if big.empty:
        best = stable.loc[[shares.idxmax()]]
        listed = ", ".join(f"k={int(r.k)} {r.min_share:.1%}" for r in stable.itertuples())
        cannot = (
            f"the data cannot support {len(stable)} candidate k with every segment at least {min_share:.0%} of "
            f"customers (smallest segments: {listed}); took k={int(best['k'].iloc[0])}, whose smallest segment "
            "is the largest"
        )
        return best, notes, cannot
    if len(small):
        listed = ", ".join(f"k={int(r.k)} {r.min_share:.1%}" for r in small.itertuples())
        notes.append(f"not chosen for a segment below {min_share:.0%} of customers: {listed}")
    return big, notes, None


def _best_silhouette(eligible: pd.DataFrame) -> tuple[int, float]:
    sil = eligible["silhouette"]
    row = eligible.loc[sil.idxmax()] if sil.notna().any() else eligible.iloc[0]
    return int(row["k"]), row["silhouette"]


def _no_knee(ordered: pd.DataFrame, eligible: pd.DataFrame) -> tuple[int, str]:
    best_k, best_sil = _best_silhouette(eligible)
    ks = ordered["k"].tolist()
    return best_k, (
        f"the inertia curve over k={ks[0]}..{ks[-1]} has no knee; k={best_k} has the best silhouette ({best_sil:.3f})"
    )


def _knee_against_silhouette(
    ordered: pd.DataFrame, eligible: pd.DataFrame, knee: int | None, tolerance: float, stability_floor: float
) -> tuple[int, str]:
    """The customer-table rule: the knee if eligible and its silhouette is within `tolerance` of the best."""
    if knee is None:
        return _no_knee(ordered, eligible)
    best_k, best_sil = _best_silhouette(eligible)
    if knee not in eligible["k"].tolist():
        return (
            best_k,
            f"{_why_not(ordered, knee, stability_floor)}; took k={best_k} with the best silhouette ({best_sil:.3f})",
        )
    knee_sil = ordered.loc[ordered["k"] == knee, "silhouette"].iloc[0]
    if pd.notna(knee_sil) and knee_sil >= best_sil * (1 - tolerance):
        if knee == best_k:
            return knee, f"knee of the inertia curve at k={knee} (kneed); its silhouette {knee_sil:.3f} is the best"
        return knee, (
            f"knee of the inertia curve at k={knee} (kneed); its silhouette {knee_sil:.3f} is within "
            f"{tolerance:.0%} of the best ({best_sil:.3f} at k={best_k})"
        )
    return best_k, (
        f"knee of the inertia curve at k={knee} has silhouette {knee_sil:.3f}, more than "
        f"{tolerance:.0%} below the best; took k={best_k} with the best silhouette ({best_sil:.3f})"
    )


def _knee_alone(
    ordered: pd.DataFrame, eligible: pd.DataFrame, knee: int | None, stability_floor: float
) -> tuple[int, str]:
    """The order-history rule: the knee if eligible, else the eligible k nearest to it (the smaller on a
    tie). Where kneed finds no knee (its threshold is strict on six gently bending points), the point
    where the curve bends most stands in for it (`bend_of`); only a straight curve falls back to the
    eligible k with the best silhouette."""
    bend = None
    if knee is None:
        knee = bend_of(ordered)
        if knee is None:
            return _no_knee(ordered, eligible)
        ks = ordered["k"].tolist()
        bend = (
            f"the inertia curve over k={ks[0]}..{ks[-1]} has no knee by kneed's threshold; it bends most at "
            f"k={knee} (furthest below the line from k={ks[0]} to k={ks[-1]})"
        )
    if knee in eligible["k"].tolist():
        return knee, bend or f"knee of the inertia curve at k={knee} (kneed)"
    nearest = min(eligible["k"].tolist(), key=lambda k: (abs(k - knee), k))
    return int(nearest), f"{_why_not(ordered, knee, stability_floor, bend)}; took k={nearest}, the nearest eligible k"


def _why_not(ordered: pd.DataFrame, knee: int, stability_floor: float, bend: str | None = None) -> str:
    """Why the knee (or, with `bend` saying so, the bend standing in for it) may not be chosen: its
    stability, or its smallest segment."""
    row = ordered.loc[ordered["k"] == knee].iloc[0]
    subject = f"{bend}, but k={knee}" if bend else f"knee of the inertia curve at k={knee}"
    stability = row.get("stability")
    if stability is not None and pd.notna(stability) and stability < stability_floor:
        return f"{subject} is not stable enough ({stability:.2f} < {stability_floor:g})"
    return f"{subject} has a segment of {row['min_share']:.1%} of customers"


def choose_k(
    scores: pd.DataFrame,
    *,
    tolerance: float | None,
    stability_floor: float = 0.0,
    min_share: float = 0.0,
    pinned: int | None = None,
) -> KChoice:
    """Apply the decision rule in the module docstring.

    Args:
        scores: one row per candidate k with `k`, `inertia`, `silhouette` (and `stability`,
            `calinski_harabasz`, `davies_bouldin`, `min_share` where scored).
        tolerance: how far below the best silhouette (as a fraction of it) the knee may be; None:
            silhouette never overrides the knee (the order-history rule).
        stability_floor: the least stability a chosen k needs (unscored stability passes).
        min_share: the least share of customers the smallest segment of a chosen k needs.
        pinned: a k fixed by the user.

    Returns:
        The chosen k, the reason in words and every method's own answer.
    """
    votes = method_votes(scores)
    if pinned is not None:
        reason = f"k={pinned} was pinned by the user; no selection rule applied"
        return KChoice(pinned, reason + _small_note(scores, pinned, min_share), _centers(scores, pinned), votes)
    ordered = scores.sort_values("k").reset_index(drop=True)
    eligible, notes, cannot = _eligible(ordered, stability_floor=stability_floor, min_share=min_share)
    knee = votes.get("elbow")
    if cannot is not None:
        k, reason = int(eligible["k"].iloc[0]), cannot
    elif tolerance is None:
        k, reason = _knee_alone(ordered, eligible, knee, stability_floor)
    else:
        k, reason = _knee_against_silhouette(ordered, eligible, knee, tolerance, stability_floor)
    reason = "; ".join([reason, *notes, _votes_text(votes, k)])
    return KChoice(k, reason, _centers(scores, k), votes)


def _small_note(scores: pd.DataFrame, k: int, min_share: float) -> str:
    """A pinned k whose smallest segment is below the share floor says so (it is still the user's k)."""
    if min_share <= 0 or "min_share" not in scores or not (scores["k"] == k).any():
        return ""
    share = scores.loc[scores["k"] == k, "min_share"].iloc[0]
    return f"; its smallest segment holds {share:.1%} of customers (below {min_share:.0%})" if share < min_share else ""


def _centers(scores: pd.DataFrame, k: int) -> np.ndarray:
    if "centers" not in scores:
        return np.empty((k, 0))
    return scores.loc[scores["k"] == k, "centers"].iloc[0]


def score_k_with(settings: Settings, scaled: np.ndarray, k: int) -> dict[str, object]:
    """`score_k` with the run's settings."""
    return score_k(
        scaled,
        k,
        n_init=settings.n_init,
        random_state=settings.random_state,
        silhouette_sample_size=settings.silhouette_sample_size,
        stability_resamples=settings.stability_resamples,
        stability_sample_size=settings.stability_sample_size,
    )


@task(cache_policy=NO_CACHE)
def score_candidate(settings: Settings, sample: np.ndarray, k: int) -> dict[str, object]:
    """Fit and score one candidate k on the selection sample."""
    # Candidates run side by side, one per core: one OpenMP/BLAS thread each, not one per core each.
    with threadpool_limits(limits=1):
        scores = score_k_with(settings, sample, k)
    get_run_logger().info(CANDIDATE_SCORED, k)  # the command line's progress line counts these
    return scores


@task(cache_policy=NO_CACHE)
def decide_k(settings: Settings, scores: list[dict[str, object]]) -> tuple[KChoice, pd.DataFrame]:
    """Choose k from the candidates' scores; return the choice and the k table."""
    table = pd.DataFrame(scores).sort_values("k").reset_index(drop=True)
    choice = choose_k(
        table,
        tolerance=settings.knee_silhouette_tolerance,
        stability_floor=settings.stability_floor,
        min_share=settings.min_segment_share,
        pinned=settings.k,
    )
    get_run_logger().info("chose k=%d: %s", choice.k, choice.reason)
    return choice, table[SCORE_COLUMNS].assign(chosen=table["k"] == choice.k)
