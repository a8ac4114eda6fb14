"""PyMC-Marketing (the field's maintained reference, its `clv` module) as the oracle of segmentation/clv.py.

With flat priors its MAP is the maximum-likelihood answer, so on the same data our fits must land
on its estimates and our log-likelihood must be at least as high; on the same parameters its
predictions (P(alive), expected purchases, expected spend) and its model's log-probability must be
ours. Everything is in memory: nothing is downloaded. PyTensor compiles into a temporary folder
(not ~/.pytensor), in FAST_COMPILE mode: Python implementations, so a cold run compiles no C.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from segmentation import clv

ORDERS = clv.BgNbd(r=0.9, alpha=60.0, a=0.8, b=3.5)  # alpha per day
SPEND = clv.GammaGamma(p=6.25, q=3.74, gamma=15.44)
CUSTOMERS = 3_000
HORIZONS = (90.0, 365.0)


@pytest.fixture(scope="module")
def pymc(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """PyMC-Marketing's models, imported with PyTensor's flags set first (PyTensor reads them once)."""
    compiledir = tmp_path_factory.mktemp("pytensor")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTENSOR_FLAGS", f"base_compiledir={compiledir},mode=FAST_COMPILE")
        with warnings.catch_warnings():
            # Import-time notices of its dependencies (FutureWarning, UserWarning) are not ours to fix.
            warnings.simplefilter("ignore")
            import arviz
            import pandas
            import pytensor
            from pymc_extras.prior import Prior
            from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    assert Path(pytensor.config.base_compiledir) == compiledir, "PyTensor was imported before its flags were set"
    return SimpleNamespace(
        BetaGeoModel=BetaGeoModel, GammaGammaModel=GammaGammaModel, Prior=Prior, arviz=arviz, pandas=pandas
    )


@pytest.fixture(scope="module")
def customers() -> dict[str, np.ndarray]:
    """Whole days, as the pipeline has them, plus a few extremes: new today, just ordered, lapsed."""
    T = np.random.default_rng(51).integers(1, 901, size=CUSTOMERS).astype(np.float64)
    history = clv.simulate_bgnbd(ORDERS, T, random_state=52)
    x, t_x = history.x, np.floor(history.t_x)
    extremes = {"x": [0, 0, 1, 40, 40, 3], "t_x": [0, 0, 500, 500, 10, 0], "T": [0, 900, 500, 500, 800, 20]}
    columns = {"x": x, "t_x": t_x, "T": T}
    columns = {name: np.concatenate([values, extremes[name]]).astype(np.float64) for name, values in columns.items()}
    columns["m_x"] = clv.simulate_gamma_gamma(SPEND, columns["x"], random_state=53)
    return columns


def orders_frame(pymc: SimpleNamespace, data: dict[str, np.ndarray]) -> object:
    ids = np.arange(len(data["x"]))
    return pymc.pandas.DataFrame({"customer_id": ids, "frequency": data["x"], "recency": data["t_x"], "T": data["T"]})


def spend_frame(pymc: SimpleNamespace, data: dict[str, np.ndarray]) -> object:
    repeat = data["x"] > 0
    ids = np.arange(len(data["x"]))[repeat]
    return pymc.pandas.DataFrame(
        {"customer_id": ids, "frequency": data["x"][repeat], "monetary_value": data["m_x"][repeat]}
    )


def flat_bgnbd(pymc: SimpleNamespace) -> object:
    return pymc.BetaGeoModel(model_config={name: pymc.Prior("HalfFlat") for name in ("r", "alpha", "a", "b")})


def single_draw(pymc: SimpleNamespace, **values: float) -> object:
    """An InferenceData whose posterior is these values: one chain, one draw."""
    return pymc.arviz.from_dict(posterior={name: np.array([[value]]) for name, value in values.items()})


@pytest.fixture(scope="module")
def theirs(pymc: SimpleNamespace, customers: dict) -> SimpleNamespace:
    """PyMC-Marketing's flat-prior MAP fits of both models (the module's one expensive step)."""
    # SciPy's default tolerance on PyMC's total (not mean) log-probability stops about 1e-4 short in
    # the parameters; tightened, both optimisers reach the same maximum.
    tight = {"method": "map", "progressbar": False, "options": {"ftol": 1e-15, "gtol": 1e-9}}
    bgnbd = flat_bgnbd(pymc)
    bgnbd.fit(data=orders_frame(pymc, customers), **tight)
    spend = pymc.GammaGammaModel()  # its default priors are flat (HalfFlat) already
    spend.fit(data=spend_frame(pymc, customers), **tight)
    estimate = {name: float(bgnbd.fit_result[name].values.item()) for name in ("r", "alpha", "a", "b")}
    spend_estimate = {name: float(spend.fit_result[name].values.item()) for name in ("p", "q", "v")}
    return SimpleNamespace(
        bgnbd=clv.BgNbd(**estimate),
        gamma_gamma=clv.GammaGamma(spend_estimate["p"], spend_estimate["q"], spend_estimate["v"]),
        model=bgnbd,
    )


@pytest.fixture(scope="module")
def ours(customers: dict) -> clv.ForecastModel:
    return clv.fit_forecast_model(customers["x"], customers["t_x"], customers["T"], customers["m_x"], sample_size=None)


def test_our_bgnbd_mle_is_pymc_marketings_flat_prior_map(
    ours: clv.ForecastModel, theirs: SimpleNamespace, customers: dict
) -> None:
    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours.bgnbd, name) == pytest.approx(getattr(theirs.bgnbd, name), rel=1e-6), name
    # Ours is the maximum: PyMC's estimate is no better.
    at_theirs = theirs.bgnbd.log_likelihood(customers["x"], customers["t_x"], customers["T"]).sum()
    assert ours.log_likelihood >= at_theirs - 1e-7


def test_our_gamma_gamma_mle_is_pymc_marketings_flat_prior_map(
    ours: clv.ForecastModel, theirs: SimpleNamespace, customers: dict
) -> None:
    assert ours.gamma_gamma is not None
    for name in ("p", "q", "gamma"):
        assert getattr(ours.gamma_gamma, name) == pytest.approx(getattr(theirs.gamma_gamma, name), rel=1e-6), name
    repeat = customers["x"] > 0
    at_theirs = theirs.gamma_gamma.log_likelihood(customers["x"][repeat], customers["m_x"][repeat]).sum()
    assert ours.gamma_gamma_log_likelihood >= at_theirs - 1e-7


def test_our_log_likelihood_is_its_models_log_probability(
    ours: clv.ForecastModel, theirs: SimpleNamespace, customers: dict
) -> None:
    # Flat priors add nothing, so PyMC's log-probability (without the log-transform's Jacobian) at
    # a point is the BG/NBD log-likelihood there.
    logp = theirs.model.model.compile_logp(jacobian=False)
    for model in (ours.bgnbd, ORDERS):
        point = {f"{name}_log__": np.log(getattr(model, name)) for name in ("r", "alpha", "a", "b")}
        expected = model.log_likelihood(customers["x"], customers["t_x"], customers["T"]).sum()
        assert float(logp(point)) == pytest.approx(expected, rel=1e-10)


def test_predictions_equal_pymc_marketings_on_the_same_parameters(
    pymc: SimpleNamespace, ours: clv.ForecastModel, customers: dict
) -> None:
    frame = orders_frame(pymc, customers)
    oracle = flat_bgnbd(pymc)
    oracle.build_model(data=frame)
    b = ours.bgnbd
    oracle.idata = single_draw(pymc, r=b.r, alpha=b.alpha, a=b.a, b=b.b)
    x, t_x, T = customers["x"], customers["t_x"], customers["T"]
    np.testing.assert_allclose(
        b.p_alive(x, t_x, T), oracle.expected_probability_alive(frame).values.ravel(), rtol=1e-6, atol=1e-12
    )
    for horizon in HORIZONS:
        theirs = oracle.expected_purchases(frame, future_t=horizon).values.ravel()
        np.testing.assert_allclose(b.expected_orders(x, t_x, T, horizon_days=horizon), theirs, rtol=1e-6, atol=1e-12)

    spend = pymc.GammaGammaModel()
    g = ours.gamma_gamma
    spend.idata = single_draw(pymc, p=g.p, q=g.q, v=g.gamma)
    repeat = x > 0
    theirs = spend.expected_customer_spend(spend_frame(pymc, customers)).values.ravel()
    np.testing.assert_allclose(g.expected_order_value(x[repeat], customers["m_x"][repeat]), theirs, rtol=1e-6)


def test_where_pymc_marketings_2f1_overflows_ours_stays_finite(pymc: SimpleNamespace) -> None:
    # Customers who ordered a thousand and five thousand times, the last time today.
    data = {"x": np.array([1_000.0, 5_000.0]), "t_x": np.array([30.0, 900.0]), "T": np.array([30.0, 900.0])}
    frame = orders_frame(pymc, data)
    oracle = flat_bgnbd(pymc)
    oracle.build_model(data=frame)
    oracle.idata = single_draw(pymc, r=ORDERS.r, alpha=ORDERS.alpha, a=ORDERS.a, b=ORDERS.b)
    with np.errstate(all="ignore"):
        theirs = oracle.expected_purchases(frame, future_t=HORIZONS[1]).values.ravel()
    assert np.isnan(theirs).all()  # what this test documents: the reason for the Euler transform
    ours = ORDERS.expected_orders(data["x"], data["t_x"], data["T"], horizon_days=HORIZONS[1])
    assert np.isfinite(ours).all()
    assert (ours > 0).all()
