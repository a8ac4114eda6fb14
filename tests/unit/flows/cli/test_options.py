"""Option parsing and the shared option types of the command line."""

from __future__ import annotations

import pytest

from flows.cli.options import option, parse_features


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("age", ("age",)),
        ("annual_income,spending_score", ("annual_income", "spending_score")),
        (" recency_days , frequency,monetary ", ("recency_days", "frequency", "monetary")),
    ],
)
def test_features_are_split_on_commas_and_trimmed(text: str | None, expected: tuple[str, ...] | None) -> None:
    assert parse_features(text) == expected


def test_a_parameter_without_an_option_has_none() -> None:
    with pytest.raises(ValueError, match="flow parameter 'cadence' has no command-line option"):
        option("cadence")


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(KeyError):
        option("bogus")
