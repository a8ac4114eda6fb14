"""The one validation report: every value that broke a contract, per column and check, with its line.

Customer tables, order histories and attribute files all fail the same way: a frame of
FAILURE_COLUMNS rows (one failed check of one value), stored in `validation_failures`, and this
report as the run's error. Where a source has more failures than are kept per check (order
histories keep the first STORED_PER_CHECK), the frame carries `n_failing`, the whole count.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import pandas as pd

from segmentation.csvfile import shown as shown_path
from segmentation.source import Source

FAILURE_COLUMNS = ["column_name", "check_name", "failure_case", "source_line"]
NUMBER_CHECKS = ("is a number", "is a whole number")
SHOWN_PER_CHECK = 5
STORED_PER_CHECK = 1_000
NUMBER_HINT = "hint: write numbers without separators: 1000 or 1000.5, not 1,000, 1_000 or 1000,5"
DATE_RANGE_HINT = (
    "hint: a date outside 1900-2199 is a mistake: often a two-digit year read as four digits (16/06/26 as "
    "the year 26; write four digits, or say so with --date-format '%d/%m/%y'), a signed year or a "
    "sentinel such as 9999-12-31"
)
GUEST_HINT = (
    "hint: lines without a customer ID (guest orders?) cannot be segmented: remove them from the export, "
    "or leave them out with --anonymous-orders skip (counted in the run)"
)


def show_value(value: object) -> str:
    """A failing value as the report quotes it; a missing one as <empty>."""
    return "<empty>" if value is None or (not isinstance(value, str) and pd.isna(value)) else repr(value)


def failure_report(
    failures: pd.DataFrame,
    *,
    source: Source | str,
    contract: str = "input contract",
    headers: Mapping[str, str] | None = None,
    failing_rows: int | None = None,
    unit: str = "row",
    shown: int = SHOWN_PER_CHECK,
    word: str | None = None,
) -> str:
    """A readable report: per column and check, how many values failed and the first few.

    Args:
        failures: FAILURE_COLUMNS rows, and `n_failing` (the check's whole count) where only some are kept.
        source: the source (its own column names and row word are used), or just its path.
        contract: what was broken ('input contract', 'order contract', ...).
        headers: canonical column -> header, where `source` is a path.
        failing_rows: how many rows (lines) failed, when more failed than `failures` holds.
        unit: what the count of failing rows counts ('row', 'order line').
        shown: values listed per column and check.
        word: what names a row where `source` is a path ('line'); a table's key column ('line_id'):
            then each row is named by its `source_key`.

    Returns:
        A multi-line message; never without a line per failing check.
    """
    if isinstance(source, Source):
        headers, word, where = source.columns, source.row_word, shown_path(source.path)
    else:
        headers, word, where = headers or {}, word or "line", source
    keyed = "source_key" in failures and failures["source_key"].notna().any()
    if keyed:
        counted = f" (rows named by {word})"
    else:
        counted = " (line numbers count the header as line 1)" if word == "line" else " (rows count from 1)"
        word = word if word == "line" else "row"
    groups = failures.groupby(["column_name", "check_name"], dropna=False, sort=False)
    counts = {key: _count(group) for key, group in groups}
    rows = failing_rows if failing_rows is not None else failures["source_line"].dropna().nunique()
    lines = [
        f"{where}: {sum(counts.values())} value(s) in {rows} {unit}(s) break the {contract}{counted}:",
    ]
    for (column, check), group in groups:
        header = headers.get(column, column) if isinstance(column, str) else "(table)"
        names = group["source_key"] if keyed else group["source_line"]
        examples = ", ".join(
            f"{show_value(value)} ({word} {line if keyed else int(line)})" if pd.notna(line) else show_value(value)
            for value, line in zip(group["failure_case"][:shown], names[:shown], strict=True)
        )
        count = counts[column, check]
        more = f", and {count - shown} more" if count > shown else ""
        lines.append(f"  - {header} · {check}: {count} failing: {examples}{more}")
    lines += hints(failures)
    return "\n".join(lines)


def _count(group: pd.DataFrame) -> int:
    return int(group["n_failing"].iloc[0]) if "n_failing" in group else len(group)


def hints(failures: pd.DataFrame) -> list[str]:
    """What to do about the failures that have a usual cause."""
    found = []
    numbers = failures["check_name"].isin(NUMBER_CHECKS) & failures["failure_case"].astype("string").str.contains(
        r"\d[,_]\d", na=False
    )
    if numbers.any():
        found.append(NUMBER_HINT)
    if failures["check_name"].astype("string").str.startswith("is a date from", na=False).any():
        found.append(DATE_RANGE_HINT)
    spaced = next((v for v in failures["failure_case"] if isinstance(v, str) and unicode_space(v)), None)
    if spaced is not None:
        char = unicode_space(spaced)
        found.append(
            f"hint: {show_value(spaced)} holds a {unicodedata.name(char, 'space').lower()} (U+{ord(char):04X}): only "
            "spaces (and tabs around numbers) are trimmed; remove it from the export"
        )
    return found


def unicode_space(text: str) -> str | None:
    """The first space in `text` that is not ASCII (a no-break space U+00A0, a thin space U+2009, ...)
    or an invisible format character (a zero-width space U+200B, a BOM U+FEFF), if any."""
    return next((ch for ch in text if ord(ch) > 127 and (ch.isspace() or unicodedata.category(ch) == "Cf")), None)


def has_guest_lines(failures: pd.DataFrame) -> bool:
    """Whether order lines failed for want of a customer ID (guest orders)."""
    return bool(((failures["column_name"] == "customer_id") & (failures["check_name"] == "not_nullable")).any())
