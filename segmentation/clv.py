"""Customer-base forecasting: BG/NBD and Gamma-Gamma as closed-form likelihoods on SciPy.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") models each customer's
repeat orders: while active, a customer orders as a Poisson process of rate lambda ~ Gamma(r, alpha);
after each repeat order they drop out for good with probability p ~ Beta(a, b). A customer's history
is x (repeat orders: orders after the first), t_x (days from the first to the last order; 0 when
x == 0) and T (days from the first order to the end of the observation). Every time is in DAYS, so
alpha is per day.

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves") models the value of
repeat customers' orders: each order's value ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer,
independent of the order process; it is fitted on m_x, the mean value of a customer's x repeat
orders (x > 0).

Both fits maximise the likelihood over log-parameters with L-BFGS-B and analytic gradients, on the
distinct histories weighted by how often each occurs (the fit costs the number of distinct
(x, t_x, T), not customers), optionally on a seeded sample of customers. Predictions are vectorised
and evaluated in chunks, so ten million customers cost seconds and bounded memory. Nothing here
does I/O: `ForecastModel.to_dict` is what a run saves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1
from threadpoolctl import threadpool_limits

# Customers (and, separately, repeat customers) a fit samples. On 10M simulated customers in whole
# days (benchmarks/forecast.py), 8 seeds each, the largest difference of any of the 7 parameters
# from a fit on everyone: 500k 2.11% (median 1.60%), 1M 1.05% (0.66%), 2M 0.82% (0.50%); fit CPU
# 0.95 s, 1.8 s, 3.9 s, everyone 24.6 s. 1M is the smallest that keeps within 2% with room.
DEFAULT_SAMPLE_SIZE = 1_000_000
# Three spend parameters from fewer repeat customers than this are noise, not a model.
MIN_REPEAT_CUSTOMERS = 50
# Predictions run over this many customers at a time: temporaries stay tens of MB at any size.
CHUNK = 1_000_000
# Up to this many possible (x, T) pairs of whole days, a chunk's distinct pairs come from a dense
# table (about 9 bytes an entry: 36 MB at most) instead of a sort.
DENSE_PAIRS = 1 << 22
# Log-parameters are kept in [1e-6, 1e6]; a fit that ends on a bound has no finite maximum there.
LOG_BOUND = float(np.log(1e6))
TIME_UNIT = "day"


# ---------------------------------------------------------------------------------------------
# Models


@dataclass(frozen=True)
class BgNbd:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha) (alpha per day), dropout ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def log_likelihood(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Each customer's log-likelihood under these parameters.

        Args:
            x: repeat orders per customer (integers >= 0).
            t_x: days from the first to the last order (0 where x == 0).
            T: days from the first order to the end of the observation (>= t_x).

        Returns:
            One log-likelihood per customer.
        """
        x, t_x, T = check_history(x, t_x, T)
        return _bgnbd_rows(self.r, self.alpha, self.a, self.b, x, t_x, T)

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """The chance that each customer is still active at T (1 for customers with no repeat order).

        Args:
            x: repeat orders per customer (integers >= 0).
            t_x: days from the first to the last order (0 where x == 0).
            T: days from the first order to the end of the observation (>= t_x).

        Returns:
            P(active) per customer, in [0, 1].
        """
        x, t_x, T = check_history(x, t_x, T)
        out = np.empty_like(x)
        for part in _chunks(len(x)):
            out[part] = self._p_alive(x[part], t_x[part], T[part])
        return out

    def expected_orders(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, horizon_days: float) -> np.ndarray:
        """Each customer's expected number of orders in the `horizon_days` days after T.

        Args:
            x: repeat orders per customer (integers >= 0).
            t_x: days from the first to the last order (0 where x == 0).
            T: days from the first order to the end of the observation (>= t_x).
            horizon_days: the length of the forecast horizon, in days (>= 0).

        Returns:
            Expected orders per customer, >= 0 and never NaN.
        """
        x, t_x, T = check_history(x, t_x, T)
        horizon = _check_horizon(horizon_days)
        out = np.empty_like(x)
        for part in _chunks(len(x)):
            alive = self._p_alive(x[part], t_x[part], T[part])
            out[part] = self._expected_orders(x[part], T[part], horizon, alive)
        return out

    def _vector(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def _p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        # P(alive) = 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) for x > 0: in log space,
        # as a logistic, so that a large x or a long silence gives 0 instead of inf/inf.
        repeat = x > 0
        log_odds_dead = np.log(self.a) - np.log(self.b + np.maximum(x, 1) - 1)
        log_odds_dead += (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
        return np.where(repeat, expit(-log_odds_dead), 1.0)

    def _expected_orders(self, x: np.ndarray, T: np.ndarray, horizon: float, alive: np.ndarray) -> np.ndarray:
        # FHL 2005 eq. 10: E = P(alive) * (a+b+x-1)/(a-1) * [1 - G], where G (the 2F1 term) depends on
        # (x, T, horizon) only: evaluated once per distinct (x, T) pair and mapped back.
        if horizon == 0.0:
            return np.zeros_like(x)
        pairs, index = _distinct_pairs(x, T)
        a = _away_from_one(self.a)
        g = _g_term(self, pairs[:, 0], pairs[:, 1], horizon, a)
        factor = (a + self.b + pairs[:, 0] - 1) / (a - 1)
        expected = alive * (factor * (1.0 - g))[index]
        # An upper bound: an active customer's expected rate given the history, with no further
        # dropout. It also stands in where the closed form is not finite (a + b + x - 1 near 0).
        ceiling = alive * (self.r + x) / (self.alpha + T) * horizon
        return np.where(np.isfinite(expected), np.clip(expected, 0.0, ceiling), ceiling)


@dataclass(frozen=True)
class GammaGamma:
    """Gamma-Gamma parameters: order value ~ Gamma(p, nu), nu ~ Gamma(q, gamma) per customer."""

    p: float
    q: float
    gamma: float

    @property
    def population_mean(self) -> float:
        """The mean order value of a customer about whom nothing is known: p * gamma / (q - 1)."""
        return self.p * self.gamma / (self.q - 1)

    def log_likelihood(self, x: np.ndarray, m_x: np.ndarray) -> np.ndarray:
        """Each repeat customer's log-likelihood of their mean order value.

        Args:
            x: repeat orders per customer (integers > 0).
            m_x: the mean value of those orders (> 0).

        Returns:
            One log-likelihood per customer.
        """
        x, m_x = check_spend(x, m_x)
        if np.any(x == 0):
            raise ValueError("x: the Gamma-Gamma likelihood is defined for repeat customers only (x > 0)")
        return _gamma_gamma_rows(self.p, self.q, self.gamma, x, m_x)

    def expected_order_value(self, x: np.ndarray, m_x: np.ndarray) -> np.ndarray:
        """Each customer's expected value of a future order: the population mean shrunk towards m_x.

        Args:
            x: repeat orders per customer (integers >= 0).
            m_x: the mean value of those orders (> 0 where x > 0; ignored where x == 0).

        Returns:
            Expected order value per customer; p * gamma / (q - 1) where x == 0.
        """
        x, m_x = check_spend(x, m_x)
        out = np.empty_like(x)
        for part in _chunks(len(x)):
            out[part] = self._expected_order_value(x[part], m_x[part])
        return out

    def _expected_order_value(self, x: np.ndarray, m_x: np.ndarray) -> np.ndarray:
        weight = self.p * x / (self.p * x + self.q - 1)
        observed = np.where(x > 0, m_x, 0.0)
        return (1.0 - weight) * self.population_mean + weight * observed


@dataclass(frozen=True)
class ForecastModel:
    """Everything a run records about its forecast: both models, how they were fitted, and why not.

    Attributes:
        bgnbd: the order model (alpha per day).
        gamma_gamma: the spend model, or None when it cannot be fitted (`reason` says why).
        log_likelihood: the BG/NBD log-likelihood of the customers fitted (the sample, if sampled).
        gamma_gamma_log_likelihood: the Gamma-Gamma one of the repeat customers fitted, or None.
        customers: customers the model saw (all of them, before any sample).
        repeat_customers: those of them with x > 0.
        sample_size: customers the BG/NBD fit used (== customers when not sampled).
        gamma_gamma_sample_size: repeat customers the Gamma-Gamma fit used (drawn on their own).
        random_state: the seed of the samples (None when everyone was used).
        converged: both optimisations converged (the spend model's only if fitted).
        reason: None when all is well; otherwise what went wrong, in words.
    """

    bgnbd: BgNbd
    gamma_gamma: GammaGamma | None
    log_likelihood: float
    gamma_gamma_log_likelihood: float | None
    customers: int
    repeat_customers: int
    sample_size: int
    gamma_gamma_sample_size: int
    random_state: int | None
    converged: bool
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A flat dict of plain values (the `forecast_models` row's names), for JSON or joblib."""
        gg = self.gamma_gamma
        return {
            "time_unit": TIME_UNIT,
            "bgnbd_r": self.bgnbd.r,
            "bgnbd_alpha": self.bgnbd.alpha,
            "bgnbd_a": self.bgnbd.a,
            "bgnbd_b": self.bgnbd.b,
            "gg_p": None if gg is None else gg.p,
            "gg_q": None if gg is None else gg.q,
            "gg_gamma": None if gg is None else gg.gamma,
            "log_likelihood": self.log_likelihood,
            "gg_log_likelihood": self.gamma_gamma_log_likelihood,
            "customers": self.customers,
            "repeat_customers": self.repeat_customers,
            "sample_size": self.sample_size,
            "gg_sample_size": self.gamma_gamma_sample_size,
            "random_state": self.random_state,
            "converged": self.converged,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastModel:
        """The model `to_dict` wrote.

        Args:
            data: a dict from `to_dict`.

        Returns:
            The same ForecastModel.
        """
        if data.get("time_unit") != TIME_UNIT:
            raise ValueError(f"time_unit: expected {TIME_UNIT!r}, got {data.get('time_unit')!r}")
        has_gg = data["gg_p"] is not None
        return cls(
            bgnbd=BgNbd(
                r=float(data["bgnbd_r"]),
                alpha=float(data["bgnbd_alpha"]),
                a=float(data["bgnbd_a"]),
                b=float(data["bgnbd_b"]),
            ),
            gamma_gamma=GammaGamma(float(data["gg_p"]), float(data["gg_q"]), float(data["gg_gamma"]))
            if has_gg
            else None,
            log_likelihood=float(data["log_likelihood"]),
            gamma_gamma_log_likelihood=None if data["gg_log_likelihood"] is None else float(data["gg_log_likelihood"]),
            customers=int(data["customers"]),
            repeat_customers=int(data["repeat_customers"]),
            sample_size=int(data["sample_size"]),
            gamma_gamma_sample_size=int(data["gg_sample_size"]),
            random_state=None if data["random_state"] is None else int(data["random_state"]),
            converged=bool(data["converged"]),
            reason=data["reason"],
        )


@dataclass(frozen=True, eq=False)
class Forecast:
    """Per customer, over `horizon_days` after the end of the observation (undiscounted).

    Attributes:
        p_active: chance of still being active at the end of the observation.
        expected_orders: expected orders in the horizon.
        expected_order_value: expected value of one future order (None without a spend model).
        expected_value: expected_orders * expected_order_value (None without a spend model).
        horizon_days: the horizon, in days.
    """

    p_active: np.ndarray
    expected_orders: np.ndarray
    expected_order_value: np.ndarray | None
    expected_value: np.ndarray | None
    horizon_days: float


@dataclass(frozen=True)
class BgNbdFit:
    """A BG/NBD maximum-likelihood fit: the parameters and how the optimisation ended."""

    model: BgNbd
    log_likelihood: float
    converged: bool
    message: str
    customers: int


@dataclass(frozen=True)
class GammaGammaFit:
    """A Gamma-Gamma fit: the parameters (None when there is no usable model) and why."""

    model: GammaGamma | None
    log_likelihood: float | None
    converged: bool
    message: str
    repeat_customers: int


# ---------------------------------------------------------------------------------------------
# Fitting


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> BgNbdFit:
    """Maximum-likelihood BG/NBD on every customer given (sample first with `fit_forecast_model`).

    Args:
        x: repeat orders per customer (integers >= 0).
        t_x: days from the first to the last order (0 where x == 0).
        T: days from the first order to the end of the observation (>= t_x).

    Returns:
        The fitted parameters (alpha per day), the log-likelihood, and whether it converged.
    """
    x, t_x, T = check_history(x, t_x, T)
    if len(x) == 0:
        raise ValueError("no customers to fit")
    history = _compress_history(x, t_x, T)
    theta0 = _bgnbd_start(x, T)
    theta, ll, converged, message = _maximise(_bgnbd_objective, theta0, history, float(len(x)))
    if not np.any(x > 0):
        converged, message = False, "no customer has a repeat order: the order rate cannot be estimated"
    r, alpha, a, b = np.exp(theta)
    return BgNbdFit(BgNbd(float(r), float(alpha), float(a), float(b)), ll, converged, message, len(x))


def fit_gamma_gamma(
    x: np.ndarray, m_x: np.ndarray, *, min_repeat_customers: int = MIN_REPEAT_CUSTOMERS
) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma on the repeat customers (x > 0) among those given.

    Args:
        x: repeat orders per customer (integers >= 0; customers with x == 0 are left out).
        m_x: mean value of each customer's repeat orders (> 0 where x > 0).
        min_repeat_customers: below this many repeat customers no model is fitted.

    Returns:
        The fit; its model is None, with the reason in `message`, when there are too few repeat
        customers or the fit gives q <= 1 (no finite mean order value).
    """
    x, m_x = check_spend(x, m_x)
    repeat = x > 0
    count = int(repeat.sum())
    if count < min_repeat_customers:
        message = f"{count} repeat customers; the spend model needs {min_repeat_customers}"
        return GammaGammaFit(None, None, False, message, count)
    spend = _compress_spend(x[repeat], m_x[repeat])
    theta0 = _gamma_gamma_start(m_x[repeat])
    theta, ll, converged, message = _maximise(_gamma_gamma_objective, theta0, spend, float(count))
    p, q, gamma = (float(v) for v in np.exp(theta))
    if q <= 1.0:
        return GammaGammaFit(None, ll, converged, f"q = {q:.4g} <= 1: the mean order value would be infinite", count)
    return GammaGammaFit(GammaGamma(p, q, gamma), ll, converged, message, count)


def fit_forecast_model(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    m_x: np.ndarray,
    *,
    sample_size: int | None = DEFAULT_SAMPLE_SIZE,
    random_state: int = 0,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> ForecastModel:
    """Fit BG/NBD and Gamma-Gamma on every customer, or on a seeded sample of them.

    Args:
        x: repeat orders per customer (integers >= 0).
        t_x: days from the first to the last order (0 where x == 0).
        T: days from the first order to the end of the observation (>= t_x).
        m_x: mean value of each customer's repeat orders (> 0 where x > 0; ignored where x == 0).
        sample_size: fit BG/NBD on this many customers, and Gamma-Gamma on this many repeat
            customers, drawn without replacement when there are more; None fits everyone.
        random_state: seed of the samples.
        min_repeat_customers: below this many repeat customers (in the sample) no spend model.

    Returns:
        The ForecastModel a run records.
    """
    x, t_x, T = check_history(x, t_x, T)
    x, m_x = check_spend(x, m_x)
    if sample_size is not None and sample_size < 1:
        raise ValueError(f"sample_size: expected a positive integer or None, got {sample_size}")
    rng = np.random.default_rng(random_state)
    # BG/NBD on a sample of customers; Gamma-Gamma on a sample of repeat customers, as large: its
    # precision grows with repeat customers only, and a row of it costs a tenth of a BG/NBD one.
    rows = _sample_rows(len(x), None, sample_size, rng)
    repeat_rows = _sample_rows(len(x), x > 0, sample_size, rng)
    orders = fit_bgnbd(*_take(rows, x, t_x, T))
    spend = fit_gamma_gamma(*_take(repeat_rows, x, m_x), min_repeat_customers=min_repeat_customers)
    repeat = int(np.count_nonzero(x))
    reasons = [f"BG/NBD: {orders.message}"] if not orders.converged else []
    if spend.model is None or not spend.converged:
        reasons.append(f"Gamma-Gamma: {spend.message}")
    return ForecastModel(
        bgnbd=orders.model,
        gamma_gamma=spend.model,
        log_likelihood=orders.log_likelihood,
        gamma_gamma_log_likelihood=spend.log_likelihood if spend.model is not None else None,
        customers=len(x),
        repeat_customers=repeat,
        sample_size=orders.customers,
        gamma_gamma_sample_size=spend.repeat_customers,
        random_state=random_state if orders.customers < len(x) or spend.repeat_customers < repeat else None,
        converged=orders.converged and (spend.model is None or spend.converged),
        reason="; ".join(reasons) or None,
    )


def forecast(
    model: ForecastModel, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, m_x: np.ndarray, *, horizon_days: float
) -> Forecast:
    """Per customer: chance of being active, expected orders and value over the next `horizon_days`.

    Args:
        model: a fitted (or loaded) ForecastModel.
        x: repeat orders per customer (integers >= 0).
        t_x: days from the first to the last order (0 where x == 0).
        T: days from the first order to the end of the observation (>= t_x).
        m_x: mean value of each customer's repeat orders (> 0 where x > 0; ignored where x == 0).
        horizon_days: the horizon, in days.

    Returns:
        A Forecast; its value arrays are None when the model has no spend model. Value is not
        discounted: it is what a later run compares with the value that actually came.
    """
    x, t_x, T = check_history(x, t_x, T)
    x, m_x = check_spend(x, m_x)
    horizon = _check_horizon(horizon_days)
    bgnbd, spend = model.bgnbd, model.gamma_gamma
    p_active, orders = np.empty_like(x), np.empty_like(x)
    value = None if spend is None else np.empty_like(x)
    for part in _chunks(len(x)):
        p_active[part] = bgnbd._p_alive(x[part], t_x[part], T[part])
        orders[part] = bgnbd._expected_orders(x[part], T[part], horizon, p_active[part])
        if spend is not None:
            value[part] = spend._expected_order_value(x[part], m_x[part])
    if value is None:
        return Forecast(p_active, orders, None, None, horizon)
    return Forecast(p_active, orders, value, orders * value, horizon)


# ---------------------------------------------------------------------------------------------
# Validation at the public boundary


def check_history(x: Any, t_x: Any, T: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three history columns as float arrays, or a ValueError that names what is wrong.

    Args:
        x: repeat orders per customer (integers >= 0).
        t_x: days from the first to the last order (0 where x == 0).
        T: days from the first order to the end of the observation (>= t_x).

    Returns:
        x, t_x, T as 1-D float64 arrays of one length.
    """
    x, t_x, T = (_column(name, values) for name, values in (("x", x), ("t_x", t_x), ("T", T)))
    _same_length(x=x, t_x=t_x, T=T)
    for part in _chunks(len(x)):  # chunks: the checks' temporaries stay small at any size
        _check_orders(x[part])
        if np.any(t_x[part] < 0):
            raise ValueError("t_x: days to the last order must be >= 0")
        if np.any(t_x[part] > T[part]):
            raise ValueError("t_x > T: the last order cannot come after the end of the observation")
        if np.any((x[part] == 0) & (t_x[part] != 0)):
            raise ValueError("t_x must be 0 where x == 0 (a customer with one order has no later order)")
    return x, t_x, T


def check_spend(x: Any, m_x: Any) -> tuple[np.ndarray, np.ndarray]:
    """x and m_x as float arrays; m_x must be finite and > 0 wherever x > 0.

    Args:
        x: repeat orders per customer (integers >= 0).
        m_x: mean value of each customer's repeat orders (any value where x == 0, NaN included).

    Returns:
        x, m_x as 1-D float64 arrays of one length.
    """
    x = _column("x", x)
    m_x = np.asarray(m_x, dtype=np.float64)
    if m_x.ndim != 1:
        raise ValueError(f"m_x: expected a 1-D array, got {m_x.ndim} dimensions")
    _same_length(x=x, m_x=m_x)
    for part in _chunks(len(x)):
        _check_orders(x[part])
        repeat_values = m_x[part][x[part] > 0]
        if not np.all(np.isfinite(repeat_values)) or np.any(repeat_values <= 0):
            raise ValueError("m_x: the mean repeat-order value must be finite and > 0 where x > 0")
    return x, m_x


def _check_orders(x: np.ndarray) -> None:
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise ValueError("x: repeat orders must be whole numbers >= 0")


def _column(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got {array.ndim} dimensions")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: every value must be finite")
    return array


def _same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays of different lengths: {lengths}")


def _check_horizon(horizon_days: float) -> float:
    horizon = float(horizon_days)
    if not np.isfinite(horizon) or horizon < 0:
        raise ValueError(f"horizon_days: expected a finite number >= 0, got {horizon_days}")
    return horizon


# ---------------------------------------------------------------------------------------------
# Likelihoods. Per customer for the public methods; for the fits, weighted sums over distinct rows
# with every term of x alone summed once per distinct x, and the one-order customers (most of a
# retailer's) on their own, since their likelihood is r ln(alpha / (alpha + T)).


def _bgnbd_rows(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005 eq. 6, in logs):

    ln G(r+x) - ln G(r) + r ln alpha + ln B(a, b+x) - ln B(a, b)
    + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]
    """
    const = gammaln(r + x) - gammaln(r) + betaln(a, b + x) - betaln(a, b) + r * np.log(alpha)
    alive = -(r + x) * np.log(alpha + T)
    dropped = np.full_like(x, -np.inf)
    repeat = x > 0
    dropped[repeat] = np.log(a / (b + x[repeat] - 1)) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    return const + np.logaddexp(alive, dropped)


def _gamma_gamma_rows(p: float, q: float, gamma: float, x: np.ndarray, m_x: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of m_x given x > 0 (FHL 2005b; Fader & Hardie 2013 eq. 1a):

    ln G(px+q) - ln G(px) - ln G(q) + q ln gamma + (px-1) ln m_x + px ln x - (px+q) ln(gamma + x m_x)
    """
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m_x)
    )


@dataclass(frozen=True)
class _History:
    """Distinct histories and their weights, split into one-order customers and repeat customers."""

    zero_T: np.ndarray  # x == 0: distinct T
    zero_weight: np.ndarray
    x: np.ndarray  # x > 0: distinct (x, t_x, T)
    t_x: np.ndarray
    T: np.ndarray
    weight: np.ndarray
    x_values: np.ndarray  # the distinct x > 0, each one's index per row, and its total weight
    x_index: np.ndarray
    x_weight: np.ndarray


@dataclass(frozen=True)
class _Spend:
    """Distinct (x, m_x) of repeat customers, their weights, and the sums that do not move in a fit."""

    x: np.ndarray
    m_x: np.ndarray
    weight: np.ndarray
    x_values: np.ndarray
    x_weight: np.ndarray
    sum_x_log_m: float  # sum of w x ln m_x
    sum_log_m: float  # sum of w ln m_x
    sum_x_log_x: float  # sum of w x ln x


def _bgnbd_objective(theta: np.ndarray, h: _History, total: float) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient in the log-parameters (r, alpha, a, b)."""
    r, alpha, a, b = np.exp(theta)
    log_alpha = np.log(alpha)
    grad = np.zeros(4)
    # One-order customers: r (ln alpha - ln(alpha+T)).
    w0 = h.zero_weight
    ll = r * (w0.sum() * log_alpha - w0 @ np.log(alpha + h.zero_T))
    grad[0] = ll
    grad[1] = r * (w0.sum() - alpha * (w0 @ (1.0 / (alpha + h.zero_T))))
    # Repeat customers: the terms of x alone, once per distinct x.
    xv, wx, w = h.x_values, h.x_weight, h.weight
    ll += wx @ (gammaln(r + xv) - gammaln(r) + betaln(a, b + xv) - betaln(a, b)) + wx.sum() * r * log_alpha
    d_ab = digamma(a + b) - digamma(a + b + xv)
    inv_bx = 1.0 / (b + xv - 1)
    # Per row: "still active" (alpha+T)^-(r+x) against "dropped out after the last order".
    rx = r + h.x
    log_T, log_t = np.log(alpha + h.T), np.log(alpha + h.t_x)
    dropped_vs_alive = np.log(a * inv_bx)[h.x_index] + rx * (log_T - log_t)
    ll += w @ (np.logaddexp(0.0, dropped_vs_alive) - rx * log_T)
    share_dropped = expit(dropped_vs_alive)
    grad[0] += r * (wx @ (digamma(r + xv) - digamma(r)) + wx.sum() * log_alpha)
    grad[0] -= r * (w @ (log_T + share_dropped * (log_t - log_T)))
    grad[1] += r * wx.sum() - alpha * (
        w @ (rx * ((1.0 - share_dropped) / (alpha + h.T) + share_dropped / (alpha + h.t_x)))
    )
    grad[2] = a * (wx @ d_ab) + w @ share_dropped
    grad[3] = b * (wx @ (d_ab + digamma(b + xv) - digamma(b)) - w @ (share_dropped * inv_bx[h.x_index]))
    return -float(ll) / total, -grad / total


def _gamma_gamma_objective(theta: np.ndarray, s: _Spend, total: float) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its gradient in the log-parameters (p, q, gamma)."""
    p, q, gamma = np.exp(theta)
    xv, wx, w = s.x_values, s.x_weight, s.weight
    count = wx.sum()
    px = p * xv
    psi = digamma(px + q)
    scale = gamma + s.x * s.m_x
    log_scale = np.log(scale)
    shape = p * s.x + q
    ll = wx @ (gammaln(px + q) - gammaln(px)) - count * gammaln(q) + count * q * np.log(gamma)
    ll += p * (s.sum_x_log_m + s.sum_x_log_x) - s.sum_log_m - w @ (shape * log_scale)
    grad = np.empty(3)
    grad[0] = p * (wx @ (xv * (psi - digamma(px))) + s.sum_x_log_m + s.sum_x_log_x - w @ (s.x * log_scale))
    grad[1] = q * (wx @ psi - count * digamma(q) + count * np.log(gamma) - w @ log_scale)
    grad[2] = q * count - gamma * (w @ (shape / scale))
    return -float(ll) / total, -grad / total


def _maximise(objective: Any, theta0: np.ndarray, data: Any, total: float) -> tuple[np.ndarray, float, bool, str]:
    """L-BFGS-B on the mean negative log-likelihood (gradients of order one at any size).

    Returns the log-parameters, the total log-likelihood, whether it converged, and the message.
    """
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(theta0)
    # The objectives' weighted sums are vector dot products, memory-bound: BLAS threads only add
    # synchronisation, and on a busy machine they spin (one 10k-long dot measured 17 ms, not 2 us).
    with threadpool_limits(limits=1, user_api="blas"):
        result = minimize(
            objective,
            theta0,
            args=(data, total),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-8},
        )
    theta = np.clip(result.x, -LOG_BOUND, LOG_BOUND)
    gradient = np.max(np.abs(result.jac))
    # Near the optimum the line search can stop on rounding before `gtol`; a tiny gradient is the test.
    converged = bool(result.success or gradient < 1e-6)
    message = str(result.message)
    on_bound = np.abs(theta) >= LOG_BOUND - 1e-6
    if np.any(on_bound):
        converged = False
        message = f"a parameter ran to the bound exp(+-{LOG_BOUND:.1f}): the likelihood has no interior maximum"
    elif not converged:
        message = f"{message} (largest gradient {gradient:.2g})"
    return theta, -float(result.fun) * total, converged, message


def _bgnbd_start(x: np.ndarray, T: np.ndarray) -> np.ndarray:
    # r = a = b = 1; alpha from the mean repeat rate (r / alpha is the mean rate per day).
    rate = max(float(x.sum()), 1.0) / max(float(T.sum()), 1.0)
    return np.log([1.0, 1.0 / rate, 1.0, 1.0])


def _gamma_gamma_start(m_x: np.ndarray) -> np.ndarray:
    # p = 1, q = 2: then gamma is the mean order value.
    return np.log([1.0, 2.0, float(np.mean(m_x))])


# ---------------------------------------------------------------------------------------------
# Compression, sampling, chunks


def _compress_history(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> _History:
    """Distinct histories with their counts: one-order customers by T, repeat ones by (x, t_x, T)."""
    zero = x == 0
    zero_T, zero_count = np.unique(T[zero], return_counts=True)
    (ux, ut, uT), counts = _distinct_rows(x[~zero], t_x[~zero], T[~zero])
    weight = counts.astype(np.float64)
    x_values, x_index = np.unique(ux, return_inverse=True)
    x_weight = np.bincount(x_index, weights=weight, minlength=len(x_values))
    return _History(zero_T, zero_count.astype(np.float64), ux, ut, uT, weight, x_values, x_index, x_weight)


def _compress_spend(x: np.ndarray, m_x: np.ndarray) -> _Spend:
    """Distinct (x, m_x) of repeat customers with their counts."""
    (ux, um), counts = _distinct_rows(x, m_x)
    weight = counts.astype(np.float64)
    x_values, x_index = np.unique(ux, return_inverse=True)
    x_weight = np.bincount(x_index, weights=weight, minlength=len(x_values))
    log_m = np.log(um)
    return _Spend(
        ux,
        um,
        weight,
        x_values,
        x_weight,
        sum_x_log_m=float(weight @ (ux * log_m)),
        sum_log_m=float(weight @ log_m),
        sum_x_log_x=float(weight @ (ux * np.log(ux))),
    )


def _distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the columns and how often each occurs.

    Each column is coded by its distinct values and the codes combined into one int64 key: sorting
    one integer column is several times faster than np.unique(axis=0) on a float matrix.
    """
    uniques, codes = zip(*(np.unique(column, return_inverse=True) for column in columns), strict=True)
    sizes = [len(u) for u in uniques]
    if float(np.prod(sizes, dtype=np.float64)) >= 2.0**62:
        rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        return [rows[:, j] for j in range(len(columns))], counts
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for code, size in zip(codes, sizes, strict=True):
        key *= size
        key += code
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return [column[first] for column in columns], counts


def _distinct_pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (x, T) pairs (rows x 2) and, per customer, the index of its pair.

    Whole days (the pipeline's case) in a small range are looked up in a dense table, in linear
    time: sorting for np.unique was two thirds of a forecast's time.
    """
    if len(x) and np.all(np.floor(T) == T):
        t_min, span = int(T.min()), int(T.max() - T.min()) + 1
        size = (int(x.max()) + 1) * span
        if size <= DENSE_PAIRS:
            key = x.astype(np.int64) * span + (T.astype(np.int64) - t_min)
            present = np.zeros(size, dtype=bool)
            present[key] = True
            distinct = np.flatnonzero(present)
            position = np.zeros(size, dtype=np.int64)
            position[distinct] = np.arange(len(distinct))
            pairs = np.column_stack([distinct // span, distinct % span + t_min]).astype(np.float64)
            return pairs, position[key]
    ux, cx = np.unique(x, return_inverse=True)
    uT, cT = np.unique(T, return_inverse=True)
    distinct, index = np.unique(cx.astype(np.int64) * len(uT) + cT, return_inverse=True)
    return np.column_stack([ux[distinct // len(uT)], uT[distinct % len(uT)]]), index


def _g_term(model: BgNbd, x: np.ndarray, T: np.ndarray, horizon: float, a: float) -> np.ndarray:
    """((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t).

    The 2F1 grows like (1-z)^(a-1-r-x) and overflows for large x while the product stays below a
    few units; Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the
    product into (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z), which stays finite for every x.
    """
    r, alpha, b = model.r, model.alpha, model.b
    z = horizon / (alpha + T + horizon)
    return np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)


def _away_from_one(a: float) -> float:
    # (a+b+x-1)/(a-1) * (1 - G) is 0/0 at a == 1; a nudge of 1e-7 moves the result by about as much.
    return a if abs(a - 1.0) >= 1e-7 else 1.0 + 1e-7


def _sample_rows(
    n: int, among: np.ndarray | None, sample_size: int | None, rng: np.random.Generator
) -> np.ndarray | None:
    """Sorted indices of a seeded sample of `sample_size` of the n rows (or of those where `among`
    is True) drawn without replacement; None when there are no more than that (use them all)."""
    candidates = n if among is None else int(np.count_nonzero(among))
    if sample_size is None or candidates <= sample_size:
        return None if among is None else np.flatnonzero(among)
    picked = rng.choice(candidates, size=sample_size, replace=False)
    return np.sort(picked if among is None else np.flatnonzero(among)[picked])


def _take(rows: np.ndarray | None, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return arrays if rows is None else tuple(array[rows] for array in arrays)


def _chunks(n: int) -> list[slice]:
    return [slice(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)] or [slice(0, 0)]


# ---------------------------------------------------------------------------------------------
# Simulation (tests and benchmarks): the two processes, forward, seeded


@dataclass(frozen=True, eq=False)
class SimulatedHistory:
    """Customers drawn from the BG/NBD process: what is observed by T, and what is true after.

    Attributes:
        x: repeat orders in (0, T].
        t_x: days from the first to the last of them (0 where x == 0).
        alive: whether the customer is still active at T (not observable; the truth p_alive estimates).
        future_orders: orders in (T, T + horizon_days] (what expected_orders predicts).
    """

    x: np.ndarray
    t_x: np.ndarray
    alive: np.ndarray
    future_orders: np.ndarray


def simulate_bgnbd(model: BgNbd, T: np.ndarray, *, random_state: int, horizon_days: float = 0.0) -> SimulatedHistory:
    """Draw customers' histories over observations of T days, and their next `horizon_days`.

    Args:
        model: the parameters to draw from (alpha per day).
        T: days from each customer's first order to the end of the observation.
        random_state: seed; the same seed gives the same customers.
        horizon_days: also draw the orders in this many days after T.

    Returns:
        x, t_x (as float arrays), whether each is alive at T, and the orders after T.
    """
    T = _column("T", T)
    if np.any(T < 0):
        raise ValueError("T: days of observation must be >= 0")
    horizon = _check_horizon(horizon_days)
    rng = np.random.default_rng(random_state)
    n = len(T)
    rate = rng.gamma(model.r, 1.0 / model.alpha, size=n)
    dropout = rng.beta(model.a, model.b, size=n)
    # While active a customer orders as a Poisson process and drops out after their K-th repeat
    # order, K ~ Geometric(p): x = min(N(T), K). Given N(T) = n arrivals on (0, T], the x-th arrival
    # is at T times the x-th of n uniform order statistics: T * Beta(x, n - x + 1).
    arrivals = rng.poisson(rate * T)
    lifetime_orders = rng.geometric(dropout)
    x = np.minimum(arrivals, lifetime_orders)
    t_x = np.zeros(n)
    repeat = x > 0
    t_x[repeat] = T[repeat] * rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    later = np.minimum(arrivals + rng.poisson(rate * horizon), lifetime_orders) - x
    return SimulatedHistory(x.astype(np.float64), t_x, arrivals < lifetime_orders, later.astype(np.float64))


def simulate_gamma_gamma(model: GammaGamma, x: np.ndarray, *, random_state: int) -> np.ndarray:
    """Draw each customer's mean repeat-order value m_x under the Gamma-Gamma process.

    Args:
        model: the parameters to draw from.
        x: repeat orders per customer (integers >= 0).
        random_state: seed; the same seed gives the same values.

    Returns:
        m_x per customer; NaN where x == 0 (no repeat order, no mean).
    """
    x = _column("x", x)
    rng = np.random.default_rng(random_state)
    nu = rng.gamma(model.q, 1.0 / model.gamma, size=len(x))
    # The mean of x Gamma(p, nu) values is Gamma(p x, x nu): one draw per customer.
    repeat = x > 0
    m_x = np.full(len(x), np.nan)
    m_x[repeat] = rng.gamma(model.p * x[repeat], 1.0 / (x[repeat] * nu[repeat]))
    return m_x
