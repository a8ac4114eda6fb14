"""The input contract: one row per customer in the Mall Customers layout, once DuckDB has typed it."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.columns import CANONICAL_HEADERS, FEATURE_COLUMNS, GENDERS  # noqa: F401 (re-exported)

INTEGER_COLUMNS = ("age", "spending_score")
NUMBER_COLUMNS = ("annual_income",)


class CustomerInput(pa.DataFrameModel):
    """A customer row; the index is the row's line in the source (its row in a Parquet file).

    Text is trimmed before it gets here, and empty text is missing. Numbers use pandas'
    nullable dtypes, so a missing or unparsable value is reported by the null check of its own
    cell instead of failing the whole column's coercion, which would hide every other failure
    in that column. `customer_id` is text: CRM ids such as 'C-00001' or UUIDs are ids too.
    """

    customer_id: Series[str] = pa.Field(unique=True)
    gender: Series[pd.CategoricalDtype] = pa.Field(isin=list(GENDERS))
    age: Series[pd.Int64Dtype] = pa.Field(ge=1, le=120)
    annual_income: Series[pd.Float64Dtype] = pa.Field(ge=0, le=100_000)
    spending_score: Series[pd.Int64Dtype] = pa.Field(ge=1, le=100)

    class Config:
        strict = True
        coerce = True
