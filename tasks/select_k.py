"""Select k: score every candidate k on the seeded selection sample, then choose by a
written-down rule. Each candidate is its own task (threads here, or a Dask cluster).

The rule: take the knee of the inertia curve (kneed's KneeLocator, convex and decreasing).
Keep it if its silhouette is within `knee_silhouette_tolerance` (a fraction) of the best
candidate's silhouette; otherwise, or when the curve has no knee, take the k with the best
silhouette. A pinned k skips the rule. The reason is recorded with the run in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from kneed import KneeLocator
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from tasks.errors import DataError
from tasks.fit import fit_kmeans
from tasks.settings import Settings

SCORE_COLUMNS = ["k", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "stability"]


@dataclass(frozen=True)
class KChoice:
    k: int
    reason: str
    centers: np.ndarray  # the chosen candidate's centres on the selection sample (scaled units)


def feasible_ks(candidates: list[int], n_rows: int) -> list[int]:
    """The candidate ks that leave at least one more customer than segments.

    Raises:
        DataError: no candidate is feasible.
    """
    feasible = [k for k in candidates if k < n_rows]
    if not feasible:
        raise DataError(
            f"{n_rows} customer(s) cannot be split into {min(candidates)} or more segments: "
            f"need more than {min(candidates)} rows"
        )
    return feasible


def stability_score(
    scaled: np.ndarray,
    labels: np.ndarray,
    k: int,
    *,
    resamples: int,
    sample_size: int,
    n_init: int,
    random_state: int,
) -> float | None:
    """How reproducible a partition is: mean adjusted Rand index between `labels` and K-Means
    refits on seeded subsamples (each at most 80% of the rows and `sample_size` rows).

    Args:
        scaled: the standardised feature matrix.
        labels: the candidate's labels on all rows.
        k: number of clusters.
        resamples: how many subsample refits; 0 turns the score off.
        sample_size: rows per refit, at most.
        n_init: K-Means restarts per refit.
        random_state: seed of the subsamples and the refits.

    Returns:
        The mean ARI (1 = identical partitions), or None when turned off or too few rows.
    """
    size = min(sample_size, int(0.8 * len(scaled)))
    if resamples == 0 or size <= k:
        return None
    rng = np.random.default_rng(random_state)
    agreement = []
    for _ in range(resamples):
        rows = rng.choice(len(scaled), size=size, replace=False)
        seed = int(rng.integers(2**31 - 1))
        refit = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(scaled[rows])
        agreement.append(adjusted_rand_score(labels[rows], refit.labels_))
    return float(np.mean(agreement))


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
    if k >= len(scaled):
        raise DataError(f"k={k} needs more than {k} customers; there are {len(scaled)}")
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


def choose_k(scores: pd.DataFrame, *, tolerance: float, pinned: int | None = None) -> KChoice:
    """Apply the decision rule in the module docstring.

    Args:
        scores: one row per candidate k with `k`, `inertia`, `silhouette`.
        tolerance: how far below the best silhouette (as a fraction of it) the knee may be.
        pinned: a k fixed by the user.

    Returns:
        The chosen k and the reason in words.
    """
    if pinned is not None:
        return KChoice(
            pinned, f"k={pinned} was pinned by the user; no selection rule applied", _centers(scores, pinned)
        )
    ordered = scores.sort_values("k")
    ks, sil = ordered["k"].tolist(), ordered["silhouette"]
    best_row = ordered.loc[sil.idxmax()] if sil.notna().any() else ordered.iloc[0]
    best_k, best_sil = int(best_row["k"]), best_row["silhouette"]
    knee = None
    if len(ks) >= 3:
        knee = KneeLocator(ks, ordered["inertia"].tolist(), curve="convex", direction="decreasing").knee
    if knee is None:
        return KChoice(
            best_k,
            f"the inertia curve over k={ks[0]}..{ks[-1]} has no knee; "
            f"k={best_k} has the best silhouette ({best_sil:.3f})",
            _centers(scores, best_k),
        )
    knee = int(knee)
    knee_sil = ordered.loc[ordered["k"] == knee, "silhouette"].iloc[0]
    if pd.notna(knee_sil) and knee_sil >= best_sil * (1 - tolerance):
        return KChoice(
            knee,
            f"knee of the inertia curve at k={knee} (kneed); its silhouette {knee_sil:.3f} is within "
            f"{tolerance:.0%} of the best ({best_sil:.3f} at k={best_k})",
            _centers(scores, knee),
        )
    return KChoice(
        best_k,
        f"knee of the inertia curve at k={knee} has silhouette {knee_sil:.3f}, more than "
        f"{tolerance:.0%} below the best; took k={best_k} with the best silhouette ({best_sil:.3f})",
        _centers(scores, best_k),
    )


def _centers(scores: pd.DataFrame, k: int) -> np.ndarray:
    if "centers" not in scores:
        return np.empty((k, 0))
    return scores.loc[scores["k"] == k, "centers"].iloc[0]


@task(cache_policy=NO_CACHE)
def score_candidate(settings: Settings, sample: np.ndarray, k: int) -> dict[str, object]:
    """Fit and score one candidate k on the selection sample."""
    # Candidates run side by side, one per core: one OpenMP/BLAS thread each, not one per core each.
    with threadpool_limits(limits=1):
        return score_k(
            sample,
            k,
            n_init=settings.n_init,
            random_state=settings.random_state,
            silhouette_sample_size=settings.silhouette_sample_size,
            stability_resamples=settings.stability_resamples,
            stability_sample_size=settings.stability_sample_size,
        )


@task(cache_policy=NO_CACHE)
def decide_k(settings: Settings, scores: list[dict[str, object]]) -> tuple[KChoice, pd.DataFrame]:
    """Choose k from the candidates' scores; return the choice and the k table."""
    table = pd.DataFrame(scores).sort_values("k").reset_index(drop=True)
    choice = choose_k(table, tolerance=settings.knee_silhouette_tolerance, pinned=settings.k)
    get_run_logger().info("chose k=%d: %s", choice.k, choice.reason)
    return choice, table[SCORE_COLUMNS].assign(chosen=table["k"] == choice.k)
