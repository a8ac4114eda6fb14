"""BG/NBD and Gamma-Gamma: the likelihoods against a direct implementation, parameter recovery from
simulated populations of known parameters, the seeded sample, predictions against what the
simulation then did, the numerical extremes, and the public boundary. PyMC-Marketing as the oracle
is in test_clv_oracle.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

from segmentation import clv

# Known parameters the populations are drawn from (alpha per day). ORDERS: a retailer's customers,
# about 5.5 orders a year while active, first orders over two and a half years.
ORDERS = clv.BgNbd(r=0.9, alpha=60.0, a=0.8, b=3.5)
SPEND = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44)  # CDNOW's (Fader, Hardie & Lee 2005b)
# CDNOW's order model (Fader, Hardie & Lee 2005a): alpha = 4.414 per week; cohort of the first
# 12 weeks of 1997 observed to week 39, so T is between 27 and 39 weeks.
CDNOW = clv.BgNbd(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426)
HORIZON = 365.0


def relative_errors(fitted: object, known: object, names: tuple[str, ...]) -> dict[str, float]:
    return {name: abs(getattr(fitted, name) / getattr(known, name) - 1) for name in names}


@pytest.fixture(scope="module")
def population() -> dict[str, np.ndarray]:
    """300,000 customers of known parameters, with their next year as the simulation lived it."""
    T = np.random.default_rng(11).uniform(0, 900, size=300_000)
    history = clv.simulate_bgnbd(ORDERS, T, random_state=12, horizon_days=HORIZON)
    m_x = clv.simulate_gamma_gamma(SPEND, history.x, random_state=13)
    return {
        "x": history.x,
        "t_x": history.t_x,
        "T": T,
        "m_x": m_x,
        "alive": history.alive,
        "future": history.future_orders,
    }


@pytest.fixture(scope="module")
def small() -> dict[str, np.ndarray]:
    T = np.random.default_rng(21).uniform(0, 400, size=400)
    history = clv.simulate_bgnbd(ORDERS, T, random_state=22)
    return {
        "x": history.x,
        "t_x": history.t_x,
        "T": T,
        "m_x": clv.simulate_gamma_gamma(SPEND, history.x, random_state=23),
    }


# --- the likelihoods -------------------------------------------------------------------------


def loop_bgnbd(model: clv.BgNbd, x: float, t_x: float, T: float) -> float:
    """FHL 2005 eq. 6, term by term, one customer: the slow, plain version."""
    r, alpha, a, b = model.r, model.alpha, model.a, model.b
    beta = (
        math.lgamma(a)
        + math.lgamma(b + x)
        - math.lgamma(a + b + x)
        - (math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    )
    gamma_part = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    alive = math.exp(beta + gamma_part - (r + x) * math.log(alpha + T))
    dropped = 0.0
    if x > 0:
        beta_dropped = math.lgamma(a + 1) + math.lgamma(b + x - 1) - math.lgamma(a + b + x)
        beta_dropped -= math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        dropped = math.exp(beta_dropped + gamma_part - (r + x) * math.log(alpha + t_x))
    return math.log(alive + dropped)


def loop_gamma_gamma(model: clv.GammaGamma, x: float, m_x: float) -> float:
    """The density of the mean of x Gamma(p, nu) values, nu ~ Gamma(q, gamma), one customer."""
    p, q, g = model.p, model.q, model.gamma
    log_density = math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q) + q * math.log(g)
    return log_density + (p * x - 1) * math.log(m_x) + p * x * math.log(x) - (p * x + q) * math.log(g + x * m_x)


def test_bgnbd_likelihood_equals_the_term_by_term_loop(small: dict) -> None:
    x, t_x, T = small["x"], small["t_x"], small["T"]
    expected = [loop_bgnbd(ORDERS, *row) for row in zip(x, t_x, T, strict=True)]
    np.testing.assert_allclose(ORDERS.log_likelihood(x, t_x, T), expected, rtol=1e-10)


def test_gamma_gamma_likelihood_equals_the_term_by_term_loop(small: dict) -> None:
    repeat = small["x"] > 0
    x, m_x = small["x"][repeat], small["m_x"][repeat]
    expected = [loop_gamma_gamma(SPEND, *row) for row in zip(x, m_x, strict=True)]
    np.testing.assert_allclose(SPEND.log_likelihood(x, m_x), expected, rtol=1e-10)


def test_the_fits_objectives_are_the_likelihood_on_distinct_rows_and_their_gradients_are_exact(small: dict) -> None:
    # Every row three times: the compressed objective must weigh each distinct row by its count.
    x, t_x, T, m_x = (np.tile(small[name], 3) for name in ("x", "t_x", "T", "m_x"))
    theta = np.log([0.7, 45.0, 1.1, 2.9])
    history = clv._compress_history(x, t_x, T)
    value, gradient = clv._bgnbd_objective(theta, history, float(len(x)))
    assert value == pytest.approx(-clv.BgNbd(*np.exp(theta)).log_likelihood(x, t_x, T).mean(), rel=1e-12)
    numeric = approx_fprime(theta, lambda th: clv._bgnbd_objective(th, history, float(len(x)))[0], 1e-7)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-6)

    repeat = x > 0
    spend = clv._compress_spend(x[repeat], m_x[repeat])
    theta = np.log([4.0, 3.0, 20.0])
    value, gradient = clv._gamma_gamma_objective(theta, spend, float(repeat.sum()))
    assert value == pytest.approx(
        -clv.GammaGamma(*np.exp(theta)).log_likelihood(x[repeat], m_x[repeat]).mean(), rel=1e-12
    )
    numeric = approx_fprime(theta, lambda th: clv._gamma_gamma_objective(th, spend, float(repeat.sum()))[0], 1e-7)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4, atol=1e-6)


def test_identical_histories_fit_as_one_weighted_row(small: dict) -> None:
    once = clv.fit_bgnbd(small["x"], small["t_x"], small["T"])
    thrice = clv.fit_bgnbd(*(np.tile(small[name], 3) for name in ("x", "t_x", "T")))
    for name in ("r", "alpha", "a", "b"):
        assert getattr(thrice.model, name) == pytest.approx(getattr(once.model, name), rel=1e-5)
    assert thrice.log_likelihood == pytest.approx(3 * once.log_likelihood, rel=1e-9)


# --- recovery of known parameters --------------------------------------------------------------


def test_bgnbd_recovers_the_parameters_it_was_simulated_from(population: dict) -> None:
    fit = clv.fit_bgnbd(population["x"], population["t_x"], population["T"])
    assert fit.converged, fit.message
    errors = relative_errors(fit.model, ORDERS, ("r", "alpha", "a", "b"))
    assert max(errors.values()) < 0.05, errors
    assert fit.log_likelihood == pytest.approx(
        fit.model.log_likelihood(population["x"], population["t_x"], population["T"]).sum()
    )


def test_gamma_gamma_recovers_the_parameters_it_was_simulated_from(population: dict) -> None:
    fit = clv.fit_gamma_gamma(population["x"], population["m_x"])
    assert fit.converged, fit.message
    assert fit.model is not None
    assert fit.repeat_customers == int((population["x"] > 0).sum())
    errors = relative_errors(fit.model, SPEND, ("p", "q", "gamma"))
    assert max(errors.values()) < 0.05, errors


def test_cdnow_published_parameters_are_recovered_from_a_population_drawn_from_them() -> None:
    # In days, as the pipeline fits: alpha comes back per day (the paper's 4.414 per week times 7).
    T = np.random.default_rng(31).uniform(27 * 7, 39 * 7, size=600_000)
    history = clv.simulate_bgnbd(CDNOW, T, random_state=32)
    m_x = clv.simulate_gamma_gamma(SPEND, history.x, random_state=33)
    model = clv.fit_forecast_model(history.x, history.t_x, T, m_x, sample_size=None)
    assert model.converged, model.reason
    assert max(relative_errors(model.bgnbd, CDNOW, ("r", "alpha", "a", "b")).values()) < 0.05
    assert max(relative_errors(model.gamma_gamma, SPEND, ("p", "q", "gamma")).values()) < 0.05


# --- the seeded sample -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def large() -> dict[str, np.ndarray]:
    """600,000 customers in whole days, as the pipeline computes them from order dates."""
    T = np.random.default_rng(41).integers(1, 901, size=600_000).astype(np.float64)
    history = clv.simulate_bgnbd(ORDERS, T, random_state=42)
    m_x = clv.simulate_gamma_gamma(SPEND, history.x, random_state=43)
    return {"x": history.x, "t_x": np.floor(history.t_x), "T": T, "m_x": m_x}


def test_a_seeded_sample_fits_within_two_percent_of_everyone(large: dict) -> None:
    columns = (large["x"], large["t_x"], large["T"], large["m_x"])
    everyone = clv.fit_forecast_model(*columns, sample_size=None)
    sampled = clv.fit_forecast_model(*columns, sample_size=300_000, random_state=7)
    assert (everyone.sample_size, everyone.random_state) == (600_000, None)
    assert (sampled.sample_size, sampled.gamma_gamma_sample_size, sampled.random_state) == (300_000, 300_000, 7)
    assert (sampled.customers, sampled.repeat_customers) == (everyone.customers, everyone.repeat_customers)
    errors = relative_errors(sampled.bgnbd, everyone.bgnbd, ("r", "alpha", "a", "b"))
    errors |= relative_errors(sampled.gamma_gamma, everyone.gamma_gamma, ("p", "q", "gamma"))
    assert max(errors.values()) < 0.02, errors


def test_the_sample_is_the_seeds(small: dict) -> None:
    columns = (small["x"], small["t_x"], small["T"], small["m_x"])
    first = clv.fit_forecast_model(*columns, sample_size=200, random_state=3)
    again = clv.fit_forecast_model(*columns, sample_size=200, random_state=3)
    other = clv.fit_forecast_model(*columns, sample_size=200, random_state=4)
    assert first == again
    assert first.bgnbd != other.bgnbd


# --- predictions -------------------------------------------------------------------------------


def test_p_alive_and_expected_orders_match_what_the_simulated_customers_then_did(population: dict) -> None:
    x, t_x, T = population["x"], population["t_x"], population["T"]
    p_alive = ORDERS.p_alive(x, t_x, T)
    expected = ORDERS.expected_orders(x, t_x, T, horizon_days=HORIZON)
    # Within groups of customers by repeat orders, and overall: means within 4 standard errors.
    groups = np.digitize(x, [1, 3, 10])
    for group in range(4):
        members = groups == group
        alive, future = population["alive"][members], population["future"][members]
        assert abs(p_alive[members].mean() - alive.mean()) < 4 * alive.std() / math.sqrt(members.sum()) + 1e-9
        assert abs(expected[members].mean() - future.mean()) < 4 * future.std() / math.sqrt(members.sum())


def test_a_new_customer_expects_the_papers_unconditional_orders() -> None:
    # x = t_x = T = 0: FHL 2005 eq. 9, E[X(t)], in its original 2F1 form (finite for x = 0).
    t = np.array([1.0, 30.0, 90.0, 365.0, 3650.0])
    r, alpha, a, b = ORDERS.r, ORDERS.alpha, ORDERS.a, ORDERS.b
    paper = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    zeros = np.zeros(1)
    ours = [ORDERS.expected_orders(zeros, zeros, zeros, horizon_days=days)[0] for days in t]
    np.testing.assert_allclose(ours, paper, rtol=1e-10)


def test_a_customer_who_ordered_at_the_end_is_alive_unless_they_dropped_out_right_then() -> None:
    # T == t_x: P(alive) = 1 / (1 + a / (b + x - 1)).
    x = np.array([1.0, 2.0, 10.0, 1000.0])
    p_alive = ORDERS.p_alive(x, np.full(4, 200.0), np.full(4, 200.0))
    np.testing.assert_allclose(p_alive, 1 / (1 + ORDERS.a / (ORDERS.b + x - 1)), rtol=1e-12)


def test_the_2f1_term_equals_its_original_form_wherever_that_is_finite() -> None:
    x = np.repeat([0.0, 1.0, 5.0, 30.0, 100.0], 4)
    T = np.tile([0.0, 30.0, 300.0, 900.0], 5)
    for horizon in (30.0, 365.0):
        z = horizon / (ORDERS.alpha + T + horizon)
        original = (1 - z) ** (ORDERS.r + x) * hyp2f1(ORDERS.r + x, ORDERS.b + x, ORDERS.a + ORDERS.b + x - 1, z)
        assert np.all(np.isfinite(original))
        np.testing.assert_allclose(clv._g_term(ORDERS, x, T, horizon, ORDERS.a), original, rtol=1e-9)


@pytest.mark.parametrize("shift", [0.0, 0.5])  # whole days use a dense table, other times a sort
def test_distinct_pairs_map_back_to_every_customer(large: dict, shift: float) -> None:
    x, T = large["x"][:200_000], large["T"][:200_000] + shift
    pairs, index = clv._distinct_pairs(x, T)
    np.testing.assert_array_equal(pairs[index], np.column_stack([x, T]))
    assert len(pairs) == len(np.unique(np.column_stack([x, T]), axis=0))


@pytest.mark.parametrize("t_x_share", [0.0, 0.5, 1.0])
def test_huge_repeat_counts_give_finite_sane_predictions(t_x_share: float) -> None:
    # The original 2F1 overflows from a few hundred orders on (PyMC-Marketing returns NaN there).
    x = np.array([10.0, 300.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0])
    T = np.full(len(x), 800.0)
    t_x = T * t_x_share
    with np.errstate(all="raise"):
        p_alive = ORDERS.p_alive(x, t_x, T)
        expected = ORDERS.expected_orders(x, t_x, T, horizon_days=HORIZON)
    assert np.all((p_alive >= 0) & (p_alive <= 1))
    ceiling = p_alive * (ORDERS.r + x) / (ORDERS.alpha + T) * HORIZON
    assert np.all(np.isfinite(expected))
    assert np.all((expected >= 0) & (expected <= ceiling * (1 + 1e-12)))
    if t_x_share == 1.0:  # just ordered: the more orders so far, the more to come
        assert np.all(np.diff(expected) > 0)


def test_a_equal_to_one_is_the_limit_of_its_neighbours() -> None:
    x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 100.0]), np.array([50.0, 300.0])
    at_one = clv.BgNbd(0.9, 60.0, 1.0, 3.5).expected_orders(x, t_x, T, horizon_days=HORIZON)
    around = [
        clv.BgNbd(0.9, 60.0, a, 3.5).expected_orders(x, t_x, T, horizon_days=HORIZON) for a in (1 - 1e-4, 1 + 1e-4)
    ]
    np.testing.assert_allclose(at_one, np.mean(around, axis=0), rtol=1e-6)


def test_a_zero_horizon_expects_nothing(small: dict) -> None:
    assert not ORDERS.expected_orders(small["x"], small["t_x"], small["T"], horizon_days=0).any()


@settings(max_examples=150, deadline=None)
@given(
    r=st.floats(0.01, 20),
    alpha=st.floats(0.1, 1e4),
    a=st.floats(0.01, 20),
    b=st.floats(0.01, 50),
    x=st.integers(0, 5_000),
    T=st.floats(0, 5_000),
    share=st.floats(0, 1),
    horizon=st.floats(0, 5_000),
)
def test_predictions_are_never_nan_and_stay_in_range(r, alpha, a, b, x, T, share, horizon) -> None:
    model = clv.BgNbd(r, alpha, a, b)
    xs, T_s = np.array([float(x)]), np.array([T])
    t_x = np.zeros(1) if x == 0 else T_s * share
    p_alive = model.p_alive(xs, t_x, T_s)
    expected = model.expected_orders(xs, t_x, T_s, horizon_days=horizon)
    assert 0 <= p_alive[0] <= 1
    assert np.isfinite(expected[0])
    assert expected[0] >= 0


def test_expected_order_value_shrinks_towards_the_population_mean() -> None:
    x, m_x = np.array([0.0, 1.0, 100.0]), np.array([np.nan, 40.0, 40.0])
    value = SPEND.expected_order_value(x, m_x)
    mean = SPEND.p * SPEND.gamma / (SPEND.q - 1)
    assert value[0] == pytest.approx(mean)
    weight = SPEND.p * x[1:] / (SPEND.p * x[1:] + SPEND.q - 1)
    np.testing.assert_allclose(value[1:], (1 - weight) * mean + weight * 40.0)
    assert abs(value[2] - 40.0) < abs(value[1] - 40.0)


def test_forecast_is_orders_times_value_over_the_horizon(small: dict) -> None:
    model = clv.fit_forecast_model(small["x"], small["t_x"], small["T"], small["m_x"])
    result = clv.forecast(model, small["x"], small["t_x"], small["T"], small["m_x"], horizon_days=90)
    np.testing.assert_array_equal(result.p_active, model.bgnbd.p_alive(small["x"], small["t_x"], small["T"]))
    np.testing.assert_array_equal(
        result.expected_orders, model.bgnbd.expected_orders(small["x"], small["t_x"], small["T"], horizon_days=90)
    )
    assert result.expected_value is not None
    assert result.expected_order_value is not None
    np.testing.assert_array_equal(result.expected_value, result.expected_orders * result.expected_order_value)
    assert result.horizon_days == 90.0


# --- edge cases of the fits --------------------------------------------------------------------


def test_when_nobody_ordered_twice_the_fits_say_so_and_predictions_stay_finite() -> None:
    T = np.linspace(0, 300, 500)
    zeros = np.zeros(500)
    model = clv.fit_forecast_model(zeros, zeros, T, np.full(500, np.nan))
    assert not model.converged
    assert model.gamma_gamma is None
    assert model.repeat_customers == 0
    assert "no customer has a repeat order" in model.reason
    assert "0 repeat customers" in model.reason
    result = clv.forecast(model, zeros, zeros, T, np.full(500, np.nan), horizon_days=HORIZON)
    assert np.all(result.p_active == 1)
    assert np.all(np.isfinite(result.expected_orders))
    assert result.expected_value is None
    assert result.expected_order_value is None


def test_one_customer_fits_without_failing() -> None:
    model = clv.fit_forecast_model(np.array([2.0]), np.array([30.0]), np.array([100.0]), np.array([25.0]))
    assert model.customers == 1
    assert model.gamma_gamma is None
    assert "1 repeat customers; the spend model needs 50" in model.reason
    assert all(np.isfinite([model.bgnbd.r, model.bgnbd.alpha, model.bgnbd.a, model.bgnbd.b, model.log_likelihood]))


def test_a_spend_fit_without_a_finite_mean_gives_no_model() -> None:
    # Order values so heavy-tailed that q comes out below 1: no finite population mean to shrink to.
    x = np.full(2_000, 3.0)
    m_x = np.exp(np.random.default_rng(5).normal(3, 2.5, size=2_000))
    fit = clv.fit_gamma_gamma(x, m_x)
    assert fit.model is None
    assert fit.message.startswith("q = ")
    assert "<= 1: the mean order value would be infinite" in fit.message


# --- the record --------------------------------------------------------------------------------


def test_the_model_survives_to_dict_and_from_dict_as_json(small: dict) -> None:
    model = clv.fit_forecast_model(small["x"], small["t_x"], small["T"], small["m_x"], sample_size=300, random_state=9)
    row = json.loads(json.dumps(model.to_dict()))
    assert {"bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gg_p", "gg_q", "gg_gamma", "log_likelihood"} <= set(row)
    assert {"customers", "repeat_customers", "converged", "sample_size", "random_state", "time_unit"} <= set(row)
    assert clv.ForecastModel.from_dict(row) == model
    without_spend = clv.ForecastModel.from_dict(row | {"gg_p": None, "gg_q": None, "gg_gamma": None})
    assert without_spend.gamma_gamma is None


def test_a_record_in_other_time_units_is_refused(small: dict) -> None:
    row = clv.fit_forecast_model(small["x"], small["t_x"], small["T"], small["m_x"]).to_dict()
    with pytest.raises(ValueError, match="time_unit: expected 'day', got 'week'"):
        clv.ForecastModel.from_dict(row | {"time_unit": "week"})


# --- the public boundary -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1, -1], [1, 0], [2, 2], "x: repeat orders must be whole numbers >= 0"),
        ([1.5], [1], [2], "x: repeat orders must be whole numbers >= 0"),
        ([1], [-1], [2], "t_x: days to the last order must be >= 0"),
        ([1], [3], [2], "t_x > T"),
        ([0], [1], [2], "t_x must be 0 where x == 0"),
        ([1, 2], [1], [2, 2], "arrays of different lengths"),
        ([1], [np.nan], [2], "t_x: every value must be finite"),
        ([[1]], [[1]], [[2]], "x: expected a 1-D array, got 2 dimensions"),
    ],
)
def test_histories_are_checked_at_the_boundary(x: list, t_x: list, T: list, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        ORDERS.p_alive(np.array(x, dtype=float), np.array(t_x, dtype=float), np.array(T, dtype=float))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        clv.fit_bgnbd(np.array(x, dtype=float), np.array(t_x, dtype=float), np.array(T, dtype=float))


@pytest.mark.parametrize("m_x", [[0.0], [-5.0], [np.nan], [np.inf]])
def test_a_repeat_customer_needs_a_positive_mean_order_value(m_x: list) -> None:
    with pytest.raises(ValueError, match="m_x: the mean repeat-order value must be finite and > 0 where x > 0"):
        SPEND.expected_order_value(np.array([2.0]), np.array(m_x))


def test_the_other_arguments_are_checked(small: dict) -> None:
    columns = (small["x"], small["t_x"], small["T"], small["m_x"])
    with pytest.raises(ValueError, match="horizon_days: expected a finite number >= 0, got -1"):
        clv.forecast(clv.fit_forecast_model(*columns), *columns, horizon_days=-1)
    with pytest.raises(ValueError, match="sample_size: expected a positive integer or None, got 0"):
        clv.fit_forecast_model(*columns, sample_size=0)
    with pytest.raises(ValueError, match="no customers to fit"):
        clv.fit_bgnbd(np.array([]), np.array([]), np.array([]))
    with pytest.raises(ValueError, match="repeat customers only"):
        SPEND.log_likelihood(np.array([0.0]), np.array([1.0]))
