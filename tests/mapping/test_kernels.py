"""Kernel factors, MMD matrices, memory checks and the eigen-solvers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg
from sklearn.metrics.pairwise import rbf_kernel

from transferkit import MemoryBudgetError
from transferkit.mapping._eigen import (
    generalized_top_eigenvectors,
    lowrank_generalized_top_eigenvectors,
)
from transferkit.mapping._kernels import (
    KernelFactor,
    MMDMatrix,
    centred_gram,
    check_kernel_memory,
    median_heuristic_gamma,
)
from transferkit.mapping.tca import TCA

from ._reference import dense_mmd


@pytest.mark.parametrize("shape", [(40, 6), (12, 30)])
def test_linear_factor_spans_the_kernel_exactly(shape, rng):
    X = rng.normal(size=shape)
    f = KernelFactor("linear")
    P = f.fit(X)
    K = X @ X.T
    # P P^T = K^2 and P = K V with V orthonormal: the kernel problem's exact reduction.
    assert np.allclose(P @ P.T, K @ K)
    V = np.linalg.lstsq(K, P, rcond=None)[0]
    assert np.allclose(K @ V, P)
    X_new = rng.normal(size=(5, shape[1]))
    assert np.allclose(f.transform(X_new) @ f.transform(X).T, (X_new @ X.T) @ K)


def test_rbf_factor_and_out_of_sample(rng):
    X = rng.normal(size=(30, 4))
    f = KernelFactor("rbf", gamma=0.3)
    P = f.fit(X)
    K = rbf_kernel(X, gamma=0.3)
    assert np.allclose(P @ P.T, K @ K)
    assert np.allclose(f.transform(X), P)


def test_nystroem_factor_is_exact_when_landmarks_cover_the_data(rng):
    X = rng.normal(size=(50, 3))
    exact = KernelFactor("rbf", gamma=0.5).fit(X)
    approx = KernelFactor("rbf", gamma=0.5, approximation="nystroem", n_landmarks=50).fit(X)
    assert np.allclose(approx @ approx.T, exact @ exact.T, atol=1e-6)


def test_nystroem_factor_is_random_state_reproducible(rng):
    X = rng.normal(size=(200, 3))
    a = KernelFactor("rbf", approximation="nystroem", n_landmarks=20, random_state=3).fit(X)
    b = KernelFactor("rbf", approximation="nystroem", n_landmarks=20, random_state=3).fit(X)
    assert np.array_equal(a, b)


def test_median_heuristic_matches_its_definition(rng):
    X = rng.normal(size=(25, 3))
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)[np.triu_indices(25, 1)]
    assert median_heuristic_gamma(X) == pytest.approx(1 / np.median(d2))


@pytest.mark.parametrize("weighted", [False, True])
def test_mmd_matrix_equals_the_dense_construction(weighted, rng):
    ys = rng.integers(0, 3, size=20)
    pseudo = rng.integers(0, 3, size=15)
    pseudo[pseudo == 2] = 1  # a class without target samples
    alpha = np.array([0.5, 1.5, 1.0]) if weighted else None
    mu = 0.3
    mmd = MMDMatrix(ys, pseudo, 15, 3, 1 - mu, mu, alpha)
    assert np.allclose(mmd.dense(), dense_mmd(ys, pseudo, 15, mu=mu, alpha=alpha))
    marginal = MMDMatrix(ys, None, 15, 3)
    assert np.allclose(marginal.dense(), dense_mmd(ys, None, 15, mu=0.0))


def test_centred_gram_never_needs_h(rng):
    P = rng.normal(size=(9, 4))
    H = np.eye(9) - 1 / 9
    assert np.allclose(centred_gram(P), P.T @ H @ P)


def test_lowrank_solver_matches_the_reference_form(rng):
    """k smallest of (B, A) with a general solver == k largest of (A, B) here."""
    X = rng.normal(size=(60, 12))
    A = centred_gram(X)
    G = rng.normal(size=(12, 4))
    w = np.array([3.0, 1.0, 0.5, 0.0])
    B = 0.7 * np.eye(12) + (G * w) @ G.T
    values, V = lowrank_generalized_top_eigenvectors(A, 0.7, G, w, 4)
    ref_w, ref_V = linalg.eig(B, A)
    order = np.argsort(ref_w.real)[:4]
    assert np.allclose(values, 1 / ref_w.real[order])
    ref = ref_V[:, order].real
    ref /= np.linalg.norm(ref, axis=0)
    assert np.allclose(np.abs(np.sum(V * ref, axis=0)), 1.0)
    g_values, _ = generalized_top_eigenvectors(A, B, 4)
    assert np.allclose(g_values, values)


def test_memory_estimate_refuses_a_huge_exact_kernel(monkeypatch):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "1G")
    with pytest.raises(MemoryBudgetError, match=r"nystroem.*n_landmarks"):
        check_kernel_memory(100_000, "rbf")
    check_kernel_memory(1_000, "rbf")


def test_exact_rbf_tca_raises_before_allocating(monkeypatch, rng):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "4M")
    Xs, Xt = rng.normal(size=(400, 3)), rng.normal(size=(400, 3))
    with pytest.raises(MemoryBudgetError, match="800 x 800 rbf kernel"):
        TCA(n_components=2, kernel="rbf").fit(Xs, X_target=Xt)
    # The scalable option it suggests runs within the same budget.
    tca = TCA(n_components=2, kernel="rbf", approximation="nystroem", n_landmarks=50)
    assert tca.fit(Xs, X_target=Xt).transform(Xt).shape == (400, 2)
    # The linear kernel never needs an n x n matrix when d < n.
    assert TCA(n_components=2).fit(Xs, X_target=Xt).transform(Xt).shape == (400, 2)


def _digits_subsample(n: int = 1000):
    """1000 MNIST + 1000 USPS samples (M->U), the same draw every time."""
    from transferkit.datasets import load_task

    Xs, ys, Xt, yt = load_task("mnist_usps", "M", "U")
    pick = np.random.default_rng(0)
    i = pick.choice(ys.size, n, replace=False)
    j = pick.choice(yt.size, n, replace=False)
    X = np.vstack([Xs[i], Xt[j]])
    gamma = median_heuristic_gamma(X / np.linalg.norm(X, axis=1, keepdims=True), random_state=0)
    return Xs[i], ys[i], Xt[j], yt[j], gamma


@pytest.mark.usefixtures("data_home")
def test_nystroem_tca_keeps_the_exact_accuracy_on_digits():
    """RBF TCA with 500 of 2000 samples as landmarks: mean 1-NN loss <= 1 point."""
    from sklearn.neighbors import KNeighborsClassifier

    Xs, ys, Xt, yt, gamma = _digits_subsample()

    def accuracy(**approx):
        tca = TCA(n_components=100, kernel="rbf", mu=0.1, gamma=gamma, **approx)
        tca.fit(Xs, ys, X_target=Xt)
        knn = KNeighborsClassifier(1).fit(tca.transform(Xs, "source"), ys)
        return 100.0 * np.mean(knn.predict(tca.transform(Xt, "target")) == yt)

    exact = accuracy()
    nystroem = [
        accuracy(approximation="nystroem", n_landmarks=500, random_state=s) for s in range(3)
    ]
    assert exact - np.mean(nystroem) <= 1.0, (exact, nystroem)


@pytest.mark.usefixtures("data_home")
def test_one_nystroem_jda_solve_follows_the_exact_one_on_digits():
    """From the same pseudo-labels, one Nyström JDA solve predicts what the exact one does.

    (End to end, JDA's pseudo-label loop can amplify small differences; this checks the
    approximation itself, as ``benchmarks/mapping_nystroem_fidelity.py`` does at full size.)
    """
    from transferkit.mapping import JDA

    Xs, ys, Xt, yt, gamma = _digits_subsample()

    def jda(n_iter, y_target=None, **approx):
        model = JDA(
            n_components=100, kernel="rbf", lambda_=0.1, gamma=gamma, n_iter=n_iter, **approx
        )
        return model.fit(Xs, ys, X_target=Xt, y_target=y_target).pseudo_label_history_

    exact = jda(3)
    losses, agreement = [], []
    for seed in range(5):
        step = jda(
            2, y_target=exact[1], approximation="nystroem", n_landmarks=500, random_state=seed
        )[1]
        losses.append(100.0 * (np.mean(exact[2] == yt) - np.mean(step == yt)))
        agreement.append(100.0 * np.mean(step == exact[2]))
    assert np.mean(losses) <= 1.0 and max(losses) <= 2.0, losses
    assert min(agreement) >= 95.0, agreement
