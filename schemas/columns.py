"""Names of the input contract's columns, importable without pandas or pandera.

The command line checks options and headers with these before anything heavy loads.
"""

from __future__ import annotations

# Canonical column -> the header the README documents for it.
CANONICAL_HEADERS: dict[str, str] = {
    "customer_id": "CustomerID",
    "gender": "Gender",
    "age": "Age",
    "annual_income": "Annual Income (k$)",
    "spending_score": "Spending Score (1-100)",
}
FEATURE_COLUMNS = ("age", "annual_income", "spending_score")
GENDERS = ("Female", "Male")
