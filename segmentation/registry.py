"""One registry of feature facts: what every stage, rule, plot and name knows about a feature.

A feature is a per-customer column the pipeline can cluster on. Customer tables bring `age`,
`annual_income` and `spending_score`; order histories bring the behavioural ones
(`recency_days`, `frequency`, `monetary`, `avg_order_value`, `tenure_days`), computed as of the
period's end. Importable without pandas: the command line checks options with it.

A categorical attribute (gender) may be a feature too: one-hot encoded, one column per level, not
standardised but weighted so that two customers who differ only in it are SEGMENT_CATEGORICAL_WEIGHT
(default 1.0) standard deviations apart, as far as one SD of a numeric feature: it separates, it
cannot dominate (numeric features span four SDs and more).

Heavy-tailed counts and money (`frequency`, `monetary`, `avg_order_value`) are clustered on
log1p of their value (after clipping negatives, net refunds, to 0): a handful of big spenders
would otherwise decide every split. The scaler, centroids used for matching and the model all
live in that "model space"; profiles, rules, plots and names speak original units.

Words (`segmentation.naming`): a numeric feature's words go from low to high values, one more word
than it has `cuts`, the quantile levels of the period's customers that separate them (a segment's
word is where its median falls). Every word of every feature is distinct, so a name can be read
back word by word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Feature:
    """Facts about one clusterable column."""

    name: str  # the canonical column
    label: str  # axis / table label with its unit: 'Annual income (k$)'
    words: tuple[str, ...]  # name words from low to high values (a categorical feature: by share of its first level)
    rule_label: str  # how a rule names it: 'annual income'
    unit: str = ""  # appended to numbers in rules: ' k$', ' days'
    whole: bool = False  # whole-valued: rules use ≤ on whole numbers
    transform: Literal["none", "log1p"] = "none"
    source: Literal["customers", "orders"] = "customers"
    levels: tuple[str, ...] = ()  # a categorical feature's values, one-hot encoded in this order
    comparative: tuple[str, str] = ("", "")  # how two segments differ in it: (lower, higher)
    money: bool = False  # an amount of the order history's currency (SEGMENT_CURRENCY)
    cuts: tuple[float, ...] = (1 / 3, 2 / 3)  # population quantile levels between consecutive words
    quantity: str = "{}"  # a value in words, where a name needs a number: '{} days since the last order'

    @property
    def categorical(self) -> bool:
        return bool(self.levels)

    @property
    def short(self) -> str:
        """The label without its unit: 'Annual income'."""
        return self.label.split(" (")[0]


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature(
            "age",
            "Age (years)",
            ("Younger", "Middle-aged", "Older"),
            "age",
            whole=True,
            quantity="age {}",
        ),
        # Words by the segment's share of women: at most a third, between, at least two thirds.
        Feature(
            "gender",
            "Gender",
            ("Mostly men", "Mixed gender", "Mostly women"),
            "gender",
            levels=("Female", "Male"),
            quantity="{} women",
        ),
        Feature(
            "annual_income",
            "Annual income (k$)",
            ("Low income", "Average income", "High income"),
            "annual income",
            " k$",
            quantity="income {} k$",
        ),
        Feature(
            "spending_score",
            "Spending score (1-100)",
            ("Low spending", "Average spending", "High spending"),
            "spending score",
            whole=True,
            quantity="spending score {}",
        ),
        # Quartiles: "At risk" and "Loyal" (segmentation/naming.py) turn on the population's median.
        Feature(
            "recency_days",
            "Days since last order",
            ("Recent", "Cooling", "Lapsing", "Lapsed"),
            "last order",
            " days ago",
            whole=True,
            source="orders",
            cuts=(0.25, 0.5, 0.75),
            quantity="{} days since the last order",
        ),
        # Tertiles and the top tenth: heavy tails have a top worth a word of its own.
        Feature(
            "frequency",
            "Orders in the window",
            ("Infrequent", "Regular", "Frequent", "Very frequent"),
            "orders",
            "",
            whole=True,
            transform="log1p",
            source="orders",
            cuts=(1 / 3, 2 / 3, 0.9),
            quantity="{} orders",
        ),
        Feature(
            "monetary",
            "Net spend in the window",
            ("Low spend", "Mid spend", "High spend", "Top spend"),
            "net spend",
            "",
            transform="log1p",
            source="orders",
            money=True,
            cuts=(1 / 3, 2 / 3, 0.9),
            quantity="spend {}",
        ),
        Feature(
            "avg_order_value",
            "Average order value",
            ("Small baskets", "Average baskets", "Big baskets"),
            "average order",
            "",
            transform="log1p",
            source="orders",
            money=True,
            quantity="average order {}",
        ),
        Feature(
            "tenure_days",
            "Days since first order",
            ("Newer", "Established", "Long-standing"),
            "first order",
            " days ago",
            whole=True,
            source="orders",
            quantity="{} days since the first order",
        ),
    )
}

CUSTOMER_FEATURES = tuple(n for n, f in FEATURES.items() if f.source == "customers")
NUMERIC_FEATURES = tuple(n for n, f in FEATURES.items() if not f.categorical)
# The customer table's numeric columns (age, annual_income, spending_score): read as numbers, checked by
# the input contract (schemas/input.py), stored raw per run.
CUSTOMER_NUMERIC = tuple(n for n in CUSTOMER_FEATURES if not FEATURES[n].categorical)
ORDER_FEATURES = tuple(n for n, f in FEATURES.items() if f.source == "orders")
DEFAULT_CUSTOMER_FEATURES = ("annual_income", "spending_score")
DEFAULT_ORDER_FEATURES = ("recency_days", "frequency", "monetary")
# The frequency word, below "Infrequent", of a segment in which most customers have one order (naming.py).
ONE_TIME = "One-time"


def to_model_space(name: str, values: np.ndarray | float) -> np.ndarray | float:
    """A feature's values as the model clusters them (log1p of the clipped value where heavy-tailed)."""
    if FEATURES[name].transform == "log1p":
        if isinstance(values, np.ndarray):
            return np.log1p(np.clip(values, 0, None))
        return math.log1p(max(float(values), 0.0))
    return values


def to_original(name: str, values: np.ndarray | float) -> np.ndarray | float:
    """The inverse of `to_model_space` (for clipped values)."""
    if FEATURES[name].transform == "log1p":
        return np.expm1(values) if isinstance(values, np.ndarray) else math.expm1(float(values))
    return values


CURRENCY_UNITS = "currency units"  # what amounts are called when SEGMENT_CURRENCY does not say


def label(name: str, currency: str | None = None) -> str:
    """The feature's label with its unit, for axes and tables: 'Net spend in the window (EUR)'."""
    if name not in FEATURES:
        return name
    feature = FEATURES[name]
    return f"{feature.label} ({currency or CURRENCY_UNITS})" if feature.money else feature.label


def unit(name: str, currency: str | None = None) -> str:
    """What follows a number of the feature in a rule: ' days ago', ' k$', ' EUR' (nothing unnamed)."""
    feature = FEATURES[name]
    if feature.money:
        return f" {currency}" if currency else ""
    return feature.unit


def model_columns(features: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The model's columns for the features: a numeric feature is one column, a categorical one
    one column per level ('gender' -> 'gender_female', 'gender_male')."""
    columns: list[str] = []
    for name in features:
        levels = FEATURES[name].levels
        columns.extend(f"{name}_{level.casefold()}" for level in levels) if levels else columns.append(name)
    return tuple(columns)


def _level_of(column: str) -> str | None:
    """The level a one-hot column stands for ('gender_female' -> 'female'), or None for a numeric column."""
    for name, feature in FEATURES.items():
        if feature.categorical and column.startswith(name + "_"):
            return column[len(name) + 1 :]
    return None


def centre_column(column: str) -> str:
    """The segment_profiles column that holds a model column's centre in original units: a one-hot
    column's centre is the segment's share of that level ('gender_female' -> 'share_female')."""
    level = _level_of(column)
    return f"share_{level}" if level else f"centroid_{column}"


def mean_column(column: str) -> str:
    """The segment_profiles column that holds the members' mean of a model column."""
    level = _level_of(column)
    return f"share_{level}" if level else f"mean_{column}"


def is_one_hot(column: str) -> bool:
    return _level_of(column) is not None
