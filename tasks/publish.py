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
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from schemas.output import CustomerSegment, KScore, SegmentProfile
from tasks.errors import AuditFailed
from tasks.fit import FittedModel, library_versions
from tasks.ingest import IngestResult
from tasks.periods import Period
from tasks.runs import RunSummary
from tasks.select_k import KChoice
from tasks.settings import Settings
from warehouse import connect, sql, transaction
from warehouse.connection import utc_now

AUDITS = ("audit_one_segment_per_customer", "audit_profile_sizes", "audit_chosen_k")


@dataclass(frozen=True)
class Publication:
    """The frames one run publishes, checked against their contracts."""

    assignments: pd.DataFrame
    profiles: pd.DataFrame
    k_table: pd.DataFrame


def build_publication(
    *,
    run_id: str,
    period: str,
    customer_ids: np.ndarray,
    segment_ids: np.ndarray,
    profiles: pd.DataFrame,
    k_table: pd.DataFrame,
) -> Publication:
    """Assemble and check the published frames of one run.

    Args:
        run_id: the run.
        period: the run's period label.
        customer_ids: one per customer.
        segment_ids: the customer's segment id, same order.
        profiles: one row per segment (from `profile_segments`).
        k_table: one row per candidate k, with `chosen`.

    Returns:
        The frames, validated against schemas.output.
    """
    names = profiles.set_index("segment_id")["segment_name"]
    assignments = pd.DataFrame(
        {
            "run_id": run_id,
            "period": period,
            "customer_id": customer_ids,
            "segment_id": segment_ids,
            "segment_name": names.reindex(segment_ids).to_numpy(),
        }
    )
    return Publication(
        assignments=CustomerSegment.validate(assignments),
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
    ingested: IngestResult,
    customers: pd.DataFrame,
    choice: KChoice,
    k_table: pd.DataFrame,
    model: FittedModel,
    profiles: pd.DataFrame,
    artifact: tuple[str, str],
) -> RunSummary:
    """Write everything the run produced in one audited transaction; mark the run succeeded."""
    publication = build_publication(
        run_id=run_id,
        period=period.label,
        customer_ids=customers["customer_id"].to_numpy(),
        segment_ids=model.segment_ids,
        profiles=profiles,
        k_table=k_table,
    )
    model_path, model_sha256 = artifact
    scores = model.scores
    with connect(settings.db_path, lock_timeout_s=settings.lock_timeout_s) as con, transaction(con):
        for view, frame, schema, statement in (
            ("assignments_df", publication.assignments, CustomerSegment, "insert_customer_segments"),
            ("profiles_df", publication.profiles, SegmentProfile, "insert_segment_profiles"),
            ("k_table_df", publication.k_table, KScore, "insert_k_selection"),
        ):
            con.register(view, _ordered(frame, schema))
            con.execute(sql(statement))
            con.unregister(view)
        updated = con.execute(
            sql("mark_run_succeeded"),
            [
                utc_now(),
                ingested.source_sha256,
                ingested.n_rows,
                ",".join(ingested.extra_columns),
                choice.k,
                choice.reason,
                scores["inertia"],
                scores["silhouette"],
                scores["calinski_harabasz"],
                scores["davies_bouldin"],
                model_path,
                model_sha256,
                json.dumps(library_versions(), sort_keys=True),
                run_id,
            ],
        ).fetchall()
        if len(updated) != 1:
            raise AuditFailed(f"run {run_id} is no longer 'running' (marked abandoned?); nothing published")
        for audit in AUDITS:
            bad = con.execute(sql(audit), [run_id]).fetchall()
            if bad:
                raise AuditFailed(f"audit {audit} found {len(bad)} bad row(s), e.g. {bad[:3]}; nothing published")
        if settings.debug_pause_before_commit_s:
            # Lets the crash-safety test kill the process with the transaction open.
            get_run_logger().warning("pausing %gs before COMMIT (debug)", settings.debug_pause_before_commit_s)
            time.sleep(settings.debug_pause_before_commit_s)
    get_run_logger().info("published run %s: %d customers", run_id, len(publication.assignments))
    segments = [(int(r.segment_id), str(r.segment_name), int(r.n_customers)) for r in publication.profiles.itertuples()]
    return RunSummary(
        run_id=run_id,
        period=period.label,
        status="succeeded",
        k=choice.k,
        k_reason=choice.reason,
        silhouette=scores["silhouette"],
        segments=segments,
        db_path=str(settings.db_path),
        bi_path=str(settings.bi_path.resolve()),
        model_path=model_path,
    )
