"""The input contract on Arrow-backed columns, as DuckDB types them."""

from __future__ import annotations

import pandas as pd
import pandera.errors as pa_errors
import pytest

from schemas.input import CATEGORY, NUMBER, TEXT, WHOLE, CustomerInput


def customers(**changes: list[object]) -> pd.DataFrame:
    columns = {
        "customer_id": (["1", "C-2"], TEXT),
        "gender": (["Female", "Male"], CATEGORY),
        "age": ([19, 120], WHOLE),
        "annual_income": ([0.0, 15.5], NUMBER),
        "spending_score": ([1, 100], WHOLE),
    }
    return pd.DataFrame(
        {name: pd.Series(changes.get(name, values), dtype=dtype) for name, (values, dtype) in columns.items()}
    )


def test_rows_at_the_bounds_meet_the_contract() -> None:
    frame = customers()
    assert CustomerInput.validate(frame).equals(frame)  # nothing coerced


@pytest.mark.parametrize(
    ("column", "values", "check"),
    [
        ("age", [0, 30], "greater_than_or_equal_to(1)"),
        ("age", [30, 121], "less_than_or_equal_to(120)"),
        ("annual_income", [-0.5, 1.0], "greater_than_or_equal_to(0)"),
        ("annual_income", [1.0, 100_001.0], "less_than_or_equal_to(100000)"),
        ("spending_score", [0, 5], "greater_than_or_equal_to(1)"),
        ("spending_score", [5, 101], "less_than_or_equal_to(100)"),
        ("gender", ["Female", "F"], "isin(['Female', 'Male'])"),
        ("customer_id", ["1", None], "not_nullable"),
    ],
)
def test_each_check_names_its_column(column: str, values: list[object], check: str) -> None:
    with pytest.raises(pa_errors.SchemaErrors) as caught:
        CustomerInput.validate(customers(**{column: values}), lazy=True)
    cases = caught.value.failure_cases
    assert cases[["column", "check"]].values.tolist() == [[column, check]]


def test_the_contract_is_strict_about_columns() -> None:
    # Neither error class is a subclass of the other: a strict check may raise either.
    with pytest.raises(
        (pa_errors.SchemaError, pa_errors.SchemaErrors), match="column 'loyalty' not in DataFrameSchema"
    ):
        CustomerInput.validate(customers().assign(loyalty=1))
