import numpy as np
import pytest
from scipy import stats

from helpers import losses

RNG = np.random.default_rng(0)


def test_log_normal_pdf_matches_scipy():
    x, mean = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))
    log_var = RNG.normal(size=(5, 3))
    expected = stats.norm.logpdf(x, mean, np.exp(log_var / 2)).sum(axis=-1)
    np.testing.assert_allclose(losses.log_normal_pdf(x, mean, log_var), expected, rtol=1e-5)


def test_gaussian_kl_matches_the_formula_and_is_zero_at_the_prior():
    mean, log_var = RNG.normal(size=(4, 6)), RNG.normal(size=(4, 6))
    var = np.exp(log_var)
    expected = 0.5 * np.sum(var + mean**2 - 1 - log_var, axis=-1)
    np.testing.assert_allclose(losses.gaussian_kl(mean, log_var), expected, rtol=1e-5)
    np.testing.assert_allclose(losses.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3))), 0.0, atol=1e-7)


def test_monte_carlo_kl_converges_to_the_closed_form():
    mean, log_var = np.array([[0.5, -1.0]]), np.array([[0.3, -0.7]])
    n = 200_000
    z = mean + np.exp(log_var / 2) * RNG.normal(size=(n, 2))
    mc = np.mean(np.asarray(losses.log_normal_pdf(z, mean, log_var))
                 - np.asarray(losses.log_normal_pdf(z, np.zeros(2), np.zeros(2))))
    assert mc == pytest.approx(float(losses.gaussian_kl(mean, log_var)[0]), abs=0.01)


def test_bernoulli_log_likelihood_matches_numpy():
    x = (RNG.random((3, 4, 4)) > 0.5).astype("float32")
    logits = RNG.normal(size=(3, 4, 4)).astype("float32") * 3
    p = 1 / (1 + np.exp(-logits))
    expected = np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=(1, 2))
    np.testing.assert_allclose(losses.bernoulli_log_likelihood(x, logits), expected, rtol=1e-4)


def test_bernoulli_log_likelihood_is_stable_for_large_logits():
    out = np.asarray(losses.bernoulli_log_likelihood(np.array([[1.0, 0.0]]), np.array([[200.0, -200.0]])))
    assert np.isfinite(out).all() and out[0] == pytest.approx(0.0, abs=1e-6)
