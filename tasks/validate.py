"""Validate: parse the raw text and check it against the input contract, collecting every
failure at once. Any failure fails the run: the failures are stored, nothing is published."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pa_errors
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.input import CANONICAL_HEADERS, INTEGER_COLUMNS, NUMBER_COLUMNS, CustomerInput
from tasks.errors import ValidationFailed
from tasks.settings import Settings
from warehouse import connect, sql

FAILURE_COLUMNS = ["column_name", "check_name", "failure_case", "source_line"]
SHOWN_PER_CHECK = 5


def parse_numbers(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse the numeric text columns; report text that is not a (whole) number.

    Args:
        raw: text columns as read, indexed by source line.

    Returns:
        The frame with numeric columns as nullable Int64/Float64 (bad cells become NA) and
        one failure row per unparsable cell.
    """
    parsed: dict[str, pd.Series] = {}  # every column is rebuilt, so the raw frame is not copied
    failures = []
    for column in (*INTEGER_COLUMNS, *NUMBER_COLUMNS):
        text = raw[column].astype("string").str.strip()
        numbers = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & (text != "") & numbers.isna()
        check = "is a number"
        if column in INTEGER_COLUMNS:
            fractional = numbers.notna() & (numbers != numbers.round())
            bad |= fractional
            check = "is a whole number"
            numbers = numbers.where(~bad).astype("Float64").astype("Int64")
        else:
            numbers = numbers.where(~bad).astype("Float64")
        parsed[column] = numbers
        failures.append(
            pd.DataFrame(
                {
                    "column_name": column,
                    "check_name": check,
                    "failure_case": text[bad].astype(str),
                    "source_line": text[bad].index,
                }
            )
        )
    parsed["gender"] = raw["gender"].astype("string").str.strip().astype(str).where(raw["gender"].notna(), None)
    frame = pd.DataFrame(parsed, index=raw.index)[list(raw.columns)]
    return frame, pd.concat(failures, ignore_index=True)


def contract_failures(parsed: pd.DataFrame) -> pd.DataFrame:
    """Run the pandera contract lazily and return its failures as FAILURE_COLUMNS rows."""
    try:
        CustomerInput.validate(parsed, lazy=True)
    except pa_errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return pd.DataFrame(
            {
                "column_name": cases["column"],
                "check_name": cases["check"].astype(str),
                "failure_case": cases["failure_case"].map(_as_text),
                "source_line": pd.array(cases["index"], dtype="Int64"),
            }
        )
    except pa_errors.SchemaError as exc:  # not lazy-collectable: neither class subclasses the other
        return pd.DataFrame([{"column_name": None, "check_name": str(exc), "failure_case": None, "source_line": None}])
    return pd.DataFrame(columns=FAILURE_COLUMNS)


def _as_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def validate_frame(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse and check raw customer rows.

    Args:
        raw: the text columns of raw_customers, indexed by source line.

    Returns:
        (valid, failures): the typed frame (int64/float64 columns, same index) and every
        failure, one row per failed check of one value. `valid` is only usable when
        `failures` is empty.
    """
    parsed, parse_failures = parse_numbers(raw)
    checked = contract_failures(parsed)
    # A cell that did not parse is NA now; its null failure would say the same thing again.
    already = set(zip(parse_failures["column_name"], parse_failures["source_line"], strict=True))
    repeats = checked["check_name"].eq("not_nullable") & pd.Series(
        [(c, line) in already for c, line in zip(checked["column_name"], checked["source_line"], strict=True)],
        index=checked.index,
        dtype=bool,
    )
    failures = pd.concat([parse_failures, checked[~repeats]], ignore_index=True)
    failures = failures.sort_values(["source_line", "column_name"], na_position="first")
    typed = parsed
    if failures.empty:
        typed = parsed.astype({c: "int64" for c in INTEGER_COLUMNS} | {c: "float64" for c in NUMBER_COLUMNS})
    return typed, failures.reset_index(drop=True)


def failure_report(failures: pd.DataFrame, *, source: str, shown: int = SHOWN_PER_CHECK) -> str:
    """A readable report: per column and check, how many values failed and the first few.

    Args:
        failures: FAILURE_COLUMNS rows.
        source: the file, for the first line.
        shown: values listed per column and check.

    Returns:
        A multi-line message.
    """
    rows = failures["source_line"].dropna().nunique()
    lines = [
        f"{source}: {len(failures)} value(s) in {rows} row(s) break the input contract "
        "(line numbers count the header as line 1):"
    ]
    groups = failures.groupby(["column_name", "check_name"], dropna=False, sort=False)
    for (column, check), group in groups:
        header = CANONICAL_HEADERS.get(column, column) if isinstance(column, str) else "(table)"
        examples = ", ".join(
            f"{_show(value)} (line {int(line)})" if pd.notna(line) else _show(value)
            for value, line in zip(group["failure_case"][:shown], group["source_line"][:shown], strict=True)
        )
        more = f", and {len(group) - shown} more" if len(group) > shown else ""
        lines.append(f"  - {header} · {check}: {len(group)} failing: {examples}{more}")
    return "\n".join(lines)


def _show(value: object) -> str:
    return "<empty>" if value is None or (not isinstance(value, str) and pd.isna(value)) else repr(value)


@task(cache_policy=NO_CACHE)
def validate(settings: Settings, run_id: str, source: str) -> pd.DataFrame:
    """Validate this run's raw rows; store failures and raise if there are any."""
    logger = get_run_logger()
    with connect(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con:
        raw = con.execute(sql("select_raw"), [run_id]).df().set_index("source_line")
    valid, failures = validate_frame(raw)
    if failures.empty:
        logger.info("%d rows meet the input contract", len(valid))
        return valid
    raise ValidationFailed(failure_report(failures, source=source), failures)
