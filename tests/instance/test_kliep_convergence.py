"""KLIEP converges by default (gap bound), warm-starts the CV grid and warns at its cap."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from transferkit.instance import KLIEP
from transferkit.instance._kernels import gaussian_kernel
from transferkit.instance.kliep import kliep_solve


def _problem(seed=0, n=300, b=60, width=0.4):
    rng = np.random.default_rng(seed)
    Xt = rng.normal(size=(n, 2)) + np.array([1.0, 0.0])
    Xs = rng.normal(size=(2 * n, 2))
    C = Xt[rng.choice(n, b, replace=False)]
    return gaussian_kernel(Xt, C, width), gaussian_kernel(Xs, C, width).mean(axis=0)


def _loglik(A, alpha):
    return float(np.mean(np.log(A @ alpha)))


def test_gap_bounds_the_distance_to_the_optimum():
    A, b = _problem()
    best, _, best_gap = kliep_solve(A, b, max_iter=20000, tol=1e-12, return_gap=True)
    assert best_gap <= 1e-10
    for tol in (1e-2, 1e-3, 1e-4):
        alpha, _, gap = kliep_solve(A, b, tol=tol, return_gap=True)
        assert gap <= tol
        assert 0.0 <= _loglik(A, best) - _loglik(A, alpha) <= gap + 1e-12
        assert b @ alpha == pytest.approx(1.0)


def test_warm_start_reaches_the_same_optimum():
    A, b = _problem(seed=1)
    A2, b2 = _problem(seed=1, width=0.5)
    prev, _ = kliep_solve(A, b)
    best, _ = kliep_solve(A2, b2, max_iter=50000, tol=1e-7)
    warm, _, gap = kliep_solve(A2, b2, alpha0=prev, return_gap=True)
    assert gap <= 1e-4
    assert 0.0 <= _loglik(A2, best) - _loglik(A2, warm) <= 1e-4


def test_default_kliep_converges_without_warning(shift2d):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = KLIEP(cv=3).fit(shift2d.X_source, X_target=shift2d.X_target)
    assert est.convergence_ <= est.tol and est.n_iter_ < est.max_iter


def test_cap_warns(shift2d):
    with pytest.warns(ConvergenceWarning, match="max_iter=2 .*increase max_iter"):
        KLIEP(cv=2, max_iter=2, tol=1e-9).fit(shift2d.X_source, X_target=shift2d.X_target)
