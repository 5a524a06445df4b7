"""TCA: same solution as the dense published algorithm, published accuracy, contract."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from transferkit import TransferKitInputError
from transferkit.mapping import TCA

from ._reference import dense_mmd, dense_solve, same_subspace_embedding
from ._tasks import one_nn_accuracy


def _domains(rng, ns=40, nt=35, d=6):
    Xs = rng.normal(size=(ns, d))
    Xt = rng.normal(size=(nt, d)) * 1.5 + 1.0
    return Xs, Xt


@pytest.mark.parametrize(
    ("kernel", "d"), [("primal", 6), ("linear", 6), ("linear", 120), ("rbf", 6)]
)
def test_tca_solves_the_dense_published_problem(kernel, d, rng):
    Xs, Xt = _domains(rng, d=d)
    tca = TCA(n_components=4, kernel=kernel, lambda_=0.5, gamma=0.2).fit(Xs, X_target=Xt)
    X = np.vstack([Xs, Xt])
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    M = dense_mmd(np.zeros(40, dtype=int), None, 35, mu=0.0)
    ref = dense_solve(X, M, kernel=kernel, lam=0.5, k=4, gamma=0.2)
    ours = np.vstack([tca.transform(Xs, "source"), tca.transform(Xt, "target")])
    assert same_subspace_embedding(ours, ref, atol=1e-6)


def test_tca_maps_new_samples_like_the_dense_algorithm(rng):
    """Out-of-sample: z(x) = A^T k(X, x), normalised, for samples never seen in fit."""
    from sklearn.metrics.pairwise import rbf_kernel

    Xs, Xt = _domains(rng)
    X_new = rng.normal(size=(7, 6)) + 0.5
    tca = TCA(n_components=3, kernel="rbf", lambda_=0.5, gamma=0.2).fit(Xs, X_target=Xt)
    X = np.vstack([Xs, Xt])
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    M = dense_mmd(np.zeros(40, dtype=int), None, 35, mu=0.0)
    Z, A = dense_solve(X, M, kernel="rbf", lam=0.5, k=3, gamma=0.2, return_coefficients=True)
    Xn = X_new / np.linalg.norm(X_new, axis=1, keepdims=True)
    ref_new = rbf_kernel(Xn, X, gamma=0.2) @ A
    ref_new /= np.linalg.norm(ref_new, axis=1, keepdims=True)
    ours_fit = np.vstack([tca.transform(Xs, "source"), tca.transform(Xt)])
    signs = np.sign(np.sum(ours_fit * Z, axis=0))
    assert np.allclose(tca.transform(X_new) * signs, ref_new, atol=1e-6)


def test_tca_reduces_the_mean_discrepancy(rng):
    Xs, Xt = _domains(rng, d=5)
    Xs = Xs / np.linalg.norm(Xs, axis=1, keepdims=True)
    Xt = Xt / np.linalg.norm(Xt, axis=1, keepdims=True)
    tca = TCA(n_components=3, kernel="primal", lambda_=0.1, normalize=False).fit(Xs, X_target=Xt)
    Zs, Zt = tca.transform(Xs, "source"), tca.transform(Xt, "target")
    W = tca.projection_
    # Relative to the variance kept, the embedded means are much closer than before.
    before = np.linalg.norm(Xs.mean(0) - Xt.mean(0)) ** 2 / np.trace(np.cov(np.vstack([Xs, Xt]).T))
    after = np.linalg.norm(Zs.mean(0) - Zt.mean(0)) ** 2 / np.trace(np.cov(np.vstack([Zs, Zt]).T))
    assert after < 0.1 * before
    assert W.shape == (5, 3)


def test_tca_is_a_well_behaved_estimator(rng):
    Xs, Xt = _domains(rng)
    Xs0, Xt0 = Xs.copy(), Xt.copy()
    tca = TCA(n_components=3, kernel="rbf", approximation="nystroem", n_landmarks=30)
    tca.set_params(random_state=0)
    assert clone(tca).get_params() == tca.get_params()
    a = tca.fit(Xs, X_target=Xt).transform(Xt)
    b = clone(tca).fit(Xs, X_target=Xt).transform(Xt)
    assert np.array_equal(a, b)
    assert np.array_equal(Xs, Xs0) and np.array_equal(Xt, Xt0)
    assert np.allclose(tca.fit_transform(Xs, X_target=Xt), tca.transform(Xs, "source"))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_components": 10}, "n_components=10 exceeds the rank 6"),
        ({"kernel": "poly"}, "'kernel' parameter of TCA must be a str among"),
        ({"lambda_": 0.0}, r"'lambda_' parameter of TCA must be a float in the range \(0.0, inf\)"),
        ({"gamma": -1.0, "kernel": "rbf"}, "'gamma' parameter of TCA"),
        ({"approximation": "nystroem"}, "with kernel='primal'"),
        ({"approximation": "rff"}, "'approximation' parameter of TCA"),
    ],
)
def test_tca_rejects_bad_parameters(params, match, rng):
    Xs, Xt = _domains(rng)
    base = {"kernel": "primal"} if "kernel" not in params else {}
    with pytest.raises(TransferKitInputError, match=match):
        TCA(**{**base, **params}).fit(Xs, X_target=Xt)


def test_tca_rejects_bad_data(rng):
    Xs, Xt = _domains(rng)
    bad = Xs.copy()
    bad[0, 0] = np.nan
    with pytest.raises(TransferKitInputError, match="NaN"):
        TCA(n_components=2).fit(bad, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="X_target is required"):
        TCA(n_components=2).fit(Xs)
    with pytest.raises(TransferKitInputError, match="features"):
        TCA(n_components=2).fit(Xs, X_target=Xt[:, :4])
    tca = TCA(n_components=2).fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="5 features, but TCA is expecting 6"):
        tca.transform(Xt[:, :5])
    with pytest.raises(TransferKitInputError, match="domain='test'"):
        tca.transform(Xt, domain="test")


@pytest.mark.usefixtures("data_home")
def test_tca_matches_published_coil_average():
    """[JPDA-S] TCA COIL1->COIL2 88.47, COIL2->COIL1 85.83 (avg 87.15), primal, k=100."""
    accs = [
        one_nn_accuracy(TCA(100, kernel="primal", lambda_=0.1), "coil20", s, t)
        for s, t in [("coil1", "coil2"), ("coil2", "coil1")]
    ]
    assert accs == pytest.approx([87.50, 85.28], abs=0.5)
    assert abs(np.mean(accs) - 87.15) <= 1.5


@pytest.mark.usefixtures("data_home")
def test_tca_matches_published_digits_average():
    """MEDA (ACM MM 2018) Table 3 TCA: U->M 51.2, M->U 56.3 (avg 53.75)."""
    accs = [
        one_nn_accuracy(TCA(100, kernel="primal", lambda_=0.1), "mnist_usps", s, t)
        for s, t in [("U", "M"), ("M", "U")]
    ]
    assert abs(np.mean(accs) - 53.75) <= 1.5, accs
