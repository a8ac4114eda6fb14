"""Periods: '2026Q1' (a quarter) or '2026-03' (a month). A period is always a parameter or
derived from a scheduled time, never from the wall clock, so backfills are ordinary runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from segmentation.errors import PeriodError

_QUARTER = re.compile(r"^(?P<year>\d{4})Q(?P<q>[1-4])$")
_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<m>0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar quarter or month; orders by start date."""

    start: date
    kind: Literal["quarter", "month"]

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse '2026Q1' or '2026-03'.

        Args:
            text: the period label.

        Returns:
            The period.

        Raises:
            PeriodError: the text is neither form.
        """
        text = text.strip()
        if match := _QUARTER.match(text):
            return cls(date(int(match["year"]), 3 * int(match["q"]) - 2, 1), "quarter")
        if match := _MONTH.match(text):
            return cls(date(int(match["year"]), int(match["m"]), 1), "month")
        raise PeriodError(f"period {text!r} is neither a quarter like 2026Q1 nor a month like 2026-03")

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def months(self) -> int:
        return 3 if self.kind == "quarter" else 1

    def shift(self, n: int) -> Period:
        """The period n steps later (earlier if n < 0)."""
        index = self.start.year * 12 + self.start.month - 1 + n * self.months
        return Period(date(index // 12, index % 12 + 1, 1), self.kind)

    @property
    def end(self) -> date:
        return self.shift(1).start - timedelta(days=1)

    def __str__(self) -> str:
        return self.label


def containing(moment: date | datetime, kind: Literal["quarter", "month"]) -> Period:
    """The quarter or month that contains a moment."""
    month = moment.month if kind == "month" else 3 * ((moment.month - 1) // 3) + 1
    return Period(date(moment.year, month, 1), kind)


def just_ended(scheduled: date | datetime, cadence: Literal["quarterly", "monthly"]) -> Period:
    """The period that ended before a scheduled run: the run on 2026-04-01 segments 2026Q1.

    Args:
        scheduled: the run's scheduled start (not the wall clock: backfilled runs rely on it).
        cadence: 'quarterly' or 'monthly'.

    Returns:
        The last complete period before `scheduled`.
    """
    kind = "quarter" if cadence == "quarterly" else "month"
    return containing(scheduled, kind).shift(-1)


def period_range(first: str, last: str) -> list[Period]:
    """Every period from `first` to `last` inclusive, in order; both must be of one kind.

    Raises:
        PeriodError: bad labels, mixed kinds, or `first` after `last`.
    """
    start, stop = Period.parse(first), Period.parse(last)
    if start.kind != stop.kind:
        raise PeriodError(f"--from {first} and --to {last} must both be quarters or both months")
    if start > stop:
        raise PeriodError(f"--from {first} is after --to {last}")
    periods = [start]
    while periods[-1] < stop:
        periods.append(periods[-1].shift(1))
    return periods


def resolve_source(template: str, period: Period) -> str:
    """Fill `{period}` in a source path template (no other formatting is applied)."""
    return template.replace("{period}", period.label)
