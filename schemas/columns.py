"""Names of the input contract's columns, importable without pandas or pandera.

The command line checks options and headers with these before anything heavy loads.
"""

from __future__ import annotations

from segmentation.registry import CUSTOMER_NUMERIC

# Canonical column -> the header the README documents for it.
CANONICAL_HEADERS: dict[str, str] = {
    "customer_id": "CustomerID",
    "gender": "Gender",
    "age": "Age",
    "annual_income": "Annual Income (k$)",
    "spending_score": "Spending Score (1-100)",
}
FEATURE_COLUMNS = CUSTOMER_NUMERIC  # the numeric ones, declared once in the feature registry
GENDERS = ("Female", "Male")

# Order histories: one row per order or order line. order_id, quantity and unit_price are optional
# (without an order id, one customer's lines of one day are one order; without an amount, the
# line's amount is quantity × unit_price).
ORDER_HEADERS: dict[str, str] = {
    "customer_id": "customer_id",
    "order_date": "order_date",
    "amount": "amount",
    "order_id": "order_id",
    "quantity": "quantity",
    "unit_price": "unit_price",
}
ORDER_REQUIRED = ("customer_id", "order_date")
# Customer attributes beside an order history: the customer contract without the score.
ATTRIBUTE_HEADERS: dict[str, str] = {
    "customer_id": "CustomerID",
    "gender": "Gender",
    "age": "Age",
    "annual_income": "Annual Income (k$)",
}
ATTRIBUTE_REQUIRED = ("customer_id",)
