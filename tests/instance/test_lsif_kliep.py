import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.instance import KLIEP, ULSIF, RuLSIF
from transferkit.instance.kliep import kliep_solve
from transferkit.instance.ulsif import loo_scores


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_closed_form_loo_equals_brute_force(alpha):
    rng = np.random.default_rng(0)
    pt, ps = rng.random((25, 6)), rng.random((33, 6))
    lams = np.array([1e-3, 0.1, 1.0])
    fast = loo_scores(pt, ps, alpha, lams)
    for k, lam in enumerate(lams):
        scores = []
        for i in range(25):
            t, s = np.delete(pt, i, 0), np.delete(ps, i, 0)
            A = alpha * t.T @ t / len(t) + (1 - alpha) * s.T @ s / len(s) + lam * np.eye(6)
            th = np.maximum(np.linalg.solve(A, t.mean(0)), 0)
            rs, rt = ps[i] @ th, pt[i] @ th
            scores.append(0.5 * (1 - alpha) * rs**2 + 0.5 * alpha * rt**2 - rt)
        assert fast[k] == pytest.approx(np.mean(scores), rel=1e-9)


def test_ulsif_is_rulsif_with_alpha_zero(shift2d):
    a = ULSIF().fit(shift2d.X_source, X_target=shift2d.X_target)
    b = RuLSIF(alpha=0.0).fit(shift2d.X_source, X_target=shift2d.X_target)
    np.testing.assert_allclose(a.weights_, b.weights_)
    assert a.cv_scores_.shape == (6, 4)


def test_ulsif_closed_form_solution(shift2d):
    est = ULSIF(sigma=1.0, lambdas=0.1).fit(shift2d.X_source, X_target=shift2d.X_target)
    from transferkit.instance._kernels import gaussian_kernel

    ps = gaussian_kernel(shift2d.X_source, est.centers_, 1.0)
    pt = gaussian_kernel(shift2d.X_target, est.centers_, 1.0)
    H = ps.T @ ps / len(ps)
    theta = np.maximum(np.linalg.solve(H + 0.1 * np.eye(len(H)), pt.mean(0)), 0)
    np.testing.assert_allclose(est.theta_, theta)


def test_kliep_solution_satisfies_its_constraints_and_kkt():
    rng = np.random.default_rng(0)
    A = rng.random((60, 8)) + 0.01
    b = rng.random(8) + 0.1
    alpha, _ = kliep_solve(A, b, max_iter=20000, tol=1e-10)
    assert alpha.min() >= 0 and b @ alpha == pytest.approx(1.0)
    # KKT of max mean log(A a) s.t. b.a = 1, a >= 0: grad = b on the support, <= b off it
    grad = A.T @ (1 / (A @ alpha)) / 60
    support = alpha > 1e-6
    np.testing.assert_allclose(grad[support], b[support], rtol=1e-6)
    assert np.all(grad[~support] <= b[~support] * (1 + 1e-6))


def test_kliep_lcv_picks_a_sensible_width(kliep_fit):
    est = kliep_fit
    assert est.cv_scores_.shape == (6,)
    assert est.sigma_ == pytest.approx(est.sigma_)  # chosen from the grid
    # the smallest width overfits the held-out likelihood
    assert est.cv_scores_[0] < est.cv_scores_.max()
    assert np.mean(est.weights_) == pytest.approx(1.0, rel=1e-6)


def test_target_too_small_for_cross_validation():
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(50, 2)), rng.normal(size=(3, 2))
    with pytest.raises(TransferKitInputError, match=r"X_target has 3 samples.*cv=5"):
        KLIEP().fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="at least 3 samples"):
        ULSIF().fit(Xs, X_target=Xt[:2])


def test_bad_grids_and_alpha():
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(30, 2)), rng.normal(size=(30, 2))
    with pytest.raises(TransferKitInputError, match="alpha"):
        RuLSIF(alpha=1.0).fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="lambdas"):
        ULSIF(lambdas=[0.1, -1]).fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="sigma"):
        KLIEP(sigma=[]).fit(Xs, X_target=Xt)
