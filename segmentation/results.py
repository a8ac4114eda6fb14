"""What the stages hand each other, in the order a run makes them (the role Kedro's catalog plays).

A stage (`tasks/<stage>.py`) takes some of these and returns one; stages import this module, never
another stage. Everything here is a frozen value: no stage changes what another made, and nothing
here holds a live DuckDB connection (an order history is a file, opened by whoever reads it).

    reading        Ingested (a customer table) | OrderHistory (an order file) -> PeriodFacts
    features       Features
    choosing k     KChoice
    fitting        Assignment (also what scoring with an earlier model makes)   | ScoringModel
    identity       Reference -> Identity
    continuity     Continuity
    the run        Segments (fitted or scored, ready to publish), OrderInput -> Publication -> RunSummary
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segmentation.registry import model_columns

if TYPE_CHECKING:  # annotations only: the command line imports this module before anything heavy
    import pandas as pd
    import pyarrow as pa
    from sklearn.preprocessing import StandardScaler

    from segmentation.clv import ForecastModel
    from segmentation.csvfile import CsvLayout
    from segmentation.model import SegmentModel
    from segmentation.ordersource import OrderSource
    from segmentation.source import Source

# The columns of the frames continuity hands on (and the forecast adds drift flags to).
FLAG_COLUMNS = ["segment_id", "flag", "value", "threshold", "reason"]
LINEAGE_COLUMNS = [
    "segment_id",
    "status",
    "segment_name",
    "reference_name",
    "n_customers",
    "reference_n_customers",
    "share",
    "reference_share",
    "size_change",
    "match_distance",
    "centroid_shift",
]


# --- reading the input ---


@dataclass(frozen=True)
class Ingested:
    """A customer table read and typed: one row per data row, in file order."""

    source: Source
    source_sha256: str
    table: pa.Table  # source_line, customer_id, gender, age, annual_income, spending_score; NULL where unparsable
    unparsed_rows: int  # rows holding text that is not a (whole) number
    layout: CsvLayout | None  # what the pass over a CSV's bytes found (None for Parquet)
    parse_failures: pd.DataFrame | None  # FAILURE_COLUMNS rows of those values, when there are any

    @property
    def n_rows(self) -> int:
        return self.table.num_rows


@dataclass(frozen=True)
class OrderHistory:
    """An order history read, typed and checked once, kept as a DuckDB file of its orders.

    The file (`store`, tables `orders` and `order_days`, warehouse/sql/orders/orders.sql) answers every
    period's features: a backfill reads the export once. `remove` deletes it; whoever read the
    history removes it when the last period that needs it is done.
    """

    source: OrderSource  # a file, a folder's files, or a PostgreSQL table or query
    name: str  # what messages and the run record call it (a URL's password masked)
    source_sha256: str | None  # of the file's bytes (a folder's: over its files); None for a table
    n_rows: int  # order lines read
    date_format: str  # 'iso' or the strptime form used
    anonymous_lines: int  # lines without a customer ID, left out (SEGMENT_ANONYMOUS_ORDERS=skip)
    store: Path  # the DuckDB file of the orders (warehouse/sql/orders/orders.sql)
    read_until: date | None = None  # PostgreSQL: orders after this day were not read (filtered on the server)

    @property
    def record(self) -> dict[str, object]:
        """What the run records of where its orders came from (runs.source_detail): a table's masked
        URL, table or query, key and time zone; a folder's files; nothing for one file."""
        from segmentation.ordersource import OrderFiles
        from segmentation.postgres import InspectedOrders

        source = self.source
        if isinstance(source, InspectedOrders):
            return {**source.as_record(), "read_until": self.read_until.isoformat() if self.read_until else None}
        if isinstance(source, OrderFiles):
            return {"files": [source.name_of(f) for f in source.files]}
        return {}

    def remove(self) -> None:
        shutil.rmtree(self.store.parent, ignore_errors=True)


@dataclass(frozen=True)
class PeriodFacts:
    """What the order history held relative to one period (recorded with the run)."""

    lookback_start: date  # exclusive: the window is (lookback_start, period_end]
    period_end: date  # inclusive
    lines_after_end: int  # ignored: they happened after the period
    orders_in_window: int
    customers_to_end: int  # ever ordered up to the end
    customers: int  # in the period: ordered in the window
    first_order_date: date | None
    last_order_date: date | None  # the last order up to the period's end
    history_ends: date | None = None  # the last order of the whole history read (it may be after the period)
    not_read_after: date | None = None  # PostgreSQL: orders after this day were not read (filtered on the server)
    checksum: str | None = None  # of the orders up to the end (orders/order_checksum.sql), with the DuckDB version

    @property
    def lapsed_beyond_window(self) -> int:
        return self.customers_to_end - self.customers

    @property
    def ends_early(self) -> bool:
        """The data ends before the period does: recency is measured to a day after the last order seen."""
        return self.history_ends is not None and self.history_ends < self.period_end

    def as_record(self) -> dict[str, object]:
        return {
            "window_start": self.lookback_start,
            # NULL when the server filtered them: not read, so not counted
            "orders_after_end": None if self.not_read_after is not None else self.lines_after_end,
            "orders_in_window": self.orders_in_window,
            "customers_lapsed": self.lapsed_beyond_window,
            "last_order_date": self.history_ends,
        }

    def sentence(self) -> str:
        ignored = (
            f"; {self.lines_after_end} order line(s) after {self.period_end} ignored (point in time)"
            if self.lines_after_end
            else ""
        )
        if self.not_read_after is not None:
            ignored += f"; orders after {self.not_read_after} not read (filtered on the server)"
        return (
            f"{self.customers} customers ordered in the window {self.lookback_start} (excl.) – {self.period_end}; "
            f"{self.lapsed_beyond_window} earlier customer(s) had no order in it{ignored}"
        )


# --- features and k ---


@dataclass(frozen=True)
class Features:
    """The scaled feature matrix, in the row order of the validated rows."""

    names: tuple[str, ...]
    scaled: np.ndarray  # (customers, features), float64, standardised
    scaler: StandardScaler
    selection: np.ndarray  # sorted row numbers of the k-selection sample (every row when small)

    @property
    def columns(self) -> tuple[str, ...]:
        """The matrix's columns: the features, a categorical one as one column per level."""
        return model_columns(self.names)

    @property
    def selection_matrix(self) -> np.ndarray:
        """The rows candidate k are fitted and scored on."""
        return self.scaled if len(self.selection) == len(self.scaled) else self.scaled[self.selection]


@dataclass(frozen=True)
class KChoice:
    """The k a fit run chose, why, and the chosen candidate's centres (they warm-start the final fit)."""

    k: int
    reason: str
    centers: np.ndarray  # the chosen candidate's centres on the selection sample (scaled units)
    methods: dict[str, int] = field(default_factory=dict)  # the k each method prefers on its own


# --- a model's segments ---


@dataclass(frozen=True)
class Assignment:
    """A segment model's assignment of a run's customers (fitted now, or an earlier run's model
    scoring them), with the segments' centres and the partition's scores."""

    model: SegmentModel  # scaler, K-Means and K-Means label -> our segment id
    segment_ids: np.ndarray  # per customer, in the validated rows' order
    ids: np.ndarray  # the segment ids, ascending; row i of the centroid arrays is segment ids[i]
    centroids: np.ndarray  # one row per segment, in model space (original units; log1p where heavy-tailed)
    scaled_centroids: np.ndarray  # the same, in the run's standard deviations from the mean
    scores: dict[str, float | None]
    silhouette_rows: int

    @classmethod
    def of(
        cls, model: SegmentModel, labels: np.ndarray, scores: dict[str, float | None], silhouette_rows: int
    ) -> Assignment:
        """The segments of a model and the K-Means labels of its customers: each customer's segment
        id, and the centres in the standardised space and in model space."""
        ids, scaled_centroids, centroids = model.segment_centres()
        segment_ids = model.segment_of_label_[labels].astype(np.int32)
        return cls(model, segment_ids, ids, centroids, scaled_centroids, scores, silhouette_rows)

    def renumbered(self, new_ids: np.ndarray) -> Assignment:
        """The same assignment with segment ids[i] called new_ids[i]."""
        lookup = np.zeros(max(int(self.ids.max()), 0) + 1, dtype=np.int64)
        lookup[self.ids] = new_ids
        order = np.argsort(new_ids)
        return Assignment(
            self.model.renumbered(lookup),
            lookup[self.segment_ids].astype(np.int32),
            np.asarray(new_ids)[order],
            self.centroids[order],
            self.scaled_centroids[order],
            self.scores,
            self.silhouette_rows,
        )


@dataclass(frozen=True)
class ScoringModel:
    """An earlier fitted run's model, verified, with its segments' names."""

    run_id: str
    period: str
    path: str
    sha256: str
    estimator: SegmentModel  # its scaler, K-Means and lasting segment ids
    names: dict[int, str]

    @property
    def features(self) -> tuple[str, ...]:
        return self.estimator.features


# --- identity and continuity ---


@dataclass(frozen=True)
class Reference:
    """The run a new run's segments are matched to, in the new run's feature order."""

    run_id: str
    period: str
    period_end: date
    mean: np.ndarray  # the reference run's standardisation, per feature
    scale: np.ndarray
    pool: pd.DataFrame  # segment_id, segment_name, centroid (k x features), in_reference (bool)
    earlier: bool  # an earlier period's run: transitions and drift are measured against it


@dataclass(frozen=True)
class Identity:
    """A run's segments with their lasting IDs and names, and where each came from."""

    assignment: Assignment  # renumbered with the lasting IDs
    names: dict[int, str]
    reference: Reference | None
    lineage: pd.DataFrame  # segment_id, status, reference_name, match_distance (retired rows too)


@dataclass(frozen=True)
class Continuity:
    """A run compared with the earlier period's run."""

    matched_run_id: str | None  # the run segment IDs were matched to (runs.reference_run_id; None: first run)
    compared_run_id: str | None  # the earlier period's run transitions and drift are measured against
    compared_period: str | None
    lineage: pd.DataFrame  # LINEAGE_COLUMNS
    transitions: pd.DataFrame  # from_segment, to_segment, n_customers
    flags: pd.DataFrame  # FLAG_COLUMNS
    common_customers: int | None
    ari: float | None
    kept_share: float | None


# --- the run ---


@dataclass(frozen=True)
class Segments:
    """A run's segments, fitted or scored, ready to publish."""

    mode: str  # 'fit' or 'score'
    model_run_id: str | None  # score runs: the run whose model was used
    model_period: str | None  # score runs: that run's period
    features: tuple[str, ...]
    scaling: dict[str, dict[str, float]]  # feature -> {mean, scale}
    selection_rows: int  # customers the candidate k were scored on (score runs: the scores' sample)
    choice: KChoice | None  # fit runs: the k chosen and why; a score run chose none, it kept its model's
    k_table: pd.DataFrame | None  # fit runs: one row per candidate k; a score run scored no candidate
    identity: Identity
    profiles: pd.DataFrame
    continuity: Continuity
    artifact: tuple[str, str]  # model path and sha256

    @property
    def k(self) -> int:
        return len(self.identity.assignment.ids)

    @property
    def k_reason(self) -> str:
        """Why the run has k segments: the selection's reason, or the model run it kept k from."""
        if self.choice is not None:
            return self.choice.reason
        return (
            f"scored with the model of run {self.model_run_id} ({self.model_period}): k={self.k} kept, nothing refitted"
        )

    @property
    def k_methods(self) -> dict[str, int]:
        """The k each selection method preferred; none for a score run."""
        return {} if self.choice is None else self.choice.methods


@dataclass(frozen=True)
class Outlook:
    """A run's forecast: the models it used, every customer's outlook, each segment's, and how the
    earlier forecasts it could measure did (order histories only)."""

    model: ForecastModel
    fitted_run_id: str  # the run that fitted the parameters: this one, or a score run's model run
    artifact: tuple[str, str]  # the parameters' file and its sha256
    horizon_days: int  # the next period of the run's cadence
    horizon_12m_days: int
    customers: pa.Table  # customer_forecasts' columns but run_id and period
    segments: (
        pd.DataFrame
    )  # segment_id, mean_p_active, expected_orders, expected_value_12m, customers_at_risk, share_at_risk
    flags: pd.DataFrame  # drift flags of the outlook (a segment's chance of being active fell): FLAG_COLUMNS
    backtests: pd.DataFrame  # forecast_backtests' columns but run_id and period

    def totals(self) -> dict[str, float | None]:
        """The forecast summed over every customer the model saw."""
        import pyarrow.compute as pc

        column = self.customers.column
        value = column("expected_value")
        return {
            "predicted_orders": float(pc.sum(column("expected_orders")).as_py() or 0.0),
            "predicted_orders_12m": float(pc.sum(column("expected_orders_12m")).as_py() or 0.0),
            "predicted_value": None if value.null_count == len(value) else float(pc.sum(value).as_py() or 0.0),
            "predicted_value_12m": None
            if value.null_count == len(value)
            else float(pc.sum(column("expected_value_12m")).as_py() or 0.0),
        }


@dataclass(frozen=True)
class OrderInput:
    """What an order-history run read, for its run record."""

    history: OrderHistory
    facts: PeriodFacts
    lookback_months: int
    attributes_path: str | None

    def as_record(self) -> dict[str, object]:
        return {
            "source_kind": "orders",
            "lookback_months": self.lookback_months,
            "date_format": self.history.date_format,
            "attributes_path": self.attributes_path,
            "anonymous_lines": self.history.anonymous_lines,
            "source_checksum": self.facts.checksum,
            "source_detail": json.dumps(detail, sort_keys=True) if (detail := self.history.record) else None,
            **self.facts.as_record(),
        }


@dataclass(frozen=True)
class Publication:
    """What one run publishes. The small frames are checked against their contracts; the
    assignments (one row per customer, millions) go to DuckDB as Arrow and are audited there."""

    assignments: pa.Table  # customer_id, segment_id, segment_name
    sample: pa.Table  # a seeded sample of customers with segment and values, for segment maps
    profiles: pd.DataFrame
    k_table: pd.DataFrame | None  # None: a score run, no candidate k
    lineage: pd.DataFrame
    transitions: pd.DataFrame
    flags: pd.DataFrame


@dataclass(frozen=True)
class RunSummary:
    """What a finished (or skipped) run tells its caller."""

    run_id: str
    period: str
    status: str  # 'succeeded' or 'skipped'
    mode: str = "fit"  # 'fit' or 'score'
    k: int | None = None
    k_reason: str | None = None
    silhouette: float | None = None
    segments: list[tuple[int, str, int]] = field(default_factory=list)  # (id, name, size)
    model_run_id: str | None = None  # score runs: whose model
    reference_run_id: str | None = None  # the run segment IDs were matched to
    compared_with: str | None = None  # the earlier run transitions and drift were measured against
    compared_period: str | None = None  # its period
    ari_vs_reference: float | None = None
    kept_share: float | None = None
    drift: list[str] = field(default_factory=list)  # drift flags, in words
    db_path: str = ""
    bi_path: str = ""
    model_path: str | None = None
    report_path: str | None = None
    bi_rebuilt: str | None = None  # why this run rebuilt the BI surface (moved, copied, migrated, ...), if it did
    forecast: str | None = None  # the models the run forecast with, or why it has no forecast
    expected_orders: float | None = None  # orders expected in the next period, every customer seen
    expected_value_12m: float | None = None  # value expected in the next 12 months (undiscounted)
    customers_at_risk: int | None = None  # segmented customers who are valuable but slipping away
    data_ends: str | None = None  # the order history's last order, when it is before the period's end


@dataclass(frozen=True)
class PeriodOutcome:
    """One period of a backfill."""

    period: str
    outcome: str  # succeeded, skipped, failed, not run, or a Prefect state name for submitted runs
    k: int | None = None
    run_id: str | None = None
    message: str | None = None
