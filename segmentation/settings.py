"""The one settings object, and what one run is asked to do; each field declared once.

`Settings` is read from SEGMENT_* environment variables and overridden by flow parameters and
command-line options. `RunRequest` is what one run is asked to do (its period, fit or score). A
field that is also a flow parameter carries an `Exposed` marker in its annotation, and everything
else is derived from that one declaration: the flow's signature and docstring (flows/parameters.py),
the command-line options of `run`, `score` and `backfill` (flows/cli/options.py), the checks of
prefect.yaml and of README's settings table (tests/unit/flows/test_parameters.py). Adding a setting
is one field here, plus the code that uses it.

Light on purpose: no Prefect, no pandas; the command line imports it before anything runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from segmentation.postgres import is_postgres_url, masked
from segmentation.registry import CUSTOMER_FEATURES, DEFAULT_CUSTOMER_FEATURES, DEFAULT_ORDER_FEATURES, FEATURES
from segmentation.source import parse_column_map, parse_delimiter

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SOURCE = PROJECT_ROOT / "data" / "sample_customers.csv"
SAMPLE_ORDERS = PROJECT_ROOT / "data" / "sample_orders.csv"  # `segment sample --orders` with the defaults
SAMPLE_ROWS = 300  # the bundled sample: `segment sample` with these defaults writes it
SAMPLE_SEED = 20260101

Cadence = Literal["quarterly", "monthly"]
Mode = Literal["fit", "score"]
# Where prefect.yaml gives a parameter: in the shared `parameters` block every deployment merges
# ("shared"), per deployment ("deployment": cadence, mode, the monthly model), or nowhere, left to
# the schedule and the worker's environment ("runtime": the period that just ended, the warehouse,
# the task runner).
InYaml = Literal["shared", "deployment", "runtime"]
PIPELINE_COMMANDS = ("run", "score", "backfill")
FIT_COMMANDS = ("run", "backfill")


@dataclass(frozen=True)
class Exposed:
    """Marks a field as a flow parameter, and says how prefect.yaml and the command line give it.

    The flow parameter is typed `flow_type | None` with default None ("the environment's value,
    else the field's default"); its help is the field's description.
    """

    parameter: str | None = None  # the flow parameter's name, when not the field's (db_path -> db)
    flow_type: Any = None  # the flow's annotation (without None), when not the field's own type
    yaml: InYaml = "shared"
    commands: tuple[str, ...] = PIPELINE_COMMANDS  # the commands with an option for it; () for none
    flag: str | None = None  # the option, when not --<parameter with dashes>
    metavar: str = "VALUE"
    option_type: Any = None  # what the option takes, when not flow_type (text the field parses)
    path: bool = False  # a file path: non-UTF-8 bytes of its name travel as \xNN escapes (JSON is UTF-8)


# The k rule's defaults for order histories (a customer table keeps the field defaults below).
ORDER_K_RULE: dict[str, int | float | None] = {
    "k_min": 3,
    "k_max": 8,
    "min_segment_share": 0.02,
    "knee_silhouette_tolerance": None,
}


class Settings(BaseSettings):
    """Everything a run may be configured with; frozen so no stage can change it under another."""

    model_config = SettingsConfigDict(env_prefix="SEGMENT_", frozen=True, extra="forbid")

    source: Annotated[str | None, Exposed(metavar="PATH", path=True)] = Field(
        None,
        description="a customer table (CSV or Parquet, may contain '{period}'); default: the bundled sample",
    )
    orders: Annotated[str | None, Exposed(metavar="PATH|URL", path=True)] = Field(
        None,
        description="an order history instead of a customer table: a CSV or Parquet file (may contain '{period}'), "
        "a folder or glob of them, or postgresql://user@host:port/db?table=schema.table; customers are segmented "
        "on their behaviour as of the period's end (customer_id, order_date, amount; order_id, quantity, "
        "unit_price optional)",
    )
    orders_query: Annotated[str | None, Exposed(metavar="SQL")] = Field(
        None,
        description="with --orders postgresql://... (no table=): one SELECT whose rows are the order lines",
    )
    attributes: Annotated[str | None, Exposed(metavar="PATH", path=True)] = Field(
        None, description="with orders: customer attributes (customer_id, gender, age, annual_income) joined by ID"
    )
    date_format: Annotated[str | None, Exposed(metavar="FORMAT")] = Field(
        None, description="with orders: the order dates' strptime form, e.g. '%d/%m/%Y'; default: detected"
    )
    lookback_months: Annotated[int, Exposed(metavar="MONTHS")] = Field(
        12, ge=1, le=120, description="with orders: months of orders up to the period's end that the features use"
    )
    anonymous_orders: Annotated[Literal["refuse", "skip"], Exposed(metavar="refuse|skip", option_type=str)] = Field(
        "refuse",
        description="with orders: lines without a customer ID fail the run (refuse), or are left out and "
        "counted (skip)",
    )
    currency: Annotated[str | None, Exposed(metavar="CODE")] = Field(
        None,
        max_length=12,
        description="the unit of amounts in names, rules, plots and reports (EUR, USD, £, ...); default: currency "
        "units",
    )
    db_path: Annotated[
        Path, Exposed(parameter="db", flow_type=str, yaml="runtime", metavar="PATH", option_type=Path, path=True)
    ] = Field(Path("segments.duckdb"), description="the pipeline's private DuckDB warehouse file")
    k: Annotated[int | None, Exposed(commands=FIT_COMMANDS, metavar="N")] = Field(
        None, ge=2, description="pin the number of segments instead of choosing it (fit)"
    )
    features: Annotated[
        tuple[str, ...], NoDecode, Exposed(flow_type=list[str], commands=FIT_COMMANDS, metavar="LIST", option_type=str)
    ] = Field(
        DEFAULT_CUSTOMER_FEATURES,
        description="columns to cluster on (fit); orders: recency_days,frequency,monetary by default, or any of "
        "avg_order_value, tenure_days and attributes; a customer table: annual_income,spending_score by default, "
        "or age, gender",
    )
    columns: Annotated[dict[str, str], NoDecode, Exposed(metavar="MAP", option_type=str)] = Field(
        default_factory=dict,
        description="the source's headers the contract does not know: customer_id=Customer Id,annual_income=Income",
    )
    delimiter: Annotated[str | None, Exposed(metavar="DELIM")] = Field(
        None, description="the CSV delimiter: comma, semicolon or tab; default: detected"
    )
    task_runner: Annotated[
        Literal["threads", "dask"], Exposed(yaml="runtime", commands=FIT_COMMANDS, metavar="RUNNER", option_type=str)
    ] = Field("threads", description="where candidate k are fitted: threads here, or an existing Dask cluster (dask)")
    dask_address: Annotated[str | None, Exposed(yaml="runtime", commands=FIT_COMMANDS, metavar="ADDRESS")] = Field(
        None, description="with task_runner dask: the scheduler, tcp://HOST:PORT"
    )
    serving_path: Path | None = Field(
        None, description="the DuckDB file BI tools open; default: <db stem>_bi.duckdb beside the warehouse"
    )
    bi_mount_path: Path | None = Field(
        None, description="the BI file's folder as BI tools see it (a container's mount); the views read it there"
    )
    artifacts_dir: Path | None = Field(
        None, description="folder for per-run model files and reports; default: artifacts/ beside the warehouse"
    )
    raw_retention: Literal["failed", "all", "none"] = Field(
        "failed", description="whose source rows raw_customers keeps: failed runs', every run's, or none"
    )
    categorical_weight: float = Field(
        1.0,
        gt=0,
        le=4,
        description="how far apart (in SDs of a numeric feature) two customers who differ only in a "
        "categorical feature such as gender are",
    )
    k_min: int = Field(2, ge=2, description="the smallest candidate k; default 2 (a customer table) or 3 (orders)")
    k_max: int = Field(10, ge=2, description="the largest candidate k; default 10 (a customer table) or 8 (orders)")
    min_segment_share: float = Field(
        0.0,
        ge=0,
        lt=0.5,
        description="a k whose smallest segment holds less than this share of customers is not chosen; "
        "default 0 (a customer table) or 0.02 (orders)",
    )
    n_init: int = Field(10, ge=1, description="K-Means restarts (library default is one)")
    random_state: int = Field(42, description="seed of every random step")
    k_sample_size: int = Field(
        10_000, ge=100, description="candidate k are fitted and scored on a seeded sample of this many customers"
    )
    silhouette_sample_size: int = Field(
        2_000, ge=100, description="silhouette is O(n^2): scored on a seeded sample beyond this"
    )
    stability_resamples: int = Field(
        3, ge=0, description="seeded subsample refits per candidate k for its stability score (0: off)"
    )
    stability_sample_size: int = Field(
        5_000, ge=10, description="rows per stability refit (at most 80% of the selection sample)"
    )
    plot_sample_size: int = Field(
        5_000, ge=100, description="customers per run kept with their values for segment maps (a seeded sample)"
    )
    stability_floor: float = Field(
        0.8, ge=0, le=1, description="a k whose stability (mean ARI of subsample refits) is below this is not chosen"
    )
    match_max_distance: float = Field(
        1.0, gt=0, description="segments further apart than this (reference SDs) are different segments"
    )
    drift_size_change: float = Field(
        0.25, gt=0, description="flag a segment whose share of customers changes by more than this fraction"
    )
    drift_centroid_shift: float = Field(0.5, gt=0, description="flag a segment whose centre moves more SDs than this")
    drift_min_silhouette: float = Field(0.25, ge=-1, le=1, description="flag a run whose silhouette is below this")
    drift_p_active_drop: float = Field(
        0.10, gt=0, le=1, description="flag a segment whose mean chance of being active falls by more than this"
    )
    forecast: bool = Field(True, description="order histories: forecast every customer and measure earlier forecasts")
    forecast_sample_size: int = Field(
        1_000_000, ge=1_000, description="the forecast models are fitted on a seeded sample of this many customers"
    )
    at_risk_below: float = Field(
        0.5, gt=0, lt=1, description="a valuable customer whose chance of being active is below this is at risk"
    )
    knee_silhouette_tolerance: float | None = Field(
        0.10,
        ge=0,
        le=1,
        description="knee k kept if its silhouette is within this fraction of the best; "
        "default 0.10 (a customer table) or none (orders: silhouette never overrides the knee)",
    )
    lock_timeout_s: float = Field(
        60.0, ge=0, description="how long to wait for someone who opened the private warehouse by hand"
    )
    writer_wait_s: float = Field(
        900.0, ge=0, description="how long a run waits for another pipeline run on the same warehouse"
    )
    storage_version: str = Field(
        "v1.0.0", description="DuckDB storage format of new warehouses; v1.0.0 opens in DuckDB 1.x readers"
    )

    @model_validator(mode="before")
    @classmethod
    def _default_features(cls, data: object) -> object:
        """Customer tables cluster on income and spending, order histories on recency, frequency, monetary."""
        if isinstance(data, dict) and not data.get("features"):
            data = {**data, "features": DEFAULT_ORDER_FEATURES if data.get("orders") else DEFAULT_CUSTOMER_FEATURES}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_k_rule(cls, data: object) -> object:
        """Order histories: k in 3..8, segments of at least 2 %, and a knee that silhouette does not
        override (README "How k is chosen"); a customer table keeps 2..10, no share floor and the
        silhouette tolerance. A bound given alone moves the other default so the range stays one."""
        if not isinstance(data, dict) or not data.get("orders"):
            return data
        defaults = dict(ORDER_K_RULE)
        if (k_max := _whole(data.get("k_max"))) is not None:
            defaults["k_min"] = min(ORDER_K_RULE["k_min"], k_max)
        if (k_min := _whole(data.get("k_min"))) is not None:
            defaults["k_max"] = max(ORDER_K_RULE["k_max"], k_min)
        return defaults | {name: value for name, value in data.items() if value is not None}

    @field_validator("columns", mode="before")
    @classmethod
    def _parse_columns(cls, value: object) -> object:
        return parse_column_map(value) if isinstance(value, str | dict) else value

    @field_validator("delimiter", mode="before")
    @classmethod
    def _parse_delimiter(cls, value: object) -> object:
        return parse_delimiter(value) if isinstance(value, str) else value

    @field_validator("features", mode="before")
    @classmethod
    def _split_features(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(FEATURES))
        if unknown:
            raise ValueError(f"unknown features {unknown}; choose from {list(FEATURES)}")
        if len(set(value)) != len(value):
            raise ValueError(f"features repeat a column: {list(value)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) is greater than k_max ({self.k_max})")
        if self.task_runner == "dask" and not self.dask_address:
            raise ValueError("task_runner 'dask' needs a dask_address such as tcp://HOST:8786")
        if not self.orders:
            behavioural = [f for f in self.features if f not in CUSTOMER_FEATURES]
            if behavioural:
                raise ValueError(f"features {behavioural} come from orders: give an order history (--orders)")
        elif self.attributes is None:
            attribute = [f for f in self.features if f in CUSTOMER_FEATURES]
            if attribute:
                raise ValueError(f"features {attribute} come from customer attributes: give --attributes with orders")
        if "spending_score" in self.features and self.orders:
            raise ValueError("spending_score is a store-assigned score that order histories do not have")
        if self.orders_query is not None and not (self.orders and is_postgres_url(self.orders)):
            raise ValueError(
                "orders_query reads a PostgreSQL query: give the server as --orders postgresql://user@host/database"
            )
        return self

    @field_serializer("orders")
    def _masked_orders(self, value: str | None) -> str | None:
        """What is stored or shown of the orders (runs.settings): a URL's password as ***."""
        return masked(value) if value and is_postgres_url(value) else value

    @property
    def artifacts_root(self) -> Path:
        """Per-run folders of model files and reports: beside the warehouse unless set."""
        return self.artifacts_dir or self.db_path.parent / "artifacts"

    @property
    def bi_path(self) -> Path:
        """The serving surface BI tools open (views only; its Parquet files sit in a folder of the same stem)."""
        return self.serving_path or self.db_path.with_name(f"{self.db_path.stem}_bi.duckdb")

    @property
    def candidate_ks(self) -> list[int]:
        return [self.k] if self.k is not None else list(range(self.k_min, self.k_max + 1))

    @property
    def customer_source(self) -> str:
        """The customer table a run without orders reads: the given one, else the bundled sample."""
        return self.source or str(SAMPLE_SOURCE)


class RunRequest(BaseModel):
    """What one run is asked to do, beside how it is configured: which period, fit or score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    period: Annotated[str | None, Exposed(yaml="runtime", commands=())] = Field(
        None, description="'2026Q1' or '2026-03'; default: the period that ended before the run's scheduled start"
    )
    cadence: Annotated[Cadence, Exposed(yaml="deployment", commands=())] = Field(
        "quarterly", description="'quarterly' or 'monthly': which period a scheduled run without one segments"
    )
    mode: Annotated[Mode, Exposed(yaml="deployment", commands=())] = Field(
        "fit", description="'fit' a new model, or 'score' with an earlier fitted run's model"
    )
    model_run_id: Annotated[
        str | None, Exposed(yaml="deployment", commands=("score",), flag="--model-run", metavar="RUN_ID")
    ] = Field(
        None,
        description="score: the fitted run whose model to use; default: the newest fitted run of a period ending "
        "at or before this one",
    )
    skip_if_succeeded: Annotated[bool, Exposed(commands=())] = Field(
        False, description="do nothing if the period already has a succeeded run (backfills)"
    )


def _whole(value: object) -> int | None:
    """A k bound as given (an int, or an environment variable's text); None when absent or not a number
    (the field's own check then says what is wrong with it)."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def make_settings(**overrides: object) -> Settings:
    """Settings from the environment, overridden by the options or flow parameters that were given."""
    return Settings(**{name: value for name, value in overrides.items() if value is not None})
