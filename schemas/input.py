"""The input contract: one row per customer in the Mall Customers layout."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.columns import CANONICAL_HEADERS, FEATURE_COLUMNS, GENDERS  # noqa: F401 (re-exported)

# Source header -> canonical column. Columns are matched by header name, never by position;
# several spellings may map to one column (the original Kaggle file says "Genre").
SOURCE_HEADERS: dict[str, str] = {
    "CustomerID": "customer_id",
    "Gender": "gender",
    "Genre": "gender",
    "Age": "age",
    "Annual Income (k$)": "annual_income",
    "Spending Score (1-100)": "spending_score",
}
INTEGER_COLUMNS = ("customer_id", "age", "spending_score")
NUMBER_COLUMNS = ("annual_income",)


class CustomerInput(pa.DataFrameModel):
    """A customer row once its text is parsed; the index is the row's line in the source file.

    Numbers use pandas' nullable dtypes so that a missing or unparsable value is reported by
    the null check of its own cell instead of failing the whole column's coercion, which
    would hide every other failure in that column.
    """

    customer_id: Series[pd.Int64Dtype] = pa.Field(gt=0, unique=True)
    gender: Series[str] = pa.Field(isin=list(GENDERS))
    age: Series[pd.Int64Dtype] = pa.Field(ge=1, le=120)
    annual_income: Series[pd.Float64Dtype] = pa.Field(ge=0, le=100_000)
    spending_score: Series[pd.Int64Dtype] = pa.Field(ge=1, le=100)

    class Config:
        strict = True
        coerce = True
