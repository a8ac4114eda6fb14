"""Publish: one transaction writes everything a run produced and marks the run succeeded.

Assignments, profiles, the k table, the segments' lineage, the customers' transitions, the
drift flags and the run record appear together or not at all. Audits (queries that return bad
rows) run inside the transaction; any bad row rolls the whole publish back.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.output import (
    DriftFlag,
    ForecastBacktest,
    ForecastModelRow,
    KScore,
    SegmentLineage,
    SegmentProfile,
    SegmentTransition,
)
from segmentation import faults
from segmentation.colours import segment_colour
from segmentation.errors import AuditFailed
from segmentation.matrix import selection_sample
from segmentation.model import library_versions
from segmentation.periods import Period
from segmentation.registry import NUMERIC_FEATURES
from segmentation.results import (
    FLAG_COLUMNS,
    Continuity,
    Ingested,
    OrderHistory,
    OrderInput,
    Outlook,
    Publication,
    RunSummary,
    Segments,
)
from segmentation.settings import Settings
from warehouse import Warehouse, sql
from warehouse.connection import utc_now
from warehouse.queries import Connection

# customer_sample's columns: the customer and every attribute or feature a segment map may plot.
SAMPLE_COLUMNS = ("customer_id", "gender", *NUMERIC_FEATURES)


def build_publication(
    *,
    run_id: str,
    period: str,
    customer_ids: pa.ChunkedArray | pa.Array,
    segment_ids: np.ndarray,
    profiles: pd.DataFrame,
    k_table: pd.DataFrame | None,
    continuity: Continuity | None = None,
    customers: pa.Table | None = None,
    outlook: Outlook | None = None,
    sample_size: int = 5_000,
    random_state: int = 0,
) -> Publication:
    """Assemble and check the published rows of one run.

    Args:
        run_id: the run.
        period: the run's period label.
        customer_ids: one per customer.
        segment_ids: the customer's segment id, same order.
        profiles: one row per segment (from `profile_segments`).
        k_table: one row per candidate k, with `chosen`; None for a scored run (it chose no k).
        continuity: lineage, transitions and drift flags against the reference run.
        customers: the validated customers, for the plotting sample.
        outlook: the forecast (order histories): its segment columns join the profiles, its drift
            flags the run's.
        sample_size: customers in the plotting sample (a seeded sample beyond it).
        random_state: its seed.

    Returns:
        The publication; every frame but the assignments validated against schemas.output.
    """
    if len(customer_ids) != len(segment_ids):
        raise AuditFailed(f"{len(customer_ids)} customers but {len(segment_ids)} segment ids; nothing published")
    stamp = {"run_id": run_id, "period": period}
    matched = {"reference_run_id": None if continuity is None else continuity.matched_run_id}
    compared = {"compared_run_id": None if continuity is None else continuity.compared_run_id}
    lineage = continuity.lineage if continuity is not None else pd.DataFrame(columns=SegmentLineage.to_schema().columns)
    transitions = continuity.transitions if continuity is not None else pd.DataFrame()
    flags = continuity.flags if continuity is not None else pd.DataFrame(columns=FLAG_COLUMNS)
    profiles = with_outlook(profiles, outlook)
    if outlook is not None and len(outlook.flags):
        flags = pd.concat([df for df in (flags, outlook.flags) if len(df)], ignore_index=True)
    ids = profiles["segment_id"].to_numpy()
    position = np.searchsorted(ids, segment_ids).clip(max=len(ids) - 1)
    if not (ids[position] == segment_ids).all():
        raise AuditFailed("customers were assigned a segment that has no profile; nothing published")
    # One name per segment, not one string per customer: DuckDB reads the dictionary as text.
    names = pa.DictionaryArray.from_arrays(
        pa.array(position.astype(np.int32)), pa.array(profiles["segment_name"].tolist())
    )
    assignments = pa.table(
        {"customer_id": customer_ids, "segment_id": pa.array(segment_ids, type=pa.int32()), "segment_name": names}
    )
    sample = pa.table({"customer_id": pa.array([], pa.string()), "segment_id": pa.array([], pa.int32())})
    if customers is not None:
        rows = pa.array(selection_sample(len(segment_ids), sample_size, random_state=random_state))
        kept = [c for c in SAMPLE_COLUMNS if c in customers.column_names]
        sample = (
            customers.select(kept).take(rows).append_column("segment_id", assignments.column("segment_id").take(rows))
        )
    return Publication(
        assignments=assignments,
        sample=sample,
        profiles=SegmentProfile.validate(
            profiles.assign(**stamp, colour=[segment_colour(i) for i in profiles["segment_id"]])
        ),
        k_table=KScore.validate(k_table.assign(run_id=run_id)) if k_table is not None and len(k_table) else None,
        lineage=SegmentLineage.validate(lineage.assign(**stamp, **matched)),
        transitions=SegmentTransition.validate(transitions.assign(**stamp, **compared))
        if len(transitions)
        else transitions,
        flags=DriftFlag.validate(flags.assign(**stamp, **compared)) if len(flags) else flags,
    )


OUTLOOK_COLUMNS = ("mean_p_active", "expected_orders", "expected_value_12m", "customers_at_risk", "share_at_risk")


def with_outlook(profiles: pd.DataFrame, outlook: Outlook | None) -> pd.DataFrame:
    """The profiles with each segment's outlook (NULL without a forecast: a customer table)."""
    plain = profiles.drop(columns=[c for c in OUTLOOK_COLUMNS if c in profiles])
    if outlook is None:
        return plain.assign(**dict.fromkeys(OUTLOOK_COLUMNS, np.nan))
    merged = plain.merge(outlook.segments, on="segment_id", how="left")
    return merged.astype({"customers_at_risk": "Int64"})


def forecast_model_row(run_id: str, period: str, outlook: Outlook) -> pd.DataFrame:
    """The forecast_models row of a run."""
    parameters = {k: v for k, v in outlook.model.to_dict().items() if k not in ("time_unit", "random_state")}
    return ForecastModelRow.validate(
        pd.DataFrame(
            [
                {
                    "run_id": run_id,
                    "period": period,
                    "fitted_run_id": outlook.fitted_run_id,
                    **parameters,
                    # the customers forecast: a score run's own, not its model run's
                    "customers": outlook.customers.num_rows,
                    "repeat_customers": int(pc.sum(pc.greater(outlook.customers.column("repeat_orders"), 0)).as_py()),
                    "horizon_days": outlook.horizon_days,
                    "horizon_12m_days": outlook.horizon_12m_days,
                    **outlook.totals(),
                    "model_path": outlook.artifact[0],
                    "model_sha256": outlook.artifact[1],
                }
            ]
        )
    )


def _ordered(frame: pd.DataFrame, schema: type) -> pd.DataFrame:
    return frame[list(schema.to_schema().columns)]


NOT_ORDERS = dict.fromkeys(
    (
        "lookback_months",
        "date_format",
        "attributes_path",
        "anonymous_lines",
        "window_start",
        "orders_after_end",
        "orders_in_window",
        "customers_lapsed",
        "last_order_date",
        "source_checksum",
        "source_detail",
    ),
) | {"source_kind": "customers"}


def run_record(
    run_id: str,
    ingested: Ingested | OrderHistory,
    segments: Segments,
    *,
    n_customers: int,
    orders: OrderInput | None = None,
) -> dict[str, object]:
    """The run's row: everything `mark_run_succeeded.sql` sets."""
    source, model, continuity = ingested.source, segments.identity.assignment, segments.continuity
    model_path, model_sha256 = segments.artifact
    return {
        "run_id": run_id,
        "finished_at": utc_now(),
        "mode": segments.mode,
        "model_run_id": segments.model_run_id,
        "features": ",".join(segments.features),
        "feature_scaling": json.dumps(segments.scaling),
        "source_sha256": ingested.source_sha256,
        "source_format": source.kind,
        "delimiter": source.delimiter,
        "column_map": json.dumps(source.columns),
        "n_rows": ingested.n_rows,
        "extra_columns": ",".join(source.extra_columns),
        "k": segments.k,
        "k_reason": segments.k_reason,
        "k_methods": json.dumps(segments.k_methods),
        "selection_rows": segments.selection_rows,
        "silhouette_rows": model.silhouette_rows,
        **model.scores,
        "model_path": model_path,
        "model_sha256": model_sha256,
        "library_versions": json.dumps(library_versions(), sort_keys=True),
        "reference_run_id": continuity.matched_run_id,
        "common_customers": continuity.common_customers,
        "ari_vs_reference": continuity.ari,
        "kept_share": continuity.kept_share,
        "drift_flags": len(continuity.flags),
        "n_customers": n_customers,
        **(orders.as_record() if orders else NOT_ORDERS),
    }


def write_outlook(con: Connection, run_id: str, period: str, outlook: Outlook) -> None:
    """The forecast's rows: its model, every customer's forecast, the earlier forecasts it measured."""
    con.register("forecast_model_df", forecast_model_row(run_id, period, outlook))
    con.execute(sql("writes/insert_forecast_model"))
    con.register("customer_forecasts_arrow", outlook.customers)
    con.execute(sql("writes/insert_customer_forecasts"), [run_id, period])
    if len(outlook.backtests):
        con.register("backtests_df", ForecastBacktest.validate(outlook.backtests.assign(run_id=run_id, period=period)))
        con.execute(sql("writes/insert_forecast_backtests"))


def outlook_summary(outlook: Outlook | None, profiles: pd.DataFrame, *, orders: bool) -> dict[str, object]:
    """What the run's summary says of its forecast (nothing but why, without one)."""
    if outlook is None:
        why = (
            "turned off (SEGMENT_FORECAST=false)"
            if orders
            else "a customer table has no order history to forecast from"
        )
        return {"forecast": f"none: {why}"}
    totals = outlook.totals()
    return {
        "forecast": "BG/NBD and Gamma-Gamma" if outlook.model.gamma_gamma else "BG/NBD (no spend model)",
        "expected_orders": totals["predicted_orders"],
        "expected_value_12m": totals["predicted_value_12m"],
        "customers_at_risk": int(profiles["customers_at_risk"].fillna(0).sum()),
    }


@task(cache_policy=NO_CACHE)
def publish(
    settings: Settings,
    warehouse: Warehouse,
    *,
    run_id: str,
    period: Period,
    ingested: Ingested | OrderHistory,
    customers: pa.Table,
    segments: Segments,
    orders: OrderInput | None = None,
    outlook: Outlook | None = None,
) -> RunSummary:
    """Write everything the run produced in one audited transaction; mark the run succeeded."""
    model = segments.identity.assignment
    publication = build_publication(
        run_id=run_id,
        period=period.label,
        customer_ids=customers.column("customer_id"),
        segment_ids=model.segment_ids,
        profiles=segments.profiles,
        k_table=segments.k_table,
        continuity=segments.continuity,
        customers=customers,
        outlook=outlook,
        sample_size=settings.plot_sample_size,
        random_state=settings.random_state,
    )
    with warehouse.transaction() as con:
        con.register("assignments_arrow", publication.assignments)
        con.execute(sql("writes/insert_customer_segments"), [run_id, period.label])
        con.register("sample_arrow", publication.sample)
        con.execute(sql("writes/insert_customer_sample"), [run_id])
        if orders is not None:  # why each customer is where they are: their features as of the period's end
            con.register("features_arrow", customers)
            con.execute(sql("writes/insert_customer_features"), [run_id, period.label])
        for view, frame, schema, statement in (
            ("profiles_df", publication.profiles, SegmentProfile, "insert_segment_profiles"),
            ("k_table_df", publication.k_table, KScore, "insert_k_selection"),
            ("lineage_df", publication.lineage, SegmentLineage, "insert_segment_lineage"),
            ("transitions_df", publication.transitions, SegmentTransition, "insert_segment_transitions"),
            ("flags_df", publication.flags, DriftFlag, "insert_drift_flags"),
        ):
            if frame is not None and len(frame):
                con.register(view, _ordered(frame, schema))
                con.execute(sql(f"writes/{statement}"))
        if outlook is not None:
            write_outlook(con, run_id, period.label, outlook)
        record = run_record(run_id, ingested, segments, n_customers=customers.num_rows, orders=orders)
        record["drift_flags"] = len(publication.flags)
        if len(con.execute(sql("writes/mark_run_succeeded"), record).fetchall()) != 1:
            raise AuditFailed(f"run {run_id} is no longer 'running' (marked abandoned?); nothing published")
        for audit, params in (
            ("audit_one_segment_per_customer", [run_id, customers.num_rows]),
            ("audit_profile_sizes", [run_id]),
            ("audit_chosen_k", [run_id]),
            ("audit_forecast", [run_id]),
        ):
            bad = con.execute(sql(f"audits/{audit}"), params).fetchall()
            if bad:
                raise AuditFailed(f"audit {audit} found {len(bad)} bad row(s), e.g. {bad[:3]}; nothing published")
        if settings.raw_retention != "all":
            con.execute(sql("writes/prune_raw_customers"), [settings.raw_retention == "failed"])
        faults.pause("before_commit", get_run_logger())  # test only: a crash test kills the run here
    get_run_logger().info("published run %s: %d customers", run_id, customers.num_rows)
    continuity = segments.continuity
    return RunSummary(
        run_id=run_id,
        period=period.label,
        status="succeeded",
        mode=segments.mode,
        k=segments.k,
        k_reason=segments.k_reason,
        silhouette=model.scores["silhouette"],
        segments=[
            (int(r.segment_id), str(r.segment_name), int(r.n_customers)) for r in publication.profiles.itertuples()
        ],
        model_run_id=segments.model_run_id,
        reference_run_id=continuity.matched_run_id,
        compared_with=continuity.compared_run_id,
        compared_period=continuity.compared_period,
        ari_vs_reference=continuity.ari,
        kept_share=continuity.kept_share,
        drift=list(publication.flags["reason"]) if len(publication.flags) else [],
        **outlook_summary(outlook, publication.profiles, orders=orders is not None),
        data_ends=str(orders.facts.history_ends) if orders is not None and orders.facts.ends_early else None,
        db_path=str(settings.db_path.resolve()),
        bi_path=str(settings.bi_path.resolve()),
        model_path=segments.artifact[0],
    )
