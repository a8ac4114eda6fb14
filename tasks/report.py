"""Report: the plots and one self-contained HTML page per run, and the run's Prefect artifacts.

`segment report` reads the BI surface (never the warehouse, so it never holds up a run); a run's
own report reads the warehouse the run holds (no run opens the BI file). Either way a report can
be rebuilt for any past run, made before this code or not: a run without a stored customer
sample (before migration 006) gets its map from the segment centres alone, and says so. Images
are embedded as data URIs; the page needs no network.
"""

from __future__ import annotations

import base64
import logging
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from schemas.features import FEATURES, label
from tasks.errors import PipelineError
from tasks.plots import demographics_figure, k_selection_figure, png, profile_figure, segment_map_figure
from tasks.settings import Settings
from warehouse import connect, connect_bi, sql

logger = logging.getLogger(__name__)
MAP_AXES = (
    ("annual_income", "spending_score"),
    ("recency_days", "monetary"),
    ("recency_days", "frequency"),
    ("frequency", "monetary"),
    ("age", "spending_score"),
    ("age", "annual_income"),
)


@dataclass(frozen=True)
class ReportData:
    """What a report shows, as the BI surface holds it."""

    run: dict[str, object]
    k_table: pd.DataFrame
    profiles: pd.DataFrame
    lineage: pd.DataFrame
    transitions: pd.DataFrame
    flags: pd.DataFrame
    failures: pd.DataFrame
    sample: pd.DataFrame

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(str(self.run["features"] or "").split(","))

    @property
    def numeric_features(self) -> tuple[str, ...]:
        """The features a map or a bar can show (gender is in the demographics figure)."""
        numeric = tuple(f for f in self.features if f in FEATURES and not FEATURES[f].categorical)
        return numeric or ("annual_income", "spending_score")


def find_run(con: duckdb.DuckDBPyConnection, wanted: str | None) -> str:
    """A run by id (or a unique start of one), by period, or by default the current (else newest) run.

    Raises:
        PipelineError: nothing matches, or an id prefix matches more than one run.
    """
    if wanted is None:
        found = con.execute(sql("find_default_run")).fetchone()[0]
        if found is None:
            raise PipelineError("the warehouse has no runs yet: run `segment run` first")
        return found
    by_period = con.execute(sql("find_run_of_period"), [wanted]).fetchone()
    if by_period:
        return by_period[0]
    matches = con.execute(sql("find_run"), [wanted]).fetchall()
    if len(matches) > 1:
        raise PipelineError(f"{wanted!r} starts more than one run id; give more of it")
    if not matches:
        raise PipelineError(f"no run or period {wanted!r} in this warehouse; `segment runs` lists them")
    return matches[0][0]


def load_report_data(con: duckdb.DuckDBPyConnection, run_id: str) -> ReportData:
    """Everything a report of `run_id` shows."""
    run = con.execute(sql("report_run"), [run_id]).df().iloc[0].to_dict()
    frames = {
        name: con.execute(sql(f"report_{name}"), [run_id]).df()
        for name in ("k_table", "profiles", "lineage", "transitions", "flags", "failures", "sample")
    }
    return ReportData(run=run, **frames)


def figures(data: ReportData) -> dict[str, bytes]:
    """The run's plots as PNG bytes, by file stem; a failed run has none."""
    if data.profiles.empty:
        return {}
    images = {}
    if not data.k_table.empty:
        chosen = int(data.k_table.loc[data.k_table["chosen"], "k"].iloc[0])
        images["k_selection"] = png(k_selection_figure(data.k_table, chosen=chosen, reason=str(data.run["k_reason"])))
    names = dict(zip(data.profiles["segment_id"].astype(int), data.profiles["segment_name"], strict=True))
    x, y = _map_axes(data.numeric_features)
    centroids = data.profiles.assign(
        **{c: data.profiles[f"centroid_{c}"].fillna(data.profiles[f"mean_{c}"]) for c in (x, y)}
    )
    points = data.sample
    images["segment_map"] = png(segment_map_figure(points, centroids, x=x, y=y, names=names, note=map_note(data)))
    images["profile"] = png(profile_figure(data.profiles, features=data.numeric_features))
    if data.profiles["share_female"].notna().any() or data.profiles["mean_age"].notna().any():
        images["demographics"] = png(demographics_figure(data.profiles, None if points.empty else points))
    return images


def map_note(data: ReportData) -> str:
    """What the segment map's points are."""
    customers = data.run.get("n_customers")
    n_rows = int(customers if customers is not None and not pd.isna(customers) else data.run["n_rows"])
    shown = len(data.sample)
    if shown == 0:
        return "No customer sample is stored for this run (made before migration 006): centres only."
    if shown < n_rows:
        return f"A seeded sample of {shown:,} of the run's {n_rows:,} customers; ✕ marks each segment's centre."
    return f"All {n_rows:,} customers; ✕ marks each segment's centre."


def _map_axes(features: tuple[str, ...]) -> tuple[str, str]:
    """The two main features: income and spending when clustered on, else the first pair that was."""
    for pair in MAP_AXES:
        if set(pair) <= set(features):
            return pair
    return (features[0], features[1]) if len(features) > 1 else (features[0], features[0])


@cache
def _template() -> jinja2.Template:
    text = resources.files("tasks").joinpath("templates", "report.html").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["number"] = _number
    environment.filters["percent"] = _percent
    return environment.from_string(text)


def _percent(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{100 * float(value):.0f}%"


def _number(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render_html(data: ReportData, images: dict[str, bytes]) -> str:
    """The self-contained report page."""
    embedded = {name: base64.b64encode(image).decode("ascii") for name, image in images.items()}
    transitions = [
        {
            "from": _segment_label(t["from_segment"], t["from_name"], "(new customers)"),
            "to": _segment_label(t["to_segment"], t["to_name"], "(no longer in the data)"),
            "n_customers": t["n_customers"],
        }
        for t in records(data.transitions)
    ]
    return _template().render(
        run=records(pd.DataFrame([data.run]))[0],
        k_table=records(data.k_table),
        profiles=records(data.profiles),
        lineage=records(data.lineage),
        transitions=transitions,
        flags=records(data.flags),
        failures=records(data.failures.head(200)),
        failure_count=len(data.failures),
        images=embedded,
        map_note=map_note(data) if not data.profiles.empty else "",
        feature_columns=profile_columns(data),
        show_gender=bool(len(data.profiles)) and bool(data.profiles["share_female"].notna().any()),
    )


def profile_columns(data: ReportData) -> list[tuple[str, str]]:
    """(column, label) of the means the segments table shows: the run's features, then age and
    income where the run had them without clustering on them."""
    shown = list(data.numeric_features) + [c for c in ("age", "annual_income") if c not in data.numeric_features]
    return [
        (c, label(c).lower())
        for c in shown
        if c in FEATURES and len(data.profiles) and data.profiles[f"mean_{c}"].notna().any()
    ]


def _segment_label(segment_id: object, name: object, missing: str) -> str:
    return missing if segment_id is None else f"{int(segment_id)} {name or ''}".strip()


def write_report(
    bi_path: Path, run_id: str | None, folder: Path, *, warehouse: Path | None = None
) -> tuple[Path, ReportData]:
    """Build a run's plots and report page into `folder/<run_id>/`; return the page's path and
    what it shows. A run passes its `warehouse` (it holds the writer lock): no run opens the BI file."""
    with connect(warehouse, read_only=True) if warehouse else closing(connect_bi(bi_path)) as con:
        run_id = find_run(con, run_id)
        data = load_report_data(con, run_id)
    target = (folder / run_id).resolve()  # a path that means something from any directory
    target.mkdir(parents=True, exist_ok=True)
    images = figures(data)
    for name, image in images.items():
        (target / f"{name}.png").write_bytes(image)
    page = target / "report.html"
    partial = target / ".report.html.partial"
    partial.write_text(render_html(data, images), encoding="utf-8")
    partial.replace(page)
    return page, data


def summary_markdown(data: ReportData, page: Path) -> str:
    """The run in a few lines of markdown, for the Prefect UI."""
    run = data.run
    if run["status"] != "succeeded":
        return f"# Run {run['run_id']} ({run['period']}) failed\n\n```\n{run['error']}\n```\n\nReport: `{page}`"
    lines = [
        f"# {run['period']}: k={run['k']} segments",
        f"Silhouette {_number(run['silhouette'])}; {int(run.get('n_customers') or run['n_rows']):,} customers; "
        f"mode {run['mode']}.",
        f"**Why k={run['k']}:** {run['k_reason']}",
        "",
        "| segment | name | customers | share | rule |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {p['segment_id']} | {p['segment_name']} | {p['n_customers']:,} | {p['share']:.1%} | {p['rule'] or ''} |"
        for p in data.profiles.to_dict("records")
    ]
    if pd.notna(run["ari_vs_reference"]):
        lines += [
            "",
            f"Since {run['reference_period']}: ARI {run['ari_vs_reference']:.3f}, "
            f"{run['kept_share']:.1%} kept their segment; {len(data.flags)} drift flag(s).",
        ]
        lines += [f"- {reason}" for reason in data.flags["reason"]]
    lines += ["", f"Report: `{page}`"]
    return "\n".join(lines)


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts with None, not NaN or NaT, where a value is missing."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@task(cache_policy=NO_CACHE)
def report(settings: Settings, run_id: str) -> str | None:
    """Write the run's plots and report; publish its Prefect artifacts. A report that cannot be
    written is logged, not raised: the run it describes is already committed."""
    log = get_run_logger()
    try:
        page, data = write_report(settings.bi_path, run_id, settings.artifacts_root, warehouse=settings.db_path)
        key = f"segment-{data.run['period']}".lower()
        create_markdown_artifact(summary_markdown(data, page), key=f"{key}-summary", description="The run in brief")
        if not data.profiles.empty:
            shown = ["segment_id", "segment_name", "n_customers", "share", "rule", "rule_precision", "rule_recall"]
            create_table_artifact(records(data.profiles[shown]), key=f"{key}-profiles", description="Segments")
        if not data.k_table.empty:
            create_table_artifact(records(data.k_table), key=f"{key}-k-selection", description="Candidate k")
        create_link_artifact(page.as_uri(), link_text=page.name, key=f"{key}-report", description="Report")
    except Exception:
        log.exception("the report of run %s could not be written", run_id)
        return None
    log.info("report: %s", page)
    return str(page)
