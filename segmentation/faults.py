"""Test-only pauses: hold a run at a named point so a crash test can kill it exactly there.

Never set this in production. The one switch is an environment variable,

    SEGMENT_TEST_PAUSE="before_commit=120,before_serving=5"

naming points (see POINTS) and seconds. At a named point the run logs one warning line that starts
with `marker(point)` ("test pause before_commit"), which the tests wait for before they SIGKILL the
process, then sleeps. Unset (the normal case), `pause` does nothing. These hooks used to be
settings (`debug_pause_*`); they live here so the run's Settings hold only what a user configures.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping

ENV = "SEGMENT_TEST_PAUSE"
POINTS = {
    "before_commit": "inside the publish transaction, before COMMIT",
    "before_serving": "after the warehouse COMMIT, before the BI surface is updated",
}


def parse(text: str) -> dict[str, float]:
    """'point=seconds,...' as {point: seconds}.

    Raises:
        ValueError: an unknown point, or seconds that are not a number of at least 0.
    """
    pauses: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        point, _, seconds = item.partition("=")
        point = point.strip()
        if point not in POINTS:
            raise ValueError(f"{ENV}: unknown point {point!r}; known: {', '.join(POINTS)}")
        try:
            pauses[point] = float(seconds)
        except ValueError:
            raise ValueError(f"{ENV}: {item!r} needs seconds, e.g. {point}=5") from None
        if not pauses[point] >= 0:
            raise ValueError(f"{ENV}: {item!r}: seconds must be at least 0")
    return pauses


def marker(point: str) -> str:
    """The start of the line logged at a pause, which crash tests wait for."""
    return f"test pause {point}"


def pause(
    point: str,
    logger: logging.Logger | logging.LoggerAdapter | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> float:
    """Sleep at `point` as long as SEGMENT_TEST_PAUSE says (log the marker first); the seconds slept."""
    if point not in POINTS:
        raise ValueError(f"unknown pause point {point!r}; known: {', '.join(POINTS)}")
    seconds = parse((os.environ if environ is None else environ).get(ENV, "")).get(point, 0.0)
    if seconds:
        (logger or logging.getLogger(__name__)).warning(
            "%s: sleeping %gs %s (%s, test only)", marker(point), seconds, POINTS[point], ENV
        )
        time.sleep(seconds)
    return seconds
