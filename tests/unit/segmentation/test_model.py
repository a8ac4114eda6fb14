"""The segment model as an estimator: fit, predict, save, load with its checksum."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from segmentation.errors import ModelIntegrityError
from segmentation.files import sha256_file
from segmentation.model import SegmentModel

# Two features in model space: 6 customers low on both, 3 high on both.
RAW = np.array(
    [[10.0, 1.0], [11.0, 2.0], [12.0, 1.0], [10.0, 2.0], [11.0, 1.0], [12.0, 2.0], [90, 9], [91, 8], [92, 9]]
)
SCALER = StandardScaler().fit(RAW)


def fitted(k: int = 2) -> SegmentModel:
    return SegmentModel(("annual_income", "spending_score"), SCALER).fit(
        SCALER.transform(RAW), k=k, random_state=0, n_init=3
    )


def test_fit_numbers_segments_by_size_and_predict_assigns_new_rows() -> None:
    model = fitted()
    assert model.k == 2
    assert model.kmeans_.n_init == 3
    assert model.predict(model.transform(RAW)).tolist() == [1] * 6 + [2] * 3
    assert model.predict(model.transform(np.array([[95.0, 9.0], [9.0, 1.0]]))).tolist() == [2, 1]
    ids, scaled, centres = model.segment_centres()
    assert ids.tolist() == [1, 2]
    np.testing.assert_allclose(centres, [[11.0, 1.5], [91.0, 26 / 3]])
    np.testing.assert_allclose(SCALER.transform(centres), scaled)
    assert model.inertia(model.transform(RAW)) == pytest.approx(model.inertia_)


def test_a_warm_start_keeps_the_given_centres_order() -> None:
    scaled = SCALER.transform(RAW)
    model = SegmentModel(("a", "b"), SCALER).fit(scaled, k=2, random_state=0, init=scaled[[8, 0]])
    assert model.kmeans_.n_init == 1
    assert model.labels_.tolist() == [1] * 6 + [0] * 3
    assert model.segment_of_label_.tolist() == [2, 1]  # label 0 is the smaller segment


@pytest.mark.parametrize(
    ("rows", "k", "init", "message"),
    [(RAW[:2], 2, None, "more than k=2 rows"), (RAW[:, 0], 2, None, "shape"), (RAW, 2, RAW[:3], "3 centres")],
)
def test_fit_refuses_what_it_cannot_fit(rows: np.ndarray, k: int, init: np.ndarray | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SegmentModel(("a", "b"), SCALER).fit(rows, k=k, random_state=0, init=init)


def test_renumbered_renames_segments_and_leaves_the_original_alone() -> None:
    model = fitted()
    lookup = np.array([0, 7, 3])  # segment 1 -> 7, 2 -> 3
    other = model.renumbered(lookup)
    assert other.predict(model.transform(RAW)).tolist() == [7] * 6 + [3] * 3
    assert model.segment_of_label_.tolist() != other.segment_of_label_.tolist()
    assert sorted(model.segment_of_label_.tolist()) == [1, 2]


def test_save_and_load_round_trip_with_versions_beside_the_file(tmp_path: Path) -> None:
    model = fitted()
    path = tmp_path / "run" / "model.joblib"
    digest = model.save(path)
    assert digest == sha256_file(path)
    loaded = SegmentModel.load(path, sha256=digest)
    assert loaded.features == ("annual_income", "spending_score")
    assert loaded.predict(loaded.transform(RAW)).tolist() == model.predict(model.transform(RAW)).tolist()
    assert not hasattr(loaded.kmeans_, "labels_")  # one label per training row is not saved
    assert hasattr(model.kmeans_, "labels_")  # ... nor taken from the model that saved
    assert {"python", "scikit-learn", "numpy", "joblib"} <= set(loaded.library_versions_)
    assert json.loads((path.parent / "versions.json").read_text(encoding="utf-8")) == loaded.library_versions_
    assert not path.with_suffix(".partial").exists()


def test_a_changed_or_missing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    digest = fitted().save(path)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ModelIntegrityError, match=f"has sha256 .* but the run recorded {digest}: refusing to load"):
        SegmentModel.load(path, sha256=digest)
    with pytest.raises(ModelIntegrityError, match=r"gone\.joblib is missing"):
        SegmentModel.load(tmp_path / "gone.joblib", sha256=digest)


def test_a_model_file_of_the_previous_code_loads(tmp_path: Path) -> None:
    """Earlier runs wrote the same dict with joblib (tasks.fit.save_artifact); warehouses point at them."""
    scaled = SCALER.transform(RAW)
    kmeans = KMeans(n_clusters=2, n_init=3, random_state=0).fit(scaled)
    segment_of_label = np.array([1, 2]) if (kmeans.labels_ == kmeans.labels_[0]).sum() == 6 else np.array([2, 1])
    del kmeans.labels_
    path = tmp_path / "model.joblib"
    joblib.dump(
        {
            "features": ["annual_income", "spending_score"],
            "scaler": SCALER,
            "kmeans": kmeans,
            "segment_of_label": segment_of_label,
        },
        path,
    )
    loaded = SegmentModel.load(path, sha256=sha256_file(path))
    assert loaded.predict(scaled).tolist() == [1] * 6 + [2] * 3
    assert loaded.library_versions_ == {}


def test_a_file_that_holds_no_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    joblib.dump({"answer": 42}, path)
    with pytest.raises(ModelIntegrityError, match="is not a segment model: it lacks features, scaler"):
        SegmentModel.load(path, sha256=sha256_file(path))
