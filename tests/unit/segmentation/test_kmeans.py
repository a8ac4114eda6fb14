"""K-Means primitives: pure, no Prefect, no warehouse."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.kmeans import cluster_scores, fit_kmeans, number_segments, refine, stability_score

# Three tight, well-separated blobs of 10, 6 and 4 points.
BLOBS = np.vstack(
    [
        np.random.default_rng(0).normal(centre, 0.05, size=(n, 2))
        for centre, n in (((0.0, 0.0), 10), ((5.0, 5.0), 6), ((10.0, 0.0), 4))
    ]
)


def test_segments_are_numbered_by_size_then_by_centroid() -> None:
    labels = np.array([0, 1, 1, 1, 2, 2, 3, 3])
    centers = np.array([[5.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    assert number_segments(labels, centers).tolist() == [4, 1, 3, 2]


def test_a_seeded_fit_is_reproducible_and_scored() -> None:
    first, scores = fit_kmeans(BLOBS, 3, n_init=4, random_state=7, silhouette_sample_size=100)
    second, again = fit_kmeans(BLOBS, 3, n_init=4, random_state=7, silhouette_sample_size=100)
    assert first.n_init == 4
    assert (first.labels_ == second.labels_).all()
    assert scores == again
    assert set(scores) == {"inertia", "silhouette", "calinski_harabasz", "davies_bouldin"}
    assert scores["silhouette"] > 0.9
    assert sorted(np.bincount(first.labels_)) == [4, 6, 10]


def test_one_cluster_has_no_scores() -> None:
    assert cluster_scores(BLOBS, np.zeros(len(BLOBS), dtype=int), silhouette_sample_size=100, random_state=0) == {
        "silhouette": None,
        "calinski_harabasz": None,
        "davies_bouldin": None,
    }


def test_silhouette_is_sampled_and_seeded_beyond_its_sample_size() -> None:
    labels = fit_kmeans(BLOBS, 3, n_init=2, random_state=0, silhouette_sample_size=100)[0].labels_
    sampled = cluster_scores(BLOBS, labels, silhouette_sample_size=10, random_state=3)
    assert sampled == cluster_scores(BLOBS, labels, silhouette_sample_size=10, random_state=3)
    assert (
        sampled["calinski_harabasz"]
        == cluster_scores(BLOBS, labels, silhouette_sample_size=100, random_state=3)["calinski_harabasz"]
    )


def test_refine_starts_from_the_given_centres_and_leaves_the_rows_as_they_were() -> None:
    rows = BLOBS.copy()
    model = refine(rows, np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]]), random_state=0)
    assert np.bincount(model.labels_).tolist() == [10, 6, 4]  # label i is the cluster of centre i
    np.testing.assert_allclose(rows, BLOBS)


@pytest.mark.parametrize(("resamples", "sample_size"), [(0, 100), (3, 3)])
def test_stability_is_none_when_off_or_too_few_rows(resamples: int, sample_size: int) -> None:
    labels = np.arange(len(BLOBS)) % 3
    assert (
        stability_score(BLOBS, labels, 3, resamples=resamples, sample_size=sample_size, n_init=1, random_state=0)
        is None
    )


def test_well_separated_blobs_are_stable() -> None:
    labels = fit_kmeans(BLOBS, 3, n_init=4, random_state=0, silhouette_sample_size=100)[0].labels_
    assert stability_score(BLOBS, labels, 3, resamples=3, sample_size=100, n_init=4, random_state=0) == pytest.approx(
        1.0
    )
