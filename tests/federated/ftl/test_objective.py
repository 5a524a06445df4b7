"""The Taylor-approximated FTL objective and its gradients."""

import numpy as np

from transferkit.federated.ftl import ftl_objective, taylor_logistic, with_bias


def _setup(seed=0, d=3):
    rng = np.random.default_rng(seed)
    F_a = with_bias(rng.normal(size=(12, 4)))
    F_b = with_bias(rng.normal(size=(7, 5)))
    y = np.where(rng.random(12) > 0.5, 1.0, -1.0)
    overlap = rng.permutation(12)[:7]
    W_a = rng.normal(size=(d, 5))
    W_b = rng.normal(size=(d, 6))
    return W_a, W_b, F_a, y, overlap, F_b


def test_taylor_matches_the_logistic_loss_to_second_order():
    s = np.array([1e-3, -2e-3])
    y = np.array([1.0, -1.0])
    exact = np.log1p(np.exp(-y * s))
    assert np.allclose(taylor_logistic(y, s), exact, atol=1e-8)
    # and differs at third order (it is an approximation, not the loss itself)
    assert abs(taylor_logistic(np.array([1.0]), np.array([1.0]))[0] - np.log1p(np.exp(-1))) > 1e-3


def test_gradients_pass_finite_differences():
    W_a, W_b, F_a, y, overlap, F_b = _setup()
    kw = dict(gamma=0.7, lam=0.05)
    out = ftl_objective(W_a, W_b, F_a, y, overlap, F_b, **kw)
    eps = 1e-6
    for W, grad, which in ((W_a, out.grad_a, "a"), (W_b, out.grad_b, "b")):
        numeric = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            plus, minus = W.copy(), W.copy()
            plus[idx] += eps
            minus[idx] -= eps
            args_p = (plus, W_b) if which == "a" else (W_a, plus)
            args_m = (minus, W_b) if which == "a" else (W_a, minus)
            lp = ftl_objective(*args_p, F_a, y, overlap, F_b, **kw).loss
            lm = ftl_objective(*args_m, F_a, y, overlap, F_b, **kw).loss
            numeric[idx] = (lp - lm) / (2 * eps)
        assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-7), which


def test_loss_is_the_documented_formula():
    W_a, W_b, F_a, y, overlap, F_b = _setup(1)
    out = ftl_objective(W_a, W_b, F_a, y, overlap, F_b, gamma=2.0, lam=0.1)
    U_a, U_b = F_a @ W_a.T, F_b @ W_b.T
    phi = (y[:, None] * U_a).mean(0)
    s = U_b @ phi
    yo = y[overlap]
    expected = (
        np.mean(np.log(2) - 0.5 * yo * s + s**2 / 8)
        + 2.0 / (2 * len(overlap)) * ((U_a[overlap] - U_b) ** 2).sum()
        + 0.05 * ((W_a**2).sum() + (W_b**2).sum())
    )
    assert np.isclose(out.loss, expected)
