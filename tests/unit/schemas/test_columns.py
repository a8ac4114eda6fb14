"""The contracts' column names, importable without pandas."""

from __future__ import annotations

from schemas.columns import (
    ATTRIBUTE_HEADERS,
    ATTRIBUTE_REQUIRED,
    CANONICAL_HEADERS,
    FEATURE_COLUMNS,
    GENDERS,
    ORDER_HEADERS,
    ORDER_REQUIRED,
)


def test_the_customer_contract_is_the_mall_layout() -> None:
    assert list(CANONICAL_HEADERS.values()) == [
        "CustomerID",
        "Gender",
        "Age",
        "Annual Income (k$)",
        "Spending Score (1-100)",
    ]
    assert set(FEATURE_COLUMNS) < set(CANONICAL_HEADERS)
    assert GENDERS == ("Female", "Male")


def test_orders_and_attributes_name_what_they_require() -> None:
    assert set(ORDER_REQUIRED) <= set(ORDER_HEADERS)
    assert ORDER_REQUIRED == ("customer_id", "order_date")
    assert set(ATTRIBUTE_REQUIRED) <= set(ATTRIBUTE_HEADERS)
    assert "spending_score" not in ATTRIBUTE_HEADERS  # a store's score is not an attribute
    assert {k: v for k, v in CANONICAL_HEADERS.items() if k in ATTRIBUTE_HEADERS} == ATTRIBUTE_HEADERS
