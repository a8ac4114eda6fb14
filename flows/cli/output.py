"""What the command line prints on stdout: JSON documents, and text for people (tables)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table


def out() -> Console:
    """stdout: wrapped for a terminal; never wrapped for a file or a pipe (one fact per line)."""
    terminal = sys.stdout.isatty()
    return Console(file=sys.stdout, soft_wrap=not terminal, width=None if terminal else 10_000, highlight=False)


def print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str, ensure_ascii=False) + "\n")


def summary_document(summary: Any) -> dict[str, Any]:
    """A run's summary as `--json` prints it: its fields, each segment an object."""
    document = asdict(summary)
    document["segments"] = [
        {"segment_id": segment_id, "name": name, "customers": size} for segment_id, name, size in summary.segments
    ]
    return document


def print_summary(summary: Any, console: Console | None = None) -> None:
    """A finished run (`run`, `score`) in text: its k and why, its segments, what changed, its files."""
    console = console or out()
    how = "scored" if summary.mode == "score" else "segmented"
    console.print(
        f"Run {summary.run_id} {how} {summary.period} into k={summary.k} segments "
        f"(silhouette {summary.silhouette:.3f})."
    )
    console.print(f"Why k={summary.k}: {summary.k_reason}")
    table = Table("segment", "name", "customers")
    for segment_id, name, size in summary.segments:
        table.add_row(str(segment_id), name, str(size))
    console.print(table)
    if summary.compared_with:
        console.print(
            f"Since {summary.compared_period} (run {summary.compared_with}): ARI {summary.ari_vs_reference:.3f}, "
            f"{summary.kept_share:.1%} of the customers in both kept their segment; "
            f"{len(summary.drift) or 'no'} drift flag(s)."
        )
    elif summary.reference_run_id:
        console.print(f"Segment IDs continue those of run {summary.reference_run_id}.")
    for reason in summary.drift:
        console.print(f"  drift: {reason}")
    if summary.expected_orders is not None:
        worth = (
            f", worth {summary.expected_value_12m:,.0f} over the next 12 months"
            if summary.expected_value_12m is not None
            else ""
        )
        console.print(
            f"Looking forward ({summary.forecast}): {summary.expected_orders:,.0f} orders expected in the next period"
            f"{worth}; {summary.customers_at_risk or 0:,} valuable customer(s) at risk."
        )
    if summary.data_ends:
        console.print(
            f"warning: the order history ends on {summary.data_ends}, before the period's end: recency is measured "
            "to a date after the data ends."
        )
    console.print(f"BI tools read: {summary.bi_path}")
    if summary.bi_rebuilt:
        console.print(f"  (rebuilt: {summary.bi_rebuilt})")
    console.print(f"Warehouse (pipeline only): {summary.db_path}")
    console.print(f"Model: {summary.model_path}")
    console.print(f"Report: {summary.report_path or 'not written (see the run in the Prefect UI)'}")
    db = f" --db {summary.db_path}" if summary.db_path else ""
    console.print(f"Next: `segment show{db}` (segments, rules, outlook), `segment report --open{db}` (the report).")


def backfill_table(outcomes: list[Any], *, deployment: bool) -> Table:
    """One row per period: its outcome (coloured), k and run (a submitted run's flow run id)."""
    table = Table("period", "outcome", "k", "run_id" if not deployment else "flow_run_id")
    for outcome in outcomes:
        colour = {"succeeded": "green", "skipped": "yellow", "failed": "red"}.get(outcome.outcome, "cyan")
        table.add_row(outcome.period, f"[{colour}]{outcome.outcome}[/]", str(outcome.k or ""), outcome.run_id or "")
    return table


def runs_table(rows: list[dict[str, Any]]) -> Table:
    """The run history (`segment runs`): * marks the current run."""
    listing = Table("", "period", "status", "mode", "k", "silhouette", "customers", "finished (UTC)", "run_id")
    for row in rows:
        listing.add_row(
            "*" if row["is_current"] else "",
            row["period"],
            row["status"],
            row["mode"] or "fit",
            "" if row["k"] is None else str(row["k"]),
            "" if row["silhouette"] is None else f"{row['silhouette']:.3f}",
            "" if row["n_customers"] is None else f"{row['n_customers']:,}",
            "" if row["finished_at"] is None else f"{row['finished_at']:%Y-%m-%d %H:%M}",
            row["run_id"],
        )
    return listing


def customers(run: dict[str, Any]) -> int:
    """Customers a run segmented: its own count, or for runs before migration 008, the rows read."""
    count = run.get("n_customers")
    return int(count if count is not None and count == count else run["n_rows"] or 0)


def run_headline(run: dict[str, Any]) -> str:
    """`segment show`'s first line: the run, its period and outcome, and how much it read."""
    if run["status"] == "succeeded":
        rows = f"{customers(run):,} customers"
        if run.get("source_kind") == "orders":
            rows += f" from {run['n_rows']:,} order lines"
    else:  # the rows read before it failed (kept while SEGMENT_RAW_RETENTION keeps failed runs' rows)
        rows = "rows read unknown" if run["n_rows"] is None else f"{run['n_rows']:,} rows read"
    return f"Run {run['run_id']}: {run['period']}, {run['status']}, mode {run['mode'] or 'fit'}, {rows}."


def segments_table(profiles: list[dict[str, Any]]) -> Table:
    """A run's segments with their rules and, for an order history, their outlook (`segment show`)."""
    outlook = any(p.get("mean_p_active") is not None for p in profiles)
    columns = ["segment", "name", "customers", "share", "rule", "precision", "recall"]
    if outlook:
        columns += ["active", "orders next", "value 12m", "at risk"]
    segments = Table(*columns)
    for p in profiles:
        row = [
            str(p["segment_id"]),
            p["segment_name"],
            f"{p['n_customers']:,}",
            f"{p['share']:.1%}",
            p["rule"] or "",
            "" if p["rule_precision"] is None else f"{p['rule_precision']:.2f}",
            "" if p["rule_recall"] is None else f"{p['rule_recall']:.2f}",
        ]
        if outlook:
            value = p.get("expected_value_12m")
            row += [
                f"{p['mean_p_active']:.0%}",
                f"{p['expected_orders']:,.0f}",
                "" if value is None else f"{value:,.0f}",
                f"{p['customers_at_risk'] or 0:,} ({(p['share_at_risk'] or 0):.1%})",
            ]
        segments.add_row(*row)
    return segments


def candidates_table(k_table: list[dict[str, Any]]) -> Table:
    """The candidate k a run weighed, and the one it chose (`segment show`)."""
    candidates = Table("k", "inertia", "silhouette", "stability", "chosen")
    for r in k_table:
        candidates.add_row(
            str(r["k"]),
            f"{r['inertia']:.1f}",
            "" if r["silhouette"] is None else f"{r['silhouette']:.3f}",
            "" if r["stability"] is None else f"{r['stability']:.2f}",
            "yes" if r["chosen"] else "",
        )
    return candidates


def print_run(
    run: dict[str, Any],
    *,
    profiles: list[dict[str, Any]],
    k_table: list[dict[str, Any]],
    drift: list[str],
    forecast: str | None = None,
    console: Console | None = None,
) -> None:
    """One run in text (`segment show`): its error, or its segments, candidate k and drift."""
    console = console or out()
    console.print(run_headline(run))
    if run["status"] != "succeeded":
        console.print(f"Error: {run['error']}")
        return
    console.print(f"Why k={run['k']}: {run['k_reason']}")
    console.print(segments_table(profiles))
    console.print(f"Looking forward: {forecast}" if forecast else "No forecast: a customer table has no order history.")
    if k_table:
        console.print(candidates_table(k_table))
    if run["ari_vs_reference"] is not None:
        console.print(
            f"Since {run['reference_period']}: ARI {run['ari_vs_reference']:.3f}, {run['kept_share']:.1%} kept "
            f"their segment; {len(drift)} drift flag(s)."
        )
    for reason in drift:
        console.print(f"  drift: {reason}")
