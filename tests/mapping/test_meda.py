"""MEDA: the linear system against a dense re-statement, published accuracy, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from transferkit._validation import LabelError, MemoryBudgetError, TransferKitInputError
from transferkit.datasets import load_task
from transferkit.mapping import GFK, MEDA
from transferkit.mapping.meda import _proxy_a_distance as proxy_a_distance
from transferkit.mapping.meda import adaptive_balance_factor, cosine_knn_laplacian


def _dense_laplacian(X, p):
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = Xn @ Xn.T
    n = len(X)
    W = np.zeros((n, n))
    for i in range(n):
        nearest = np.argsort(-S[i], kind="stable")[: p + 1]
        W[i, nearest] = S[i, nearest]
    W = np.maximum(W, W.T)
    d = 1.0 / np.sqrt(W.sum(1))
    return np.eye(n) - d[:, None] * W * d[None, :]


def _dense_mmd(y_s, pseudo, n_classes, mu):
    n_s, n_t = len(y_s), len(pseudo)
    e = np.r_[np.full(n_s, 1.0 / n_s), np.full(n_t, -1.0 / n_t)]
    M0 = np.outer(e, e) * n_classes
    N = np.zeros_like(M0)
    for c in range(n_classes):
        e = np.zeros(n_s + n_t)
        if np.any(y_s == c):
            e[:n_s][y_s == c] = 1.0 / np.sum(y_s == c)
        if np.any(pseudo == c):
            e[n_s:][pseudo == c] = -1.0 / np.sum(pseudo == c)
        N += np.outer(e, e)
    M = (1 - mu) * M0 + mu * N
    return M / np.linalg.norm(M, "fro")


def test_cosine_knn_laplacian_matches_dense_construction(rng):
    X = rng.normal(size=(40, 5))
    np.testing.assert_allclose(cosine_knn_laplacian(X, 4).toarray(), _dense_laplacian(X, 4))


def test_meda_solves_the_papers_linear_system(shifted_blobs):
    """One iteration with fixed mu equals beta = ((E + lam M + rho L) K + eta I)^-1 E Y."""
    Xs, ys, Xt, _ = shifted_blobs
    lam, eta, rho, p, mu = 10.0, 0.1, 1.0, 5, 0.3
    clf = MEDA(n_components=1, lambda_=lam, eta=eta, rho=rho, n_neighbors=p, n_iter=1, mu=mu)
    clf.fit(Xs, ys, X_target=Xt)
    X = clf.X_fit_
    n_s, n = len(Xs), len(X)
    # the embedding: GFK features, L2-normalised
    gfk = GFK(n_components=1).fit(Xs, X_target=Xt)
    Z = np.vstack([gfk.transform(Xs), gfk.transform(Xt)])
    np.testing.assert_allclose(X, Z / np.linalg.norm(Z, axis=1, keepdims=True))
    sq = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    K = np.exp(-sq / 2.0)  # the reference's sigma = 1 on normalised samples
    dist = ((X[n_s:, None, :] - X[None, :n_s, :]) ** 2).sum(-1)
    pseudo = ys[np.argmin(dist, axis=1)]  # initial 1NN pseudo-labels
    M = _dense_mmd(ys, pseudo, 3, mu)
    L = _dense_laplacian(X, p)
    E = np.diag(np.r_[np.ones(n_s), np.zeros(n - n_s)])
    Y = np.zeros((n, 3))
    Y[np.arange(n_s), ys] = 1
    beta = np.linalg.solve((E + lam * M + rho * L) @ K + eta * np.eye(n), E @ Y)
    np.testing.assert_allclose(clf.dual_coef_, beta, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(clf.pseudo_labels_, np.argmax(K[n_s:] @ beta, axis=1))
    # predicting the training target reproduces the fitted pseudo-labels
    np.testing.assert_array_equal(clf.predict(Xt), clf.pseudo_labels_)
    assert len(clf.pseudo_label_history_) == 1
    np.testing.assert_array_equal(clf.pseudo_label_history_[-1], clf.pseudo_labels_)
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(Xt))


def test_proxy_a_distance_and_adaptive_mu(rng):
    X = rng.normal(size=(100, 3))
    assert proxy_a_distance(X, X) < 0.3  # indistinguishable
    assert proxy_a_distance(X, X + 20.0) == 2.0  # separable
    assert proxy_a_distance(X, X[:0]) == 2.0
    y = np.repeat([0, 1], 50)
    # marginal shift only, classes aligned -> conditional distances large relative? no:
    # shifting one whole domain gives d_M = 2 and d_c = 2 -> mu = 1/2
    assert adaptive_balance_factor(X, y, X + 20.0, y) == pytest.approx(0.5)
    # identical domains with scrambled pseudo-labels: d_M ~ 0, so mu -> 1
    assert adaptive_balance_factor(X, y, X, y[::-1]) > 0.8
    with pytest.raises(TransferKitInputError, match="one label per row"):
        adaptive_balance_factor(X, y[:10], X, y)


def test_meda_matches_published_surf_cell(data_home):
    """MEDA paper (ACM MM 2018) Table 2: D->W 87.5 with d=20, lambda=10, eta=0.1, rho=1, p=10."""
    Xs, ys, Xt, yt = load_task("office_caltech10_surf", "D", "W")
    clf = MEDA().fit(Xs, ys, X_target=Xt)
    assert 100 * clf.score(Xt, yt) == pytest.approx(87.5, abs=0.5)
    assert len(clf.mu_history_) == 10
    assert all(0.0 <= mu <= 1.0 for mu in clf.mu_history_)
    assert len(clf.pseudo_label_history_) == 10
    np.testing.assert_array_equal(clf.pseudo_label_history_[-1], clf.predict(Xt))


def test_meda_contract_and_bad_inputs(shifted_blobs, monkeypatch):
    Xs, ys, Xt, _ = shifted_blobs
    Xs0 = Xs.copy()
    est = MEDA(n_components=1, n_iter=2)
    assert clone(est).get_params() == est.get_params()
    labels = np.array(["a", "b", "c"])[ys]
    fitted = est.fit(Xs, labels, X_target=Xt)
    np.testing.assert_array_equal(Xs, Xs0)
    assert set(fitted.predict(Xt)) <= {"a", "b", "c"}
    assert fitted.decision_function(Xt).shape == (len(Xt), 3)
    with pytest.raises(LabelError, match="y"):
        MEDA().fit(Xs, None, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="X_target"):
        MEDA().fit(Xs, ys)
    with pytest.raises(TransferKitInputError, match="kernel"):
        MEDA(kernel="poly", n_components=1).fit(Xs, ys, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="mu"):
        MEDA(mu=1.5, n_components=1).fit(Xs, ys, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="eta"):
        MEDA(eta=0.0, n_components=1).fit(Xs, ys, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="n_components"):
        MEDA(n_components=5).fit(Xs, ys, X_target=Xt)
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "10K")
    with pytest.raises(MemoryBudgetError, match="subsample"):
        MEDA(n_components=1).fit(Xs, ys, X_target=Xt)
