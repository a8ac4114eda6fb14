"""The one settings object: read from SEGMENT_* environment variables, overridden by flow parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from segmentation.registry import CUSTOMER_FEATURES, DEFAULT_CUSTOMER_FEATURES, DEFAULT_ORDER_FEATURES, FEATURES
from segmentation.source import parse_column_map, parse_delimiter

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SOURCE = PROJECT_ROOT / "data" / "sample_customers.csv"
SAMPLE_ORDERS = PROJECT_ROOT / "data" / "sample_orders.csv"  # `segment sample --orders` with the defaults
SAMPLE_ROWS = 300  # the bundled sample: `segment sample` with these defaults writes it
SAMPLE_SEED = 20260101

Cadence = Literal["quarterly", "monthly"]
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

    db_path: Path = Field(Path("segments.duckdb"), description="the pipeline's private DuckDB warehouse")
    serving_path: Path | None = Field(
        None, description="the DuckDB file BI tools open; default: <db stem>_bi.duckdb beside the warehouse"
    )
    bi_mount_path: Path | None = Field(
        None, description="the BI file's folder as BI tools see it (a container's mount); the views read it there"
    )
    artifacts_dir: Path | None = Field(
        None, description="folder for per-run model files and reports; default: artifacts/ beside the warehouse"
    )
    columns: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="contract column -> source header, e.g. 'annual_income=Income,...'"
    )
    delimiter: str | None = Field(None, description="CSV delimiter: comma, semicolon or tab; default: detected")
    raw_retention: Literal["failed", "all", "none"] = Field(
        "failed", description="whose source rows raw_customers keeps: failed runs', every run's, or none"
    )
    orders: str | None = Field(
        None, description="an order history (CSV or Parquet, may contain '{period}'): segment on behaviour from orders"
    )
    attributes: str | None = Field(
        None, description="with orders: a customer attributes file (customer_id, gender, age, annual_income)"
    )
    date_format: str | None = Field(
        None, description="with orders: the order date's strptime format, e.g. '%d/%m/%Y'; default: detected"
    )
    anonymous_orders: Literal["refuse", "skip"] = Field(
        "refuse", description="with orders: lines without a customer ID fail the run, or are left out and counted"
    )
    lookback_months: int = Field(
        12, ge=1, le=120, description="with orders: features use the orders of this many months up to the period's end"
    )
    features: Annotated[tuple[str, ...], NoDecode] = Field(
        DEFAULT_CUSTOMER_FEATURES,
        description="columns K-Means clusters on; default: annual_income,spending_score (orders: R, F, M)",
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
    k: int | None = Field(None, ge=2, description="pin k instead of choosing it")
    n_init: int = Field(10, ge=1, description="K-Means restarts (library default is one)")
    random_state: int = 42
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
    task_runner: Literal["threads", "dask"] = Field(
        "threads", description="where candidate k are fitted: threads here, or an existing Dask cluster"
    )
    dask_address: str | None = Field(None, description="scheduler of the Dask cluster, e.g. tcp://10.0.0.5:8786")
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
        return self

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
