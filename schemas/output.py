"""Contracts of the tables a run publishes; checked before the publish transaction commits.

customer_segments (one row per customer, millions) is checked in SQL inside the transaction
instead: warehouse/sql/audits/audit_one_segment_per_customer.sql."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series


class RunKeyed(pa.DataFrameModel):
    """Columns every published row carries."""

    run_id: Series[str] = pa.Field(str_length={"min_value": 1})


class SegmentProfile(RunKeyed):
    """segment_profiles: one row per (run, segment)."""

    period: Series[str]
    segment_id: Series[int] = pa.Field(ge=1, unique=True)
    segment_name: Series[str] = pa.Field(str_length={"min_value": 1}, unique=True)
    n_customers: Series[int] = pa.Field(gt=0)
    share: Series[float] = pa.Field(gt=0, le=1)
    mean_age: Series[float] = pa.Field(nullable=True)
    median_age: Series[float] = pa.Field(nullable=True)
    mean_annual_income: Series[float] = pa.Field(nullable=True)
    median_annual_income: Series[float] = pa.Field(nullable=True)
    mean_spending_score: Series[float] = pa.Field(nullable=True)
    median_spending_score: Series[float] = pa.Field(nullable=True)
    share_female: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    share_male: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    centroid_age: Series[float] = pa.Field(nullable=True)
    centroid_annual_income: Series[float] = pa.Field(nullable=True)
    centroid_spending_score: Series[float] = pa.Field(nullable=True)
    mean_recency_days: Series[float] = pa.Field(nullable=True)
    median_recency_days: Series[float] = pa.Field(nullable=True)
    centroid_recency_days: Series[float] = pa.Field(nullable=True)
    mean_frequency: Series[float] = pa.Field(nullable=True)
    median_frequency: Series[float] = pa.Field(nullable=True)
    centroid_frequency: Series[float] = pa.Field(nullable=True)
    mean_monetary: Series[float] = pa.Field(nullable=True)
    median_monetary: Series[float] = pa.Field(nullable=True)
    centroid_monetary: Series[float] = pa.Field(nullable=True)
    mean_avg_order_value: Series[float] = pa.Field(nullable=True)
    median_avg_order_value: Series[float] = pa.Field(nullable=True)
    centroid_avg_order_value: Series[float] = pa.Field(nullable=True)
    mean_tenure_days: Series[float] = pa.Field(nullable=True)
    median_tenure_days: Series[float] = pa.Field(nullable=True)
    centroid_tenure_days: Series[float] = pa.Field(nullable=True)
    rule: Series[str] = pa.Field(nullable=True)
    rule_precision: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    rule_recall: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    colour: Series[str] = pa.Field(str_matches=r"^#[0-9A-F]{6}$")  # of the segment ID (segmentation.colours)
    # Its outlook (order histories; NULL for a customer table).
    mean_p_active: Series[float] = pa.Field(ge=0, le=1, nullable=True)
    expected_orders: Series[float] = pa.Field(ge=0, nullable=True)
    expected_value_12m: Series[float] = pa.Field(ge=0, nullable=True)
    customers_at_risk: Series[pd.Int64Dtype] = pa.Field(ge=0, nullable=True)
    share_at_risk: Series[float] = pa.Field(ge=0, le=1, nullable=True)

    class Config:
        strict = True
        coerce = True


class KScore(RunKeyed):
    """k_selection: one row per (run, candidate k)."""

    k: Series[int] = pa.Field(ge=2, unique=True)
    inertia: Series[float] = pa.Field(ge=0)
    silhouette: Series[float] = pa.Field(ge=-1, le=1, nullable=True)
    calinski_harabasz: Series[float] = pa.Field(ge=0, nullable=True)
    davies_bouldin: Series[float] = pa.Field(ge=0, nullable=True)
    stability: Series[float] = pa.Field(ge=-1, le=1, nullable=True)
    chosen: Series[bool]

    class Config:
        strict = True
        coerce = True


class SegmentLineage(RunKeyed):
    """segment_lineage: one row per (run, segment), retired reference segments included."""

    period: Series[str]
    reference_run_id: Series[str] = pa.Field(nullable=True)
    segment_id: Series[int] = pa.Field(ge=1, unique=True)
    status: Series[str] = pa.Field(isin=["matched", "new", "retired"])
    segment_name: Series[str] = pa.Field(nullable=True)
    reference_name: Series[str] = pa.Field(nullable=True)
    n_customers: Series[pd.Int64Dtype] = pa.Field(gt=0, nullable=True)
    reference_n_customers: Series[pd.Int64Dtype] = pa.Field(gt=0, nullable=True)
    share: Series[float] = pa.Field(gt=0, le=1, nullable=True)
    reference_share: Series[float] = pa.Field(gt=0, le=1, nullable=True)
    size_change: Series[float] = pa.Field(nullable=True)
    match_distance: Series[float] = pa.Field(ge=0, nullable=True)
    centroid_shift: Series[float] = pa.Field(ge=0, nullable=True)

    class Config:
        strict = True
        coerce = True


class SegmentTransition(RunKeyed):
    """segment_transitions: customers per (run, from_segment, to_segment)."""

    period: Series[str]
    compared_run_id: Series[str]
    from_segment: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    to_segment: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    n_customers: Series[int] = pa.Field(gt=0)

    class Config:
        strict = True
        coerce = True


class DriftFlag(RunKeyed):
    """drift_flags: one row per flag a run raised."""

    period: Series[str]
    compared_run_id: Series[str] = pa.Field(nullable=True)
    segment_id: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    flag: Series[str] = pa.Field(
        isin=["size_change", "centroid_shift", "new_segment", "retired_segment", "low_silhouette", "p_active_drop"]
    )
    value: Series[float] = pa.Field(nullable=True)
    threshold: Series[float] = pa.Field(nullable=True)
    reason: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True


class ForecastModelRow(RunKeyed):
    """forecast_models: one row per order-history run."""

    period: Series[str]
    fitted_run_id: Series[str] = pa.Field(str_length={"min_value": 1})
    bgnbd_r: Series[float] = pa.Field(gt=0)
    bgnbd_alpha: Series[float] = pa.Field(gt=0)
    bgnbd_a: Series[float] = pa.Field(gt=0)
    bgnbd_b: Series[float] = pa.Field(gt=0)
    gg_p: Series[float] = pa.Field(gt=0, nullable=True)
    gg_q: Series[float] = pa.Field(gt=1, nullable=True)  # the mean order value is finite only for q > 1
    gg_gamma: Series[float] = pa.Field(gt=0, nullable=True)
    log_likelihood: Series[float]
    gg_log_likelihood: Series[float] = pa.Field(nullable=True)
    customers: Series[int] = pa.Field(gt=0)
    repeat_customers: Series[int] = pa.Field(ge=0)
    sample_size: Series[int] = pa.Field(gt=0)
    gg_sample_size: Series[int] = pa.Field(ge=0)
    converged: Series[bool]
    reason: Series[str] = pa.Field(nullable=True)
    horizon_days: Series[int] = pa.Field(gt=0)
    horizon_12m_days: Series[int] = pa.Field(ge=365, le=366)
    predicted_orders: Series[float] = pa.Field(ge=0)
    predicted_orders_12m: Series[float] = pa.Field(ge=0)
    predicted_value: Series[float] = pa.Field(ge=0, nullable=True)
    predicted_value_12m: Series[float] = pa.Field(ge=0, nullable=True)
    model_path: Series[str]
    model_sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$")

    class Config:
        strict = True
        coerce = True


class ForecastBacktest(RunKeyed):
    """forecast_backtests: one row per (measuring run, forecast run, horizon, segment or all)."""

    period: Series[str]
    forecast_run_id: Series[str]
    forecast_period: Series[str]
    horizon: Series[str] = pa.Field(isin=["next period", "12 months"])
    horizon_start: Series[pa.DateTime]
    horizon_end: Series[pa.DateTime]
    segment_id: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    customers: Series[int] = pa.Field(gt=0)
    predicted_orders: Series[float] = pa.Field(ge=0)
    actual_orders: Series[int] = pa.Field(ge=0)
    predicted_value: Series[float] = pa.Field(ge=0, nullable=True)
    actual_value: Series[float]

    class Config:
        strict = True
        coerce = True
