"""Segment colours and markers follow the lasting segment ID."""

from __future__ import annotations

import pytest

from segmentation.colours import MARKERS, PALETTE, segment_colour, segment_marker


@pytest.mark.parametrize(("segment_id", "colour"), [(1, "#E69F00"), (4, "#D55E00"), (8, "#000000"), (9, "#E69F00")])
def test_colour_is_the_palette_entry_of_the_id_wrapping_after_eight(segment_id: int, colour: str) -> None:
    assert segment_colour(segment_id) == colour


@pytest.mark.parametrize(("segment_id", "marker"), [(1, "o"), (8, "o"), (9, "s"), (17, "^")])
def test_the_marker_changes_each_time_the_palette_wraps(segment_id: int, marker: str) -> None:
    assert segment_marker(segment_id) == marker


def test_ids_one_to_eight_get_eight_different_colours_and_numpy_ints_work() -> None:
    import numpy as np

    assert len({segment_colour(i) for i in range(1, 9)}) == len(PALETTE) == 8
    assert segment_colour(np.int64(2)) == PALETTE[1]
    assert segment_marker(np.int64(2)) == MARKERS[0]
