"""Report: the plots and one self-contained HTML page per run, and the run's Prefect artifacts.

`segment report` reads the BI surface (never the warehouse, so it never holds up a run); a run's
own report reads the warehouse the run holds (no run opens the BI file). Either way a report can
be rebuilt for any past run, made before this code or not: a run without a stored customer
sample (before migration 006) gets its map from the segment centres alone, and says so. Images
are embedded as data URIs; the page needs no network.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from segmentation.colours import segment_colour
from segmentation.errors import PipelineError
from segmentation.plots import (
    demographics_figure,
    forecast_figure,
    k_selection_figure,
    label,
    png,
    profile_figure,
    segment_map_figure,
)
from segmentation.registry import CURRENCY_UNITS, FEATURES
from segmentation.settings import Settings
from warehouse import Warehouse, queries

logger = logging.getLogger(__name__)
PLOTS = ("k_selection", "segment_map", "profile", "demographics", "forecast")
AT_RISK_SHOWN = 20  # customers at risk a report lists by name
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
    forecast: dict[str, object] | None = None  # the run's forecast_models row (order histories)
    accuracy: pd.DataFrame | None = None  # earlier next-period forecasts against what happened
    at_risk: pd.DataFrame | None = None  # the run's most valuable customers at risk

    @property
    def currency(self) -> str | None:
        """The unit of the run's amounts (SEGMENT_CURRENCY), as its settings recorded it."""
        return self.setting("currency")  # type: ignore[return-value]

    def setting(self, name: str, default: object = None) -> object:
        """One of the settings the run recorded."""
        try:
            return json.loads(str(self.run.get("settings") or "{}")).get(name, default)
        except ValueError:
            return default

    @property
    def money(self) -> str:
        """What amounts are in, for a reader: 'EUR', or 'currency units'."""
        return self.currency or CURRENCY_UNITS

    @property
    def data_ends(self) -> object:
        """The order history's last order, when it is before the period's end (recency then counts
        days after the data ends), else None."""
        last, end = self.run.get("last_order_date"), self.run.get("period_end")
        if last is None or pd.isna(last) or end is None:
            return None
        return last if pd.Timestamp(last) < pd.Timestamp(end) else None

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
        found = queries.default_run(con)
        if found is None:
            raise PipelineError("the warehouse has no runs yet: run `segment run` first")
        return found
    by_period = queries.run_of_period(con, wanted)
    if by_period:
        return by_period
    matches = queries.runs_starting_with(con, wanted)
    if len(matches) > 1:
        raise PipelineError(f"{wanted!r} starts more than one run id; give more of it")
    if not matches:
        raise PipelineError(f"no run or period {wanted!r} in this warehouse; `segment runs` lists them")
    return matches[0]


def load_report_data(con: duckdb.DuckDBPyConnection, run_id: str) -> ReportData:
    """Everything a report of `run_id` shows."""
    run = queries.report_run(con, run_id)
    return ReportData(
        run=run,
        k_table=queries.report_k_table(con, run_id),
        profiles=queries.report_profiles(con, run_id),
        lineage=queries.report_lineage(con, run_id),
        transitions=queries.report_transitions(con, run_id),
        flags=queries.report_flags(con, run_id),
        failures=queries.report_failures(con, run_id),
        sample=queries.report_sample(con, run_id),
        forecast=(forecast := queries.report_forecast(con, run_id)),
        accuracy=queries.report_accuracy(con, run["period_end"]) if forecast else None,
        at_risk=queries.report_at_risk(con, run_id, AT_RISK_SHOWN) if forecast else None,
    )


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
    if not {x, y} <= set(points.columns):  # a sample stored without these features: centres only
        points = pd.DataFrame(columns=["segment_id", x, y])
    images["segment_map"] = png(
        segment_map_figure(points, centroids, x=x, y=y, names=names, note=map_note(data), currency=data.currency)
    )
    images["profile"] = png(profile_figure(data.profiles, features=data.numeric_features, currency=data.currency))
    if data.profiles["share_female"].notna().any() or data.profiles["mean_age"].notna().any():
        ages = None if points.empty or "age" not in points or points["age"].isna().all() else points
        images["demographics"] = png(demographics_figure(data.profiles, ages))
    if data.accuracy is not None and not data.accuracy.empty:
        images["forecast"] = png(forecast_figure(data.accuracy, currency=data.currency))
    return images


def map_note(data: ReportData) -> str:
    """What the segment map's points and crosses are."""
    customers = data.run.get("n_customers")
    n_rows = int(customers if customers is not None and not pd.isna(customers) else data.run["n_rows"])
    shown = len(data.sample)
    if data.run.get("mode") == "score":
        model = data.run.get("model_period") or data.run.get("model_run_id")
        centres = (
            f"✕ marks the centres of the model of {model} the customers were scored with, not this period's "
            "own centres (a segment whose customers moved sits off its ✕)."
        )
    else:
        centres = "✕ marks each segment's centre."
    if shown == 0:
        return f"No customer sample is stored for this run (made before migration 006): centres only. {centres}"
    if shown < n_rows:
        return f"A seeded sample of {shown:,} of the run's {n_rows:,} customers; {centres}"
    return f"All {n_rows:,} customers; {centres}"


def _map_axes(features: tuple[str, ...]) -> tuple[str, str]:
    """The two main features: income and spending when clustered on, else the first two features."""
    for pair in MAP_AXES:
        if set(pair) <= set(features):
            return pair
    return (features[0], features[1]) if len(features) > 1 else (features[0], features[0])


@cache
def _template() -> jinja2.Template:
    text = resources.files("tasks").joinpath("templates", "report.html").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["number"] = _number
    environment.filters["percent"] = percent
    environment.filters["day"] = day
    environment.filters["moment"] = moment
    environment.filters["colour"] = segment_colour
    environment.filters["as_date"] = lambda value: pd.Timestamp(value).date()
    return environment.from_string(text)


def _number(value: object, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent(value: object, digits: int = 1) -> str:
    """A share as a percentage, as every table of the report prints shares: 0.405 -> '40.5%'."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def day(value: object) -> str:
    """A period bound as a date: '2026-01-01', never '2026-01-01 00:00:00'."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return value.strftime("%Y-%m-%d") if isinstance(value, date | datetime) else str(value)[:10]


def moment(value: object) -> str:
    """A time to the second: '2026-12-01 06:12:09', never with microseconds."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value)[:19]


def mean_columns(
    profiles: pd.DataFrame, features: tuple[str, ...], currency: str | None = None
) -> list[tuple[str, str]]:
    """(column, header) of each mean the segments table shows: the run's features first, then the
    other profiled columns; headers from the features' labels, so any feature reads right."""
    # Only what the run has: an order history has no spending score, a customer table no recency.
    profiled = [
        c.removeprefix("mean_")
        for c in profiles.columns
        if c.startswith("mean_") and c.removeprefix("mean_") in FEATURES and profiles[c].notna().any()
    ]
    ordered = [f for f in features if f in profiled] + [c for c in profiled if c not in features]
    headers = {c: label(c, currency) for c in ordered}
    return [(f"mean_{c}", f"mean {headers[c][0].lower()}{headers[c][1:]}") for c in ordered]


def selection_note(run: dict[str, object]) -> str:
    """On how many customers the candidate k were scored; a sample is said only when there was one."""
    rows, n_rows = run.get("selection_rows"), run.get("n_customers")
    if n_rows is None or pd.isna(n_rows):  # runs before migration 008: one row per customer
        n_rows = run.get("n_rows")
    if rows is None or pd.isna(rows):
        return ""
    if n_rows is not None and not pd.isna(n_rows) and int(rows) < int(n_rows):
        return f"Scored on a seeded sample of {int(rows):,} of the run's {int(n_rows):,} customers."
    return f"Scored on all {int(rows):,} customers."


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
    profiles = data.profiles
    if not profiles.empty and "colour" not in profiles:
        profiles = profiles.assign(colour=[segment_colour(i) for i in profiles["segment_id"]])
    return _template().render(
        run=records(pd.DataFrame([data.run]))[0],
        k_table=records(data.k_table),
        selection_note=selection_note(data.run),
        profiles=records(profiles),
        means=mean_columns(data.profiles, data.features, data.currency),
        forecast=data.forecast,
        forecast_text=forecast_sentence(data.forecast, data.money) if data.forecast else None,
        outlook=outlook_rows(data),
        accuracy=records(data.accuracy) if data.accuracy is not None else [],
        at_risk=records(data.at_risk) if data.at_risk is not None else [],
        money=data.money,
        at_risk_below=data.setting("at_risk_below", 0.5),
        data_ends=data.data_ends,
        has_gender="share_female" in data.profiles and bool(data.profiles["share_female"].notna().any()),
        lineage=records(data.lineage),
        transitions=transitions,
        flags=records(data.flags),
        failures=records(data.failures.head(200)),
        failure_count=len(data.failures),
        images=embedded,
        map_note=map_note(data) if not data.profiles.empty else "",  # the map's alt text; its caption is in the PNG
    )


def outlook_rows(data: ReportData) -> list[dict[str, object]]:
    """Per segment, what the report's "Looking forward" table shows (none without a forecast)."""
    if data.forecast is None or data.profiles.empty or "mean_p_active" not in data.profiles:
        return []
    return records(
        data.profiles[
            [
                "segment_id",
                "segment_name",
                "n_customers",
                "mean_p_active",
                "expected_orders",
                "expected_value_12m",
                "customers_at_risk",
                "share_at_risk",
            ]
        ]
    )


def forecast_sentence(forecast: dict[str, object], money: str) -> str:
    """The forecast model in one sentence, for people: what it is and what it expects."""
    days = int(forecast["horizon_days"])
    value = forecast.get("predicted_value_12m")
    worth = (
        f", worth {float(value):,.0f} {money} over the next 12 months (undiscounted)"
        if value is not None and not pd.isna(value)
        else " (no spend model: " + str(forecast.get("reason") or "") + ")"
    )
    fitted = "fitted on this period" if forecast["fitted_run_id"] == forecast["run_id"] else "of the model run"
    return (
        f"BG/NBD and Gamma-Gamma ({fitted}, on {int(forecast['sample_size']):,} of {int(forecast['customers']):,} "
        f"customers seen up to the period's end) expect {float(forecast['predicted_orders']):,.0f} orders in the "
        f"next {days} days{worth}."
    )


def _segment_label(segment_id: object, name: object, missing: str) -> str:
    return missing if segment_id is None else f"{int(segment_id)} {name or ''}".strip()


def write_report(
    bi_path: Path, run_id: str | None, folder: Path, *, warehouse: Warehouse | None = None
) -> tuple[Path, ReportData]:
    """Build a run's plots and report page into `folder/<run_id>/`; return the page's path and
    what it shows. A run passes its `warehouse` (it holds the writer lock): no run opens the BI file."""
    with warehouse.read() if warehouse else Warehouse.of_bi(bi_path).read_bi() as con:
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


def _md(text: object) -> str:
    """A value inside a markdown table cell: pipes escaped, never a line break."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_markdown(data: ReportData, page: Path) -> str:
    """The run in a few lines of markdown, for the Prefect UI: what a person checks first."""
    run = data.run
    key = artifact_key(data)
    if run["status"] != "succeeded":
        lines = [
            f"# {run['period']}: the run failed",
            f"{int(run['n_rows'] or 0):,} rows read from `{run['source_path']}`.",
            "",
            "```",
            str(run["error"]),
            "```",
        ]
        if not data.failures.empty:
            lines += ["", f"**Validation failures** ({len(data.failures):,}; the first 20):", ""]
            lines += ["| column | check | value | line |", "| --- | --- | --- | ---: |"]
            lines += [
                f"| {_md(f['column_name'])} | {_md(f['check_name'])} | {_md(f['failure_case'])} | "
                f"{_number(f['source_line'])} |"
                for f in records(data.failures.head(20))
            ]
        lines += ["", f"The whole report: artifact `{key}-report`; on disk: `{page}`"]
        return "\n".join(lines)
    lines = [
        f"# {run['period']}: k={run['k']} segments",
        f"Silhouette {_number(run['silhouette'])}; {int(run.get('n_customers') or run['n_rows']):,} customers; "
        f"mode {run['mode'] or 'fit'}.",
        "",
        f"**Why k={run['k']}:** {run['k_reason']}",
        "",
        "| segment | name | customers | share |",
        "| ---: | --- | ---: | ---: |",
    ]
    lines += [
        f"| {p['segment_id']} | {_md(p['segment_name'])} | {p['n_customers']:,} | {percent(p['share'])} |"
        for p in records(data.profiles)
    ]
    rules = [p for p in records(data.profiles) if p.get("rule")]
    if rules:  # below the table, not in it: a long column would push the others out of view
        lines += ["", "**Rules** (precision / recall):", ""]
        lines += [
            f"- {p['segment_id']}: {p['rule']} ({_number(p['rule_precision'], 2)} / {_number(p['rule_recall'], 2)})"
            for p in rules
        ]
    lines += ["", *outlook_markdown(data)]
    if pd.notna(run["ari_vs_reference"]):
        lines += [
            "",
            f"Since {run['reference_period']}: ARI {run['ari_vs_reference']:.3f}, "
            f"{percent(run['kept_share'])} kept their segment; {len(data.flags)} drift flag(s).",
        ]
        lines += [f"- {reason}" for reason in data.flags["reason"]]
    lines += ["", f"The whole report with its plots: artifact `{key}-report`; on disk: `{page}`"]
    return "\n".join(lines)


def outlook_markdown(data: ReportData) -> list[str]:
    """ "Looking forward" in markdown: the forecast in a sentence, per segment, and how the earlier ones did."""
    if data.forecast is None:
        return ["**Looking forward:** no forecast: a customer table has no order history."]
    lines = [
        f"**Looking forward:** {forecast_sentence(data.forecast, data.money)}",
        "",
        f"| segment | chance still a customer | orders next period | value 12 months ({data.money}) | at risk |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {o['segment_id']} {_md(o['segment_name'])} | {percent(o['mean_p_active'])} | "
        f"{_number(o['expected_orders'], 0)} | {_number(o['expected_value_12m'], 0)} | "
        f"{_number(o['customers_at_risk'])} ({percent(o['share_at_risk'])}) |"
        for o in outlook_rows(data)
    ]
    if data.accuracy is not None and not data.accuracy.empty:
        lines += ["", "Earlier forecasts of the next period against what happened:", ""]
        lines += [
            f"- {a['forecast_period']}: {_number(a['predicted_orders'], 0)} orders predicted, "
            f"{_number(a['actual_orders'])} placed ({percent(a['orders_error'])})"
            for a in records(data.accuracy)
        ]
    return lines


def report_markdown(data: ReportData, images: dict[str, bytes]) -> str:
    """The report's content as one markdown document with its plots inline (data-URI images), so
    the Prefect UI shows the whole report: a browser refuses a link to the HTML page on disk."""
    lines = [summary_markdown(data, Path(".")).split("\n\nThe whole report")[0]]
    captions = {
        "k_selection": "How k was chosen",
        "segment_map": "Segment map",
        "profile": "Segment sizes and means",
        "demographics": "Age and gender mix",
        "forecast": "Earlier forecasts: predicted and actual",
    }
    if not data.k_table.empty:
        lines += [
            "",
            "## Candidate k",
            "",
            "| k | inertia | silhouette | stability | chosen |",
            "| ---: | ---: | ---: | ---: | --- |",
        ]
        lines += [
            f"| {r['k']} | {_number(r['inertia'], 1)} | {_number(r['silhouette'])} | {_number(r['stability'], 2)} | "
            f"{'**yes**' if r['chosen'] else ''} |"
            for r in records(data.k_table)
        ]
        lines += ["", selection_note(data.run)]
    for name, image in images.items():
        encoded = base64.b64encode(image).decode("ascii")
        lines += [
            "",
            f"## {captions.get(name, name)}",
            "",
            f"![{captions.get(name, name)}](data:image/png;base64,{encoded})",
        ]
    if not data.lineage.empty:
        lines += [
            "",
            "## Segments then and now",
            "",
            "| ID | status | name now | name then | share then | share now |",
            "| ---: | --- | --- | --- | ---: | ---: |",
        ]
        lines += [
            f"| {r['segment_id']} | {r['status']} | {_md(r['segment_name'] or '–')} | "
            f"{_md(r['reference_name'] or '–')} | "
            f"{percent(r['reference_share'])} | {percent(r['share'])} |"
            for r in records(data.lineage)
        ]
    return "\n".join(lines)


def artifact_key(data: ReportData) -> str:
    return f"segment-{data.run['period']}".lower()


def profile_rows(profiles: pd.DataFrame) -> list[dict[str, object]]:
    """The segments as a Prefect table: few columns, human headers, rounded, so it fits the UI."""
    return [
        {
            "ID": p["segment_id"],
            "Segment": p["segment_name"],
            "Customers": p["n_customers"],
            "Share": percent(p["share"]),
            "Rule precision": None if p["rule_precision"] is None else round(p["rule_precision"], 2),
            "Rule recall": None if p["rule_recall"] is None else round(p["rule_recall"], 2),
            "Rule": p["rule"] or "–",  # last: the one long column may scroll, the numbers stay in view
        }
        for p in records(profiles)
    ]


def forecast_rows(outlook: list[dict[str, object]]) -> list[dict[str, object]]:
    """Each segment's outlook as a Prefect table, rounded, human headers."""
    return [
        {
            "ID": o["segment_id"],
            "Segment": o["segment_name"],
            "Chance still a customer": percent(o["mean_p_active"]),
            "Orders next period": None if o["expected_orders"] is None else round(o["expected_orders"]),
            "Value 12 months": None if o["expected_value_12m"] is None else round(o["expected_value_12m"]),
            "At risk": o["customers_at_risk"],
        }
        for o in outlook
    ]


def k_rows(k_table: pd.DataFrame) -> list[dict[str, object]]:
    """The candidate k as a Prefect table, rounded, human headers."""
    return [
        {
            "k": r["k"],
            "Inertia": None if r["inertia"] is None else round(r["inertia"], 1),
            "Silhouette": None if r["silhouette"] is None else round(r["silhouette"], 3),
            "Stability": None if r["stability"] is None else round(r["stability"], 2),
            "Chosen": "yes" if r["chosen"] else "",
        }
        for r in records(k_table)
    ]


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts with None, not NaN or NaT, where a value is missing."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@task(cache_policy=NO_CACHE)
def report(settings: Settings, warehouse: Warehouse, run_id: str) -> str | None:
    """Write the run's plots and report. A report that cannot be written is logged, not raised:
    the run it describes is already committed."""
    log = get_run_logger()
    try:
        # The warehouse, never the BI file: a run never opens what BI tools hold (docs/warehouse.md).
        page, _ = write_report(settings.bi_path, run_id, settings.artifacts_root, warehouse=warehouse)
    except Exception:
        log.exception("the report of run %s could not be written", run_id)
        return None
    log.info("report: %s", page)
    return str(page)


def publish_artifacts(settings: Settings, warehouse: Warehouse, run_id: str, page: str | None) -> None:
    """The run's Prefect artifacts: a summary, the whole report (tables and plots) as markdown, and
    the segments and candidate k as tables. Called in the flow's own context, not in a task's, so
    they belong to the flow run and show on its page. Logged, not raised, like the report."""
    log = get_run_logger()
    try:
        with warehouse.read() as con:  # like the report: never the BI file
            data = load_report_data(con, run_id)
        folder = Path(page).parent if page else settings.artifacts_root / run_id
        images = {name: (folder / f"{name}.png").read_bytes() for name in PLOTS if (folder / f"{name}.png").is_file()}
        key = artifact_key(data)
        where = Path(page) if page else folder / "report.html"
        create_markdown_artifact(summary_markdown(data, where), key=f"{key}-summary", description="The run in brief")
        create_markdown_artifact(report_markdown(data, images), key=f"{key}-report", description="The whole report")
        if not data.profiles.empty:
            create_table_artifact(profile_rows(data.profiles), key=f"{key}-profiles", description="Segments")
        if not data.k_table.empty:
            create_table_artifact(k_rows(data.k_table), key=f"{key}-k-selection", description="Candidate k")
        if outlook := outlook_rows(data):
            create_table_artifact(forecast_rows(outlook), key=f"{key}-forecast", description="Looking forward")
    except Exception:
        log.exception("the Prefect artifacts of run %s could not be created", run_id)
