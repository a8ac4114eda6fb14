from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from segmentation.errors import ModelIntegrityError
from segmentation.kmeans import number_segments
from segmentation.model import SegmentModel


def test_segments_numbered_by_size_then_centroid() -> None:
    labels = np.array([0, 1, 1, 1, 2, 2, 3, 3])
    centers = np.array([[5.0, 0.0], [0.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    # sizes: label0=1, label1=3, label2=2, label3=2 -> label1 first; labels 2 and 3 tie on
    # size, label3 has the smaller centroid; label0 last.
    assert number_segments(labels, centers).tolist() == [4, 1, 3, 2]


def test_model_round_trip_and_tamper_refused(tmp_path: Path) -> None:
    path = tmp_path / "run" / "model.joblib"
    rows = np.array([[0.0], [0.1], [5.0], [5.1], [5.2]])
    digest = SegmentModel(("annual_income",)).fit(rows, k=2, random_state=0, n_init=1).save(path)
    assert SegmentModel.load(path, sha256=digest).predict(rows).tolist() == [2, 2, 1, 1, 1]
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ModelIntegrityError, match="refusing to load"):
        SegmentModel.load(path, sha256=digest)
    with pytest.raises(ModelIntegrityError, match="is missing"):
        SegmentModel.load(tmp_path / "gone.joblib", sha256=digest)
