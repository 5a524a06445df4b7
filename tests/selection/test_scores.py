"""Closed forms and known answers for the selection scores."""

import numpy as np
import pytest
from scipy.stats import norm

from transferkit import TransferKitInputError
from transferkit.selection import (
    dev_risk,
    importance_weighted_risk,
    prediction_entropy,
    soft_neighbourhood_density,
)


def test_iwcv_risk_with_unit_weights_is_the_mean_loss(rng):
    losses = rng.random(50)
    assert importance_weighted_risk(losses, np.ones(50)) == pytest.approx(losses.mean())


def test_iwcv_risk_is_the_weighted_mean():
    assert importance_weighted_risk([1.0, 0.0, 2.0], [2.0, 5.0, 0.5]) == pytest.approx(1.0)


def test_dev_closed_form(rng):
    losses, weights = rng.random(30), rng.gamma(2.0, 0.5, size=30)
    weighted = weights * losses
    eta = -np.cov(weighted, weights)[0, 1] / np.var(weights, ddof=1)
    result = dev_risk(losses, weights)
    assert result.eta == pytest.approx(eta)
    assert result.risk == pytest.approx(weighted.mean() + eta * weights.mean() - eta)
    assert result.weighted_risk == pytest.approx(weighted.mean())


def test_dev_with_constant_weights_equals_iwcv(rng):
    losses = rng.random(40)
    result = dev_risk(losses, np.full(40, 1.0))
    assert result.eta == 0.0
    assert result.risk == pytest.approx(importance_weighted_risk(losses, np.ones(40)))


def test_dev_control_variate_reduces_variance_with_known_answer():
    """Source N(0,1), target N(1,1): true ratio exp(x - 1/2), target risk P_t(x > 0.5)."""
    rng = np.random.default_rng(1)
    truth = 1.0 - norm.cdf(0.5, loc=1.0)
    iwcv, dev = [], []
    for _ in range(400):
        x = rng.normal(size=200)
        losses = (x > 0.5).astype(float)
        weights = np.exp(x - 0.5)
        iwcv.append(importance_weighted_risk(losses, weights))
        dev.append(dev_risk(losses, weights).risk)
    iwcv, dev = np.array(iwcv), np.array(dev)
    # both are (nearly) unbiased ...
    assert abs(iwcv.mean() - truth) < 3 * iwcv.std() / np.sqrt(400)
    assert abs(dev.mean() - truth) < 0.01
    # ... and the control variate removes most of the variance here
    assert dev.var() < 0.5 * iwcv.var()


def test_dev_needs_two_samples():
    with pytest.raises(TransferKitInputError, match="at least 2"):
        dev_risk([1.0], [1.0])


@pytest.mark.parametrize(
    ("losses", "weights", "match"),
    [
        ([1.0, np.nan], [1.0, 1.0], "NaN"),
        ([1.0, 2.0], [1.0, -1.0], "non-negative"),
        ([1.0, 2.0], [0.0, 0.0], "zero"),
        ([1.0, 2.0], [1.0], "entries"),
    ],
)
def test_weighted_risks_reject_bad_input(losses, weights, match):
    with pytest.raises(TransferKitInputError, match=match):
        importance_weighted_risk(losses, weights)


def test_prediction_entropy_closed_form():
    proba = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0.0]])
    expected = (0.0 + np.log(3) + np.log(2)) / 3
    assert prediction_entropy(proba) == pytest.approx(expected)


def test_prediction_entropy_rejects_scores_that_are_not_probabilities():
    with pytest.raises(TransferKitInputError, match="probabilities"):
        prediction_entropy([[2.0, -1.0]])


def _snd_reference(P, T):
    Q = P / np.linalg.norm(P, axis=1, keepdims=True)
    n = len(P)
    total = 0.0
    for j in range(n):
        sims = np.array([Q[j] @ Q[k] for k in range(n) if k != j]) / T
        s = np.exp(sims - sims.max())
        s /= s.sum()
        total += -(s * np.log(s)).sum()
    return total / n


def test_snd_matches_the_definition_and_is_batch_independent(rng):
    P = rng.dirichlet(np.ones(4), size=37)
    expected = _snd_reference(P, 0.05)
    assert soft_neighbourhood_density(P) == pytest.approx(expected)
    assert soft_neighbourhood_density(P, batch_size=5) == pytest.approx(expected)
    assert soft_neighbourhood_density(P, temperature=1.0) == pytest.approx(_snd_reference(P, 1.0))


def test_snd_ranks_clustered_predictions_above_scattered_ones(rng):
    """Confident predictions in 3 tight class clusters are denser than scattered ones."""
    n, k = 90, 3
    clustered = np.full((n, k), 0.02)
    clustered[np.arange(n), np.arange(n) % k] = 0.96
    clustered += rng.normal(scale=0.005, size=clustered.shape)
    clustered = np.abs(clustered) / np.abs(clustered).sum(axis=1, keepdims=True)
    scattered = rng.dirichlet(np.full(k, 0.7), size=n)
    assert soft_neighbourhood_density(clustered) > soft_neighbourhood_density(scattered)
    # a cluster of n/3 identical predictions has density close to log(n/3 - 1)
    assert soft_neighbourhood_density(clustered) == pytest.approx(np.log(n // k - 1), abs=0.05)
    # and entropy prefers the confident predictions as well
    assert prediction_entropy(clustered) < prediction_entropy(scattered)


def test_snd_needs_two_samples():
    with pytest.raises(TransferKitInputError, match="at least 2"):
        soft_neighbourhood_density([[0.5, 0.5]])
