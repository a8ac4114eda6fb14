"""Select k: score every candidate k on the seeded selection sample, then choose by a
written-down rule. Each candidate is its own task (threads here, or a Dask cluster).

The rule: only a k whose stability (agreement with refits on seeded subsamples) reaches
`stability_floor` may be chosen, unless none does. Take the knee of the inertia curve (kneed's
KneeLocator, convex and decreasing) if it is such a k and its silhouette is within
`knee_silhouette_tolerance` (a fraction) of the best such k's silhouette; otherwise, or when the
curve has no knee, take the stable k with the best silhouette. A pinned k skips the rule.

Every method's own answer is recorded too (elbow, silhouette, Calinski-Harabasz, Davies-Bouldin,
stability), and the reason, in words, says where they disagree.
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
    stability (see `stability_score`) and its `centers`, which warm-start the final fit."""
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
    return {"k": k} | scores | {"stability": stability, "centers": model.cluster_centers_}


def knee_of(scores: pd.DataFrame) -> int | None:
    """The knee of the inertia curve (kneed), if it has one; needs three candidates."""
    ordered = scores.sort_values("k")
    if len(ordered) < 3:
        return None
    knee = KneeLocator(ordered["k"].tolist(), ordered["inertia"].tolist(), curve="convex", direction="decreasing").knee
    return None if knee is None else int(knee)


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
        return f"every method agrees ({listed})"
    against = [METHOD_NAMES[m] for m, k in votes.items() if k != chosen]
    return f"methods disagree ({listed}); {', '.join(against)} would choose otherwise"


def choose_k(
    scores: pd.DataFrame, *, tolerance: float, stability_floor: float = 0.0, pinned: int | None = None
) -> KChoice:
    """Apply the decision rule in the module docstring.

    Args:
        scores: one row per candidate k with `k`, `inertia`, `silhouette` (and `stability`,
            `calinski_harabasz`, `davies_bouldin` where scored).
        tolerance: how far below the best silhouette (as a fraction of it) the knee may be.
        stability_floor: the least stability a chosen k needs (unscored stability passes).
        pinned: a k fixed by the user.

    Returns:
        The chosen k, the reason in words and every method's own answer.
    """
    votes = method_votes(scores)
    if pinned is not None:
        reason = f"k={pinned} was pinned by the user; no selection rule applied"
        return KChoice(pinned, reason, _centers(scores, pinned), votes)
    ordered = scores.sort_values("k").reset_index(drop=True)
    stability = ordered["stability"] if "stability" in ordered else pd.Series(np.nan, index=ordered.index)
    eligible = ordered[stability.isna() | (stability >= stability_floor)]
    floor_note = ""
    if eligible.empty:
        eligible = ordered
        floor_note = f"; no candidate reaches the stability floor {stability_floor:g}, so all were eligible"
    elif len(eligible) < len(ordered):
        dropped = ", ".join(str(k) for k in ordered.loc[~ordered.index.isin(eligible.index), "k"])
        floor_note = f"; k={dropped} fell below the stability floor {stability_floor:g}"
    sil = eligible["silhouette"]
    best_row = eligible.loc[sil.idxmax()] if sil.notna().any() else eligible.iloc[0]
    best_k, best_sil = int(best_row["k"]), best_row["silhouette"]
    knee = votes.get("elbow")
    ks = ordered["k"].tolist()
    if knee is None:
        k = best_k
        reason = (
            f"the inertia curve over k={ks[0]}..{ks[-1]} has no knee; "
            f"k={best_k} has the best silhouette ({best_sil:.3f})"
        )
    elif knee not in eligible["k"].tolist():
        k = best_k
        knee_stability = ordered.loc[ordered["k"] == knee, "stability"].iloc[0]
        reason = (
            f"knee of the inertia curve at k={knee} is not stable enough ({knee_stability:.2f} < "
            f"{stability_floor:g}); took k={best_k} with the best silhouette ({best_sil:.3f})"
        )
    else:
        knee_sil = ordered.loc[ordered["k"] == knee, "silhouette"].iloc[0]
        if pd.notna(knee_sil) and knee_sil >= best_sil * (1 - tolerance):
            k = knee
            reason = (
                f"knee of the inertia curve at k={knee} (kneed); its silhouette {knee_sil:.3f} is the best"
                if knee == best_k
                else f"knee of the inertia curve at k={knee} (kneed); its silhouette {knee_sil:.3f} is within "
                f"{tolerance:.0%} of the best ({best_sil:.3f} at k={best_k})"
            )
        else:
            k = best_k
            reason = (
                f"knee of the inertia curve at k={knee} has silhouette {knee_sil:.3f}, more than "
                f"{tolerance:.0%} below the best; took k={best_k} with the best silhouette ({best_sil:.3f})"
            )
    reason = f"{reason}{floor_note}; {_votes_text(votes, k)}"
    return KChoice(k, reason, _centers(scores, k), votes)


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
        pinned=settings.k,
    )
    get_run_logger().info("chose k=%d: %s", choice.k, choice.reason)
    return choice, table[SCORE_COLUMNS].assign(chosen=table["k"] == choice.k)
