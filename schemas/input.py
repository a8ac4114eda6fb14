"""The input contract: one row per customer in the Mall Customers layout, once DuckDB has typed it."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing import Series

from schemas.columns import CANONICAL_HEADERS, FEATURE_COLUMNS, GENDERS  # noqa: F401 (re-exported)

# The columns are Arrow-backed (pandas' ArrowDtype): DuckDB's typed result is checked where it
# lies, without a copy. Ten million rows validate in about a third of a second this way.
TEXT = pd.ArrowDtype(pyarrow.string())
CATEGORY = pd.ArrowDtype(pyarrow.dictionary(pyarrow.int32(), pyarrow.string()))
WHOLE = pd.ArrowDtype(pyarrow.int64())
NUMBER = pd.ArrowDtype(pyarrow.float64())


class CustomerInput(pa.DataFrameModel):
    """A customer row; the index is the row's line in the source (its row in a Parquet file).

    Text is trimmed before it gets here, and empty text is missing; every missing or unparsable
    value is reported by the null check of its own cell. `customer_id` is text: CRM ids such as
    'C-00001' or UUIDs are ids too. Ids must also be unique: that check runs in DuckDB
    (warehouse/sql/parse/duplicate_ids.sql, reported as `field_uniqueness` like pandera's), because
    hashing ten million strings in pandas took five seconds and a gigabyte.
    """

    customer_id: Series[TEXT]
    gender: Series[CATEGORY] = pa.Field(isin=list(GENDERS))
    age: Series[WHOLE] = pa.Field(ge=1, le=120)
    annual_income: Series[NUMBER] = pa.Field(ge=0, le=100_000)
    spending_score: Series[WHOLE] = pa.Field(ge=1, le=100)

    class Config:
        strict = True
        coerce = False  # DuckDB has typed every column already: nothing to coerce, nothing to copy
