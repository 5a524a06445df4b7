"""KMM's solvers stop on a duality-gap bound, warn at their cap and refuse early."""

import time
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from transferkit._validation import MemoryBudgetError, WeightCollapseWarning
from transferkit.instance import KMM
from transferkit.instance._kernels import gaussian_kernel
from transferkit.instance.kmm import _min_linear


@pytest.fixture(scope="module")
def highdim():
    """The benchmark's problem at a small size: d = 50, a shifted and shrunk target."""
    rng = np.random.default_rng(0)
    Xs = rng.normal(size=(600, 50))
    Xt = rng.normal(size=(600, 50)) * 0.9 + 0.15
    return Xs, Xt, float(np.sqrt(2 * 50))


def _objective(Xs, Xt, sigma):
    K = gaussian_kernel(Xs, Xs, sigma)
    kappa = gaussian_kernel(Xs, Xt, sigma).sum(axis=1) * Xs.shape[0] / Xt.shape[0]
    return lambda w: 0.5 * w @ K @ w - kappa @ w


def test_linear_minimiser_over_the_box_and_sum_set():
    from scipy.optimize import linprog

    rng = np.random.default_rng(3)
    for low, high in ((2.0, 5.0), (9.0, 12.0), (0.0, 1.5)):
        g = rng.normal(size=10)
        ref = linprog(g, A_ub=[np.ones(10), -np.ones(10)], b_ub=[high, -low], bounds=(0, 2.0))
        assert _min_linear(g, 2.0, low, high) == pytest.approx(ref.fun, abs=1e-9)


def test_default_pgd_reaches_the_exact_qp_solution(highdim):
    Xs, Xt, sigma = highdim
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightCollapseWarning)
        warnings.simplefilter("error", ConvergenceWarning)  # the default must converge
        qp = KMM(sigma=sigma, solver="qp").fit(Xs, X_target=Xt)
        pgd = KMM(sigma=sigma, solver="pgd").fit(Xs, X_target=Xt)
    f = _objective(Xs, Xt, sigma)
    fstar, f1 = f(qp.weights_), f(np.ones(len(Xs)))
    rel = (f(pgd.weights_) - fstar) / (f1 - fstar)
    # the stopping rule bounds the relative sub-optimality by tol (1e-3)
    assert rel <= pgd.convergence_ <= pgd.tol
    assert np.corrcoef(pgd.weights_, qp.weights_)[0, 1] > 0.99
    assert pgd.solver_ == "pgd" and 0 < pgd.n_iter_ < pgd.max_iter
    assert qp.convergence_ < 1e-3  # the interior-point optimum has a tiny gap too


def test_cap_warns_and_records_iterations_and_gap(highdim):
    Xs, Xt, sigma = highdim
    for solver in ("pgd", "nystroem"):
        with pytest.warns(ConvergenceWarning, match="max_iter=5.*relative duality gap"):
            est = KMM(sigma=sigma, solver=solver, max_iter=5, n_landmarks=100)
            est.fit(Xs, X_target=Xt)
        assert est.n_iter_ == 5 and est.convergence_ > est.tol


def test_nystroem_converges_on_its_own_objective(highdim):
    Xs, Xt, sigma = highdim
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", WeightCollapseWarning)
        est = KMM(sigma=sigma, solver="nystroem", n_landmarks=200).fit(Xs, X_target=Xt)
    assert est.convergence_ <= est.tol


def test_auto_solver_is_recorded_and_resolvable():
    assert KMM().resolve_solver(1000) == "qp"
    assert KMM().resolve_solver(1001) == "pgd"
    assert KMM().resolve_solver(10**6) == "nystroem"
    assert KMM(solver="pgd").resolve_solver(10) == "pgd"


def test_exact_qp_refuses_before_any_kernel_work(monkeypatch):
    # 30,000 samples: refused from the shapes alone, long before an O(n^2) kernel
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "8G")
    import transferkit.instance.kmm as kmm_module

    def no_kernels(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("a kernel was computed before the memory check")

    monkeypatch.setattr(kmm_module, "kernel_row_blocks", no_kernels)
    monkeypatch.setattr(kmm_module, "median_heuristic", no_kernels)
    Xs = np.zeros((30_000, 2))
    Xs[:, 0] = np.arange(30_000)
    start = time.perf_counter()
    with pytest.raises(MemoryBudgetError, match=r'20\.\d GiB.*solver="pgd".*"nystroem"'):
        KMM(solver="qp").fit(Xs, X_target=Xs[:100])
    with pytest.raises(MemoryBudgetError, match="smaller max_kernel_memory"):
        KMM(solver="pgd", max_kernel_memory=1e12).fit(np.tile(Xs, (2, 1)), X_target=Xs[:100])
    assert time.perf_counter() - start < 5.0
