"""KL, proxy A-distance, CORAL, energy and optimal-transport distances."""

from __future__ import annotations

import warnings

import numpy as np
import ot
import pytest
import torch
from scipy import stats
from scipy.spatial.distance import cdist
from sklearn.svm import LinearSVC

from transferkit._validation import DomainMismatchError, TransferKitInputError
from transferkit.metrics import (
    coral_distance,
    energy_distance,
    energy_test,
    gaussian_kl,
    kl_divergence_knn,
    proxy_a_distance,
    sinkhorn_distance,
    svm_training_a_distance,
    wasserstein_distance,
)


def _kl_normal(mu0, S0, mu1, S1):
    """Textbook formula with explicit inverse and determinants."""
    inv = np.linalg.inv(S1)
    d = len(mu0)
    dm = mu1 - mu0
    return 0.5 * (
        np.trace(inv @ S0) + dm @ inv @ dm - d + np.log(np.linalg.det(S1) / np.linalg.det(S0))
    )


def test_gaussian_kl_closed_form(rng):
    X = rng.normal(size=(300, 3)) @ np.array([[1, 0.3, 0], [0, 1, 0.2], [0, 0, 0.5]])
    Y = rng.normal(size=(200, 3)) * 1.5 + 1.0
    exact = _kl_normal(X.mean(0), np.cov(X.T), Y.mean(0), np.cov(Y.T))
    assert gaussian_kl(X, Y, reg=0.0) == pytest.approx(exact, rel=1e-10)
    both = exact + _kl_normal(Y.mean(0), np.cov(Y.T), X.mean(0), np.cov(X.T))
    assert gaussian_kl(X, Y, reg=0.0, symmetric=True) == pytest.approx(both, rel=1e-10)
    assert gaussian_kl(X, X, reg=0.0) == pytest.approx(0.0, abs=1e-10)


def test_gaussian_kl_singular_covariance_asks_for_reg():
    X = np.ones((10, 3))
    with pytest.raises(TransferKitInputError, match="reg > 0"):
        gaussian_kl(X, X + 1, reg=0.0)


@pytest.mark.parametrize("k", [1, 5])
def test_knn_kl_converges_to_closed_form(k):
    rng = np.random.default_rng(3)
    S1 = np.array([[2.0, 0.5], [0.5, 1.0]])
    exact = _kl_normal(np.zeros(2), np.eye(2), np.array([1.0, -0.5]), S1)
    estimates = [
        kl_divergence_knn(
            rng.normal(size=(4000, 2)), rng.multivariate_normal([1.0, -0.5], S1, size=4000), k=k
        )
        for _ in range(4)
    ]
    # Standard error of the mean about 0.03 for k=1; k=5 has a small downward bias.
    assert np.mean(estimates) == pytest.approx(exact, abs=0.08)
    X = rng.normal(size=(4000, 2))
    assert abs(kl_divergence_knn(X, rng.normal(size=(4000, 2)), k=k)) < 0.1


def test_knn_kl_duplicates_are_handled_and_too_few_samples_raise(rng):
    X = rng.normal(size=(40, 2))
    # ties: the k-th neighbour is taken among distinct points (Wang et al. 2009)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(kl_divergence_knn(np.vstack([X, X[:5]]), X + 1))
    with pytest.raises(TransferKitInputError, match="distinct neighbours"):
        kl_divergence_knn(np.vstack([X[:1]] * 10), X, k=5)
    with pytest.raises(TransferKitInputError, match="lower k"):
        kl_divergence_knn(X[:3], X, k=5)


def test_proxy_a_distance(rng):
    X = rng.normal(size=(120, 4))
    assert proxy_a_distance(X, X + 5.0, random_state=0) == 2.0
    same = proxy_a_distance(X, rng.normal(size=(100, 4)), random_state=0)
    assert 0.0 <= same < 0.5
    value, folds = proxy_a_distance(
        X, rng.normal(size=(100, 4)) + 0.8, random_state=0, return_folds=True
    )
    assert same < value < 2.0
    assert folds.shape == (5,)
    svm = proxy_a_distance(X, X + 5.0, estimator=LinearSVC(), cv=3, random_state=0)
    assert svm == 2.0
    with pytest.raises(TransferKitInputError, match="cv"):
        proxy_a_distance(X, X, cv=1)


def test_svm_training_a_distance_is_the_resubstitution_error(rng):
    X, Y = rng.normal(size=(60, 3)), rng.normal(size=(40, 3)) + 0.7
    both, domain = np.vstack([X, Y]), np.r_[np.zeros(60), np.ones(40)]
    for loss, dual in (("squared_hinge", "auto"), ("hinge", True)):
        svm = LinearSVC(C=0.5, loss=loss, dual=dual, max_iter=5000, random_state=0)
        error = np.mean(svm.fit(both, domain).predict(both) != domain)
        got = svm_training_a_distance(X, Y, C=0.5, loss=loss, max_iter=5000)
        assert got == pytest.approx(2 * (1 - 2 * error))
    assert svm_training_a_distance(X, X + 20.0) == 2.0
    assert svm_training_a_distance(X, Y[:0], empty_value=0.0) == 0.0
    with pytest.raises(TransferKitInputError, match="loss"):
        svm_training_a_distance(X, Y, loss="log")
    with pytest.raises(DomainMismatchError, match="X has 3 features but Y has 2"):
        svm_training_a_distance(X, Y[:, :2])


def test_proxy_a_distance_is_seeded(rng):
    X, Y = rng.normal(size=(60, 3)), rng.normal(size=(60, 3)) + 0.5
    assert proxy_a_distance(X, Y, random_state=3) == proxy_a_distance(X, Y, random_state=3)


def test_coral_distance(rng):
    X, Y = rng.normal(size=(50, 4)), rng.normal(size=(60, 4)) * 2
    diff = np.cov(X.T) - np.cov(Y.T)
    assert coral_distance(X, Y) == pytest.approx(np.sum(diff**2) / 64)
    assert coral_distance(X, Y) == pytest.approx(coral_distance(Y, X))
    assert coral_distance(X, X + 3.0) == pytest.approx(0.0, abs=1e-12)


def test_energy_distance_matches_scipy_and_direct(rng):
    x, y = rng.normal(size=70), rng.normal(size=90) * 2 + 1
    assert energy_distance(x[:, None], y[:, None]) == pytest.approx(
        stats.energy_distance(x, y), rel=1e-9
    )
    X, Y = rng.normal(size=(70, 6)), rng.normal(size=(90, 6)) + 0.3
    direct = 2 * cdist(X, Y).mean() - cdist(X, X).mean() - cdist(Y, Y).mean()
    for block, jobs in ((4096, None), (16, 2)):
        got = energy_distance(X, Y, squared=True, block_size=block, n_jobs=jobs)
        assert got == pytest.approx(direct, rel=1e-9)
    assert energy_distance(X, Y) == pytest.approx(energy_distance(Y, X))


def test_energy_test(rng):
    X = rng.normal(size=(60, 3))
    shifted = energy_test(X, rng.normal(size=(60, 3)) + 1.0, n_permutations=100, random_state=0)
    assert shifted.p_value < 0.02
    assert shifted.statistic > 0
    nulls = [
        energy_test(
            rng.normal(size=(20, 2)), rng.normal(size=(20, 2)), n_permutations=49, random_state=i
        ).p_value
        for i in range(60)
    ]
    assert stats.kstest(nulls, "uniform").pvalue > 0.01


def test_wasserstein_agrees_with_pot(rng):
    X, Y = rng.normal(size=(80, 3)), rng.normal(size=(60, 3)) + 1.0
    a, b = np.full(80, 1 / 80), np.full(60, 1 / 60)
    w2 = np.sqrt(ot.emd2(a, b, ot.dist(X, Y)))
    assert wasserstein_distance(X, Y) == pytest.approx(w2, rel=1e-9)
    w1 = ot.emd2(a, b, ot.dist(X, Y, metric="euclidean"))
    assert wasserstein_distance(X, Y, p=1) == pytest.approx(w1, rel=1e-9)
    x, y = rng.normal(size=50), rng.exponential(size=70)
    assert wasserstein_distance(x[:, None], y[:, None], p=1) == pytest.approx(
        stats.wasserstein_distance(x, y), rel=1e-9
    )
    assert wasserstein_distance(X, Y) == pytest.approx(wasserstein_distance(Y, X), rel=1e-9)


def test_sinkhorn_approaches_wasserstein(rng):
    X = rng.normal(size=(60, 2))
    Y = rng.normal(size=(60, 2)) + np.array([3.0, 0.0])
    exact = wasserstein_distance(X, Y)
    loose, tight = sinkhorn_distance(X, Y, reg=0.1), sinkhorn_distance(X, Y, reg=0.002)
    assert abs(tight - exact) < abs(loose - exact)
    assert tight == pytest.approx(exact, rel=0.02)
    # Kernel underflow (tiny reg) falls back to the log-domain solver instead of NaN.
    far = sinkhorn_distance(X[:20], Y[:20] + 30.0, reg=0.001, max_iter=500)
    assert far == pytest.approx(wasserstein_distance(X[:20], Y[:20] + 30.0), rel=0.02)


def test_transport_subsampling_is_seeded(rng):
    X, Y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
    a = wasserstein_distance(X, Y, max_samples=100, random_state=1)
    assert a == wasserstein_distance(X, Y, max_samples=100, random_state=1)
    assert a != wasserstein_distance(X, Y, max_samples=100, random_state=2)


@pytest.mark.parametrize(
    "fn",
    [coral_distance, energy_distance, gaussian_kl, kl_divergence_knn, wasserstein_distance],
)
def test_common_validation(fn, rng):
    X = rng.normal(size=(30, 3))
    with pytest.raises(DomainMismatchError):
        fn(X, X[:, :2])
    with pytest.raises(TransferKitInputError, match="2-D"):
        fn(X[:, 0], X)
    X0 = X.copy()
    value = fn(X, X + 1.0)
    assert fn(torch.from_numpy(X), torch.from_numpy(X + 1.0)) == pytest.approx(value)
    np.testing.assert_array_equal(X, X0)
