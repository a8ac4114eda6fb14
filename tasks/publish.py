"""Publish: one transaction writes the run's assignments, profiles, k table and run record.

Audits (queries that return bad rows) run inside the transaction; any bad row rolls the whole
publish back, so a reader sees all of a run or none of it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.output import KScore, SegmentProfile
from tasks.errors import AuditFailed
from tasks.features import Features
from tasks.fit import FittedModel, library_versions
from tasks.ingest import Ingested
from tasks.periods import Period
from tasks.runs import RunSummary
from tasks.select_k import KChoice
from tasks.settings import Settings
from warehouse import connect, sql, transaction
from warehouse.connection import utc_now


@dataclass(frozen=True)
class Publication:
    """What one run publishes. The small frames are checked against their contracts here; the
    assignments (one row per customer, millions) go to DuckDB as Arrow and are audited there."""

    assignments: pa.Table  # customer_id, segment_id
    profiles: pd.DataFrame
    k_table: pd.DataFrame


def build_publication(
    *,
    run_id: str,
    period: str,
    customer_ids: pa.ChunkedArray | pa.Array,
    segment_ids: np.ndarray,
    profiles: pd.DataFrame,
    k_table: pd.DataFrame,
) -> Publication:
    """Assemble and check the published rows of one run.

    Args:
        run_id: the run.
        period: the run's period label.
        customer_ids: one per customer.
        segment_ids: the customer's segment id, same order.
        profiles: one row per segment (from `profile_segments`).
        k_table: one row per candidate k, with `chosen`.

    Returns:
        The publication; profiles and k table validated against schemas.output.
    """
    if len(customer_ids) != len(segment_ids):
        raise AuditFailed(f"{len(customer_ids)} customers but {len(segment_ids)} segment ids; nothing published")
    return Publication(
        assignments=pa.table({"customer_id": customer_ids, "segment_id": pa.array(segment_ids, type=pa.int32())}),
        profiles=SegmentProfile.validate(profiles.assign(run_id=run_id, period=period)),
        k_table=KScore.validate(k_table.assign(run_id=run_id)),
    )


def _ordered(frame: pd.DataFrame, schema: type) -> pd.DataFrame:
    return frame[list(schema.to_schema().columns)]


@task(cache_policy=NO_CACHE)
def publish(
    settings: Settings,
    *,
    run_id: str,
    period: Period,
    ingested: Ingested,
    customers: pa.Table,
    choice: KChoice,
    k_table: pd.DataFrame,
    features: Features,
    model: FittedModel,
    profiles: pd.DataFrame,
    artifact: tuple[str, str],
) -> RunSummary:
    """Write everything the run produced in one audited transaction; mark the run succeeded."""
    publication = build_publication(
        run_id=run_id,
        period=period.label,
        customer_ids=customers.column("customer_id"),
        segment_ids=model.segment_ids,
        profiles=profiles,
        k_table=k_table,
    )
    model_path, model_sha256 = artifact
    source = ingested.source
    run = {
        "run_id": run_id,
        "finished_at": utc_now(),
        "source_sha256": ingested.source_sha256,
        "source_format": source.kind,
        "delimiter": source.delimiter,
        "column_map": json.dumps(source.columns),
        "n_rows": ingested.n_rows,
        "extra_columns": ",".join(source.extra_columns),
        "k": choice.k,
        "k_reason": choice.reason,
        "selection_rows": len(features.selection),
        "silhouette_rows": model.silhouette_rows,
        **model.scores,
        "model_path": model_path,
        "model_sha256": model_sha256,
        "library_versions": json.dumps(library_versions(), sort_keys=True),
    }
    with connect(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con, transaction(con):
        con.register("assignments_arrow", publication.assignments)
        con.register("names_df", publication.profiles[["segment_id", "segment_name"]])
        con.execute(sql("insert_customer_segments"), [run_id, period.label])
        for view, frame, schema, statement in (
            ("profiles_df", publication.profiles, SegmentProfile, "insert_segment_profiles"),
            ("k_table_df", publication.k_table, KScore, "insert_k_selection"),
        ):
            con.register(view, _ordered(frame, schema))
            con.execute(sql(statement))
        if len(con.execute(sql("mark_run_succeeded"), run).fetchall()) != 1:
            raise AuditFailed(f"run {run_id} is no longer 'running' (marked abandoned?); nothing published")
        for audit, params in (
            ("audit_one_segment_per_customer", [run_id, ingested.n_rows]),
            ("audit_profile_sizes", [run_id]),
            ("audit_chosen_k", [run_id]),
        ):
            bad = con.execute(sql(audit), params).fetchall()
            if bad:
                raise AuditFailed(f"audit {audit} found {len(bad)} bad row(s), e.g. {bad[:3]}; nothing published")
        if settings.raw_retention != "all":
            con.execute(sql("prune_raw_customers"), [settings.raw_retention == "failed"])
        if settings.debug_pause_before_commit_s:
            # Lets the crash-safety test kill the process with the transaction open.
            get_run_logger().warning("pausing %gs before COMMIT (debug)", settings.debug_pause_before_commit_s)
            time.sleep(settings.debug_pause_before_commit_s)
    get_run_logger().info("published run %s: %d customers", run_id, ingested.n_rows)
    segments = [(int(r.segment_id), str(r.segment_name), int(r.n_customers)) for r in publication.profiles.itertuples()]
    return RunSummary(
        run_id=run_id,
        period=period.label,
        status="succeeded",
        k=choice.k,
        k_reason=choice.reason,
        silhouette=model.scores["silhouette"],
        segments=segments,
        db_path=str(settings.db_path.resolve()),
        bi_path=str(settings.bi_path.resolve()),
        model_path=model_path,
    )
