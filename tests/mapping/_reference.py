"""Dense n x n transcription of the published TCA/JDA/BDA algorithms (tests only).

It follows the authors' algorithm literally: explicit centring matrix H, explicit MMD
matrix M, the general (non-symmetric) generalised eigen-solver on
(K M K^T + lambda I) a = phi K H K^T a, the k smallest eigenvalues, unit-norm
eigenvectors. It is slow on purpose and only used on small problems to check that the
factorised, low-rank implementation solves the same problem.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.neighbors import KNeighborsClassifier


def dense_mmd(ys, pseudo, nt, *, mu=0.5, alpha=None):
    ns = ys.size
    n = ns + nt
    classes = np.unique(ys)
    C = classes.size
    e = np.r_[np.full(ns, 1.0 / ns), np.full(nt, -1.0 / nt)][:, None]
    M0 = e @ e.T * C
    N = np.zeros((n, n))
    if pseudo is not None:
        for i, c in enumerate(classes):
            e = np.zeros((n, 1))
            e[:ns][ys == c] = 1.0 / np.sum(ys == c)
            n_tc = np.sum(pseudo == c)
            if n_tc:
                a = 1.0 if alpha is None else alpha[i]
                e[ns:][pseudo == c] = -a / n_tc
            N += e @ e.T
    M = (1 - mu) * M0 + mu * N
    fro = np.linalg.norm(M, "fro")
    return M / fro if fro > 0 else M


def dense_solve(X, M, *, kernel, lam, k, gamma=1.0, return_coefficients=False):
    """X: (n, d) rows = samples, already normalised. Returns Z (n, k), rows normalised."""
    n = X.shape[0]
    H = np.eye(n) - np.ones((n, n)) / n
    if kernel == "primal":
        K = X.T  # d x n, as in the reference code
        eye = np.eye(X.shape[1])
    else:
        K = X @ X.T if kernel == "linear" else rbf_kernel(X, gamma=gamma)
        eye = np.eye(n)
    a = K @ M @ K.T + lam * eye
    b = K @ H @ K.T
    w, V = linalg.eig(a, b)
    w = np.real(w)
    w[~np.isfinite(w)] = np.inf
    order = np.argsort(w)
    A = np.real(V[:, order[:k]])
    A /= np.linalg.norm(A, axis=0)
    Z = (A.T @ K).T
    Z = Z / np.linalg.norm(Z, axis=1, keepdims=True)
    return (Z, A) if return_coefficients else Z


def dense_jda(Xs, ys, Xt, *, kernel="primal", lam=1.0, k=5, T=3, mu=0.5, gamma=1.0):
    X = np.vstack([Xs, Xt])
    X = X / np.linalg.norm(X, axis=1, keepdims=True)
    ns, nt = Xs.shape[0], Xt.shape[0]
    pseudo = None
    for _ in range(T):
        M = dense_mmd(ys, pseudo, nt, mu=mu)
        Z = dense_solve(X, M, kernel=kernel, lam=lam, k=k, gamma=gamma)
        pseudo = KNeighborsClassifier(1).fit(Z[:ns], ys).predict(Z[ns:])
    return Z


def same_subspace_embedding(Z1, Z2, atol=1e-6):
    """Equal up to the sign of each component."""
    signs = np.sign(np.sum(Z1 * Z2, axis=0))
    return np.allclose(Z1, Z2 * signs, atol=atol)
