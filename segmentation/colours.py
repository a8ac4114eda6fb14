"""Segment colours: a function of the segment's lasting ID, so segment 4 has one colour in every
period, plot, report and dashboard (`segment_profiles.colour` carries it to BI tools).

The palette is Okabe-Ito, colour-blind safe (Okabe & Ito, "Color Universal Design"), ordered so
that the first IDs get the most distinct colours: orange, blue, green, vermilion and purple before
the sky blue that would sit too close to the blue; yellow (weak on white) and black come last.
Past eight IDs the colours repeat and the marker changes, so segments still differ on a plot.
"""

from __future__ import annotations

PALETTE = ("#E69F00", "#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def segment_colour(segment_id: int) -> str:
    """The hex colour of a segment ID (IDs start at 1)."""
    return PALETTE[(int(segment_id) - 1) % len(PALETTE)]


def segment_marker(segment_id: int) -> str:
    """The scatter marker of a segment ID: changes each time the palette wraps around."""
    return MARKERS[((int(segment_id) - 1) // len(PALETTE)) % len(MARKERS)]
