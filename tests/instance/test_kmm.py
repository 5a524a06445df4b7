import warnings

import numpy as np
import pytest
from sklearn.base import clone

from transferkit._validation import MemoryBudgetError, TransferKitInputError, WeightCollapseWarning
from transferkit.instance import KMM
from transferkit.instance._kernels import gaussian_kernel
from transferkit.instance.kmm import project_box_sum
from transferkit.instance.synthetic import make_gaussian_shift
from transferkit.metrics import median_heuristic


def _mmd2(Xs, Xt, w, sigma):
    """Squared MMD between the w-weighted source and the target (dense, small n)."""
    w = w / w.sum()
    Kss = gaussian_kernel(Xs, Xs, sigma)
    Kst = gaussian_kernel(Xs, Xt, sigma)
    Ktt = gaussian_kernel(Xt, Xt, sigma)
    return float(w @ Kss @ w - 2 * w @ Kst.mean(1) + Ktt.mean())


@pytest.fixture(scope="module")
def prob():
    return make_gaussian_shift(300, 200, 3, shift=1.0, random_state=4)


def test_median_heuristic_is_the_median_distance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    d = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))[np.triu_indices(40, 1)]
    assert median_heuristic(X) == pytest.approx(np.median(d))
    # mostly duplicated rows: the median of the distinct pairs, not 0
    dup = np.vstack([np.zeros((30, 2)), [[3.0, 4.0]], [[6.0, 8.0]]])
    assert median_heuristic(dup) == pytest.approx(5.0)


def test_projection_is_the_euclidean_projection():
    rng = np.random.default_rng(1)
    from scipy.optimize import minimize

    v = rng.normal(size=8) * 3
    lo, hi, B = 2.0, 4.0, 1.5
    p = project_box_sum(v, B, lo, hi)
    cons = [
        {"type": "ineq", "fun": lambda x: x.sum() - lo},
        {"type": "ineq", "fun": lambda x: hi - x.sum()},
    ]
    ref = minimize(
        lambda x: ((x - v) ** 2).sum(), np.full(8, 0.3), bounds=[(0, B)] * 8, constraints=cons
    )
    np.testing.assert_allclose(p, ref.x, atol=1e-5)


def test_qp_and_pgd_solve_the_same_problem(prob):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WeightCollapseWarning)
        qp = KMM(solver="qp").fit(prob.X_source, X_target=prob.X_target)
        pgd = KMM(solver="pgd", tol=1e-4, max_iter=20000).fit(prob.X_source, X_target=prob.X_target)
    ns = prob.X_source.shape[0]
    for est in (qp, pgd):
        w = est.weights_
        assert w.min() >= 0 and w.max() <= est.B + 1e-6
        assert abs(w.sum() - ns) <= ns * est.epsilon_ + 1e-6
    assert qp.epsilon_ == pytest.approx((np.sqrt(ns) - 1) / np.sqrt(ns))
    # QP gives the optimum; PGD comes within a tiny share of the MMD reduction
    sigma = qp.sigma_
    uniform = _mmd2(prob.X_source, prob.X_target, np.ones(ns), sigma)
    m_qp = _mmd2(prob.X_source, prob.X_target, qp.weights_, sigma)
    m_pgd = _mmd2(prob.X_source, prob.X_target, pgd.weights_, sigma)
    assert m_qp < 0.1 * uniform
    assert m_qp <= m_pgd + 1e-9
    assert m_pgd - m_qp < 0.02 * (uniform - m_qp)
    assert qp.objective_ <= pgd.objective_ + 1e-6


def test_blocked_and_cached_kernels_agree(prob):
    a = KMM(solver="pgd", block_size=64).fit(prob.X_source, X_target=prob.X_target)
    b = KMM(solver="pgd", max_kernel_memory=0).fit(prob.X_source, X_target=prob.X_target)
    np.testing.assert_allclose(a.weights_, b.weights_, rtol=1e-4, atol=1e-4)


def test_box_bound_is_respected(prob):
    w = KMM(B=2.0).fit(prob.X_source, X_target=prob.X_target).weights_
    assert w.max() <= 2.0 + 1e-7
    with pytest.raises(TransferKitInputError, match=r"B=0\.001 is too small"):
        KMM(B=0.001, epsilon=0.1).fit(prob.X_source, X_target=prob.X_target)


def test_out_of_sample_weights_smooth_training_weights(prob):
    est = KMM(solver="pgd").fit(prob.X_source, X_target=prob.X_target)
    new = prob.X_target[:7]
    K = gaussian_kernel(new, prob.X_source, est.sigma_)
    expected = K @ est.weights_ / K.sum(axis=1)  # Nadaraya-Watson smoothing
    np.testing.assert_allclose(est.compute_weights(new), expected, rtol=1e-4)


def test_exact_qp_refuses_what_does_not_fit(monkeypatch, prob):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "10K")
    with pytest.raises(MemoryBudgetError, match='solver="pgd"'):
        KMM(solver="qp").fit(prob.X_source, X_target=prob.X_target)


def test_params_and_bad_options(prob):
    est = KMM(sigma=2.0)
    assert clone(est).get_params() == est.get_params()
    with pytest.raises(TransferKitInputError, match="solver"):
        KMM(solver="cg").fit(prob.X_source, X_target=prob.X_target)
    with pytest.raises(TransferKitInputError, match="sigma"):
        KMM(sigma=-1.0).fit(prob.X_source, X_target=prob.X_target)


def test_nystroem_solver_matches_the_exact_problem(prob):
    ns = prob.X_source.shape[0]
    exact = KMM(solver="pgd").fit(prob.X_source, X_target=prob.X_target)
    approx = KMM(solver="nystroem", n_landmarks=200).fit(prob.X_source, X_target=prob.X_target)
    assert approx.solver_ == "nystroem" and approx.n_landmarks_ == 200
    sigma = exact.sigma_
    uniform = _mmd2(prob.X_source, prob.X_target, np.ones(ns), sigma)
    m_exact = _mmd2(prob.X_source, prob.X_target, exact.weights_, sigma)
    m_approx = _mmd2(prob.X_source, prob.X_target, approx.weights_, sigma)
    # measured with the exact kernel, the Nystroem solution removes nearly as much MMD
    assert m_approx - m_exact < 0.05 * (uniform - m_exact)
    assert np.corrcoef(approx.weights_, exact.weights_)[0, 1] > 0.9
    w = approx.weights_
    assert w.min() >= 0 and abs(w.sum() - ns) <= ns * approx.epsilon_ + 1e-6
