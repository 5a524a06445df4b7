"""LogME, LEEP, NCE and H-score: hand-computed cases and an independent LogME check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import optimize
from scipy.stats import multivariate_normal

from transferkit._validation import LabelError, TransferKitInputError
from transferkit.metrics import h_score, leep, logme, logme_evidence, nce


def _direct_log_evidence(F, t, log_alpha, log_beta):
    """log N(t | 0, I/beta + F F^T / alpha): the marginal likelihood, no SVD."""
    alpha, beta = np.exp(log_alpha), np.exp(log_beta)
    cov = np.eye(len(t)) / beta + F @ F.T / alpha
    return multivariate_normal(mean=np.zeros(len(t)), cov=cov).logpdf(t)


@pytest.mark.parametrize("shape", [(12, 3), (30, 5), (6, 9)])
def test_logme_evidence_is_the_maximum_of_the_marginal_likelihood(shape):
    rng = np.random.default_rng(4)
    F = rng.normal(size=shape)
    t = (F @ rng.normal(size=shape[1]) + 0.5 * rng.normal(size=shape[0]) > 0).astype(float)
    evidence, alpha, beta = logme_evidence(F, t)
    # Same value as the direct Gaussian marginal likelihood at the returned precisions
    # (also when there are more features than samples) ...
    assert evidence == pytest.approx(_direct_log_evidence(F, t, np.log(alpha), np.log(beta)))
    if shape[0] < shape[1]:
        return  # the supremum may then lie at alpha -> inf, outside the fixed point's reach
    # ... and that is the maximum found by a generic optimiser.
    best = optimize.minimize(
        lambda v: -_direct_log_evidence(F, t, *v),
        x0=[0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000},
    )
    assert evidence == pytest.approx(-best.fun, abs=1e-6)


def test_logme_averages_classes_and_ranks_features():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 40)
    F = rng.normal(size=(120, 4))
    expected = np.mean([logme_evidence(F, (y == c).astype(float))[0] / 120 for c in range(3)])
    assert logme(F, y) == pytest.approx(expected)
    informative = np.c_[np.eye(3)[y] + 0.2 * rng.normal(size=(120, 3)), F]
    assert logme(informative, y) > logme(F, y)
    assert logme(torch.from_numpy(F), y) == pytest.approx(logme(F, y))
    assert logme(F, np.array(["a", "b", "c"])[y]) == pytest.approx(logme(F, y))


def test_leep_hand_computed():
    theta = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    y = np.array([0, 0, 1, 1])
    # joint P(y, z) = 1/4 * [[1.5, 0.5], [0.5, 1.5]]; P(z) = [0.5, 0.5]
    # P(y|z) = [[0.75, 0.25], [0.25, 0.75]]
    eep = [
        0.9 * 0.75 + 0.1 * 0.25,
        0.6 * 0.75 + 0.4 * 0.25,
        0.2 * 0.25 + 0.8 * 0.75,
        0.3 * 0.25 + 0.7 * 0.75,
    ]
    assert leep(theta, y) == pytest.approx(np.mean(np.log(eep)))
    # A source model blind to the target classes scores log P(y).
    uniform = np.full((4, 3), 1 / 3)
    assert leep(uniform, [0, 0, 0, 1]) == pytest.approx(np.mean(np.log([0.75, 0.75, 0.75, 0.25])))


def test_leep_refuses_logits():
    with pytest.raises(TransferKitInputError, match="logits"):
        leep(np.array([[2.0, -1.0], [0.5, 0.1]]), [0, 1])
    with pytest.raises(TransferKitInputError, match="sum to 1"):
        leep(np.array([[0.2, 0.1], [0.5, 0.1]]), [0, 1])


def test_nce_hand_computed():
    z = np.array([0, 0, 0, 1, 1, 1])
    y = np.array([0, 0, 1, 1, 1, 1])
    # H(Y|Z) = 1/2 * H(2/3, 1/3) + 1/2 * 0
    h = -(2 / 3 * np.log(2 / 3) + 1 / 3 * np.log(1 / 3))
    assert nce(z, y) == pytest.approx(-0.5 * h)
    probs = np.eye(2)[z] * 0.8 + 0.1
    assert nce(probs, y) == pytest.approx(-0.5 * h)
    assert nce(["cat", "dog", "cat"], [1, 0, 1]) == pytest.approx(0.0)


def test_h_score_hand_computed():
    f = np.array([[0.0, 1.0], [2.0, -1.0], [4.0, -1.0], [6.0, 1.0]])
    y = np.array([0, 0, 1, 1])
    # cov(f) = diag(5, 1); class means give cov(E[f|y]) = diag(4, 0)  -> 4/5
    assert h_score(f, y) == pytest.approx(0.8)
    assert h_score(f[:, [1]], y) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("fn", [logme, h_score])
def test_label_errors(fn):
    F = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(LabelError, match="single class"):
        fn(F, np.zeros(10))
    with pytest.raises(LabelError, match="10 rows"):
        fn(F, np.zeros(9))
    with pytest.raises(LabelError, match="continuous"):
        fn(F, np.linspace(0, 1, 10))
