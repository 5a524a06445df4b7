"""MMD: closed forms, block-wise agreement with direct n x n sums, calibrated tests."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.spatial.distance import cdist

from transferkit._validation import DomainMismatchError, MemoryBudgetError, TransferKitInputError
from transferkit.metrics import median_heuristic, mmd2, mmd_test
from transferkit.metrics.mmd import kernel_gammas


def _direct_mmd(X, Y, gammas, estimator):
    """Reference: full kernel matrices."""

    def k(A, B):
        d2 = cdist(A, B, "sqeuclidean")
        return np.mean([np.exp(-g * d2) for g in gammas], axis=0)

    Kxx, Kyy, Kxy = k(X, X), k(Y, Y), k(X, Y)
    m, n = len(X), len(Y)
    if estimator == "biased":
        return Kxx.mean() + Kyy.mean() - 2 * Kxy.mean()
    return (
        (Kxx.sum() - np.trace(Kxx)) / (m * (m - 1))
        + (Kyy.sum() - np.trace(Kyy)) / (n * (n - 1))
        - 2 * Kxy.mean()
    )


@pytest.fixture
def pair(rng):
    return rng.normal(size=(157, 5)), rng.normal(size=(203, 5)) * 1.3 + 0.4


@pytest.mark.parametrize("estimator", ["biased", "unbiased"])
@pytest.mark.parametrize("kernel", ["gaussian", "multi"])
def test_blockwise_matches_direct(pair, estimator, kernel):
    X, Y = pair
    sigma = 1.7
    direct = _direct_mmd(X, Y, kernel_gammas(kernel, sigma), estimator)
    for block, jobs in ((1000, None), (32, 1), (50, 2)):
        got = mmd2(
            X, Y, kernel=kernel, bandwidth=sigma, estimator=estimator, block_size=block, n_jobs=jobs
        )
        assert got == pytest.approx(direct, rel=1e-10, abs=1e-12)
    f32 = mmd2(
        X, Y, kernel=kernel, bandwidth=sigma, estimator=estimator, dtype="float32", block_size=64
    )
    assert f32 == pytest.approx(direct, rel=1e-4, abs=1e-6)


def test_linear_kernel_is_squared_mean_difference(pair):
    X, Y = pair
    diff = X.mean(0) - Y.mean(0)
    assert mmd2(X, Y, kernel="linear", estimator="biased") == pytest.approx(diff @ diff)
    # Unbiased: the same with the diagonal terms removed (direct n x n computation).
    Kxx, Kyy, Kxy = X @ X.T, Y @ Y.T, X @ Y.T
    m, n = len(X), len(Y)
    direct = (
        (Kxx.sum() - np.trace(Kxx)) / (m * (m - 1))
        + (Kyy.sum() - np.trace(Kyy)) / (n * (n - 1))
        - 2 * Kxy.mean()
    )
    assert mmd2(X, Y, kernel="linear") == pytest.approx(direct, rel=1e-10)


def test_gaussian_closed_form(rng):
    """Population MMD² between N(0, I) and N(mu, I) for a Gaussian kernel of width sigma:
    2 (sigma²/c)^(d/2) (1 - exp(-|mu|²/2c)) with c = sigma² + 2."""
    d, sigma = 2, 1.5
    mu = np.array([1.0, 0.5])
    c = sigma**2 + 2
    exact = 2 * (sigma**2 / c) ** (d / 2) * (1 - np.exp(-(mu @ mu) / (2 * c)))
    estimates = [
        mmd2(rng.normal(size=(1000, d)), rng.normal(size=(1000, d)) + mu, bandwidth=sigma)
        for _ in range(8)
    ]
    # 8 x 1000 samples: standard error about 0.006.
    assert np.mean(estimates) == pytest.approx(exact, abs=0.02)


def test_symmetry_and_identity(pair):
    X, Y = pair
    assert mmd2(X, Y, bandwidth=1.0) == pytest.approx(mmd2(Y, X, bandwidth=1.0), rel=1e-12)
    assert mmd2(X, X, bandwidth=1.0, estimator="biased") == pytest.approx(0.0, abs=1e-12)


def test_unbiased_is_zero_in_expectation_under_the_null():
    rng = np.random.default_rng(1)
    unbiased, biased = [], []
    for _ in range(300):
        X, Y = rng.normal(size=(20, 3)), rng.normal(size=(25, 3))
        unbiased.append(mmd2(X, Y, bandwidth=1.0))
        biased.append(mmd2(X, Y, bandwidth=1.0, estimator="biased"))
    unbiased = np.array(unbiased)
    se = unbiased.std(ddof=1) / np.sqrt(unbiased.size)
    assert abs(unbiased.mean()) < 3 * se
    # ... while the V-statistic is biased upwards by about (1 - E k)/m + (1 - E k)/n.
    assert np.mean(biased) > 10 * se


def test_linear_time_estimator_matches_its_definition(pair):
    X, Y = pair
    rs = np.random.RandomState(3)
    xi, yi = rs.permutation(len(X))[:156], rs.permutation(len(Y))[:156]
    g = 1 / (2 * 1.2**2)

    def k(a, b):
        return np.exp(-g * np.sum((a - b) ** 2, 1))

    x1, x2, y1, y2 = X[xi[0::2]], X[xi[1::2]], Y[yi[0::2]], Y[yi[1::2]]
    direct = np.mean(k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1))
    got = mmd2(X, Y, bandwidth=1.2, estimator="linear", random_state=3)
    assert got == pytest.approx(direct, rel=1e-12)


def test_median_heuristic(rng):
    X = rng.normal(size=(50, 3))
    assert median_heuristic(X) == pytest.approx(np.median(cdist(X, X)[np.triu_indices(50, 1)]))
    big = rng.normal(size=(3000, 2))
    assert median_heuristic(big, random_state=0) == median_heuristic(big, random_state=0)


def test_permutation_pvalues_are_uniform_under_the_null():
    rng = np.random.default_rng(7)
    pvalues = [
        mmd_test(
            rng.normal(size=(25, 2)), rng.normal(size=(30, 2)), n_permutations=99, random_state=i
        ).p_value
        for i in range(120)
    ]
    assert stats.kstest(pvalues, "uniform").pvalue > 0.01
    assert 0.0 < np.mean(np.array(pvalues) < 0.05) < 0.12


@pytest.mark.parametrize("estimator", ["unbiased", "biased", "linear"])
def test_test_detects_a_shift(rng, estimator):
    X, Y = rng.normal(size=(300, 3)), rng.normal(size=(300, 3)) + 0.6
    result = mmd_test(X, Y, estimator=estimator, n_permutations=200, random_state=0)
    assert result.p_value < 0.01
    assert (
        result.statistic
        == pytest.approx(
            mmd2(X, Y, estimator=estimator, bandwidth=result.bandwidth, random_state=0)
        )
        if estimator != "linear"
        else result.statistic > 0
    )


def test_permutation_statistic_matches_mmd2(pair):
    X, Y = pair
    for kernel in ("gaussian", "linear"):
        result = mmd_test(X, Y, kernel=kernel, bandwidth=1.3, n_permutations=10, random_state=0)
        assert result.statistic == pytest.approx(mmd2(X, Y, kernel=kernel, bandwidth=1.3))
        assert result.null_distribution.shape == (10,)


def test_torch_inputs_and_no_mutation(pair):
    X, Y = pair
    X0 = X.copy()
    expected = mmd2(X, Y, bandwidth=1.0)
    got = mmd2(torch.from_numpy(X).float(), torch.from_numpy(Y), bandwidth=1.0)
    assert got == pytest.approx(expected, rel=1e-5)
    np.testing.assert_array_equal(X, X0)


def test_bad_inputs(pair):
    X, Y = pair
    with pytest.raises(DomainMismatchError, match="5 features"):
        mmd2(X, Y[:, :3])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(TransferKitInputError, match="NaN"):
        mmd2(bad, Y)
    with pytest.raises(TransferKitInputError, match="kernel="):
        mmd2(X, Y, kernel="laplace")
    with pytest.raises(TransferKitInputError, match="estimator="):
        mmd2(X, Y, estimator="fast")
    with pytest.raises(TransferKitInputError, match="bandwidth"):
        mmd2(X, Y, bandwidth=-1.0)
    with pytest.raises(TransferKitInputError, match="2-D"):
        mmd2(X[:, 0], Y)
    with pytest.raises(TransferKitInputError, match="identical"):
        mmd2(np.ones((5, 2)), np.ones((5, 2)))


def test_permutation_test_refuses_too_little_memory(pair, monkeypatch):
    X, Y = pair
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "1M")
    with pytest.raises(MemoryBudgetError, match="estimator='linear'"):
        mmd_test(X, Y)
    assert mmd_test(X, Y, estimator="linear", random_state=0).p_value <= 1.0
