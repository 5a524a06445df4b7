"""Shared symmetric eigen-solvers used by the feature-mapping methods."""

from __future__ import annotations

import numpy as np
from scipy import linalg

from transferkit._validation import TransferKitInputError

__all__ = [
    "SingularMatrixError",
    "symmetric_power",
    "top_eigenvectors",
    "generalized_top_eigenvectors",
    "lowrank_generalized_top_eigenvectors",
]


class SingularMatrixError(TransferKitInputError, np.linalg.LinAlgError):
    """A matrix that must be inverted is singular for the data given."""


def symmetric_power(C: np.ndarray, power: float, *, floor: float = 0.0) -> np.ndarray:
    r"""Matrix power :math:`C^{p} = U \operatorname{diag}(\lambda^p) U^\top` of a PSD ``C``.

    Eigenvalues below ``floor`` are clipped to ``floor`` first (use a small positive
    floor for negative powers of nearly singular matrices).

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[4.0, 0.0], [0.0, 9.0]])
    >>> symmetric_power(C, 0.5)
    array([[2., 0.],
           [0., 3.]])
    """
    values, vectors = linalg.eigh(C)
    values = np.maximum(values, floor)
    if power < 0 and np.any(values <= 0):
        raise SingularMatrixError(
            "cannot take a negative power of a singular matrix (eigenvalues from "
            f"{values.min():.3g} to {values.max():.3g}): the features are collinear or of "
            "wildly different scales; standardise them (e.g. sklearn's StandardScaler) or "
            "add regularisation (e.g. a larger lambda_)."
        )
    return (vectors * values**power) @ vectors.T


def top_eigenvectors(C: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs of a symmetric ``C``, eigenvalues in decreasing order.

    Only the wanted eigenpairs are computed (LAPACK ``syevr`` with an index range).
    """
    d = C.shape[0]
    values, vectors = linalg.eigh(C, subset_by_index=[d - k, d - 1])
    return values[::-1], vectors[:, ::-1]


def generalized_top_eigenvectors(
    A: np.ndarray, B: np.ndarray, k: int, *, normalization: str = "unit"
) -> tuple[np.ndarray, np.ndarray]:
    r"""The ``k`` largest eigenpairs of :math:`A v = \phi B v`, :math:`A` symmetric, :math:`B` SPD.

    Only the wanted eigenpairs are computed (LAPACK ``sygvx`` with an index range after
    one Cholesky factorisation of :math:`B`). This is the symmetric form of the
    "smallest :math:`k`" problem :math:`B v = \phi^{-1} A v` solved by the reference
    TCA/JDA code with a general (non-symmetric) eigen-solver: both have the same
    eigenvectors and reciprocal eigenvalues, and directions in the null space of
    :math:`A` (infinite there, zero here) are ranked last in both.

    Parameters
    ----------
    A : ndarray of shape (r, r), symmetric positive semi-definite
    B : ndarray of shape (r, r), symmetric positive definite
    k : int
    normalization : {"unit", "B"}
        Scale each eigenvector to unit Euclidean norm (as MATLAB ``eig``/``scipy.linalg.eig``
        do in the reference code) or to :math:`v^\top B v = 1`.

    Returns
    -------
    values : ndarray of shape (k,), decreasing
    vectors : ndarray of shape (r, k)

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([1.0, 4.0, 9.0]); B = np.diag([1.0, 2.0, 3.0])
    >>> values, vectors = generalized_top_eigenvectors(A, B, 2)
    >>> values
    array([3., 2.])
    >>> np.abs(vectors).round(6)
    array([[0., 0.],
           [0., 1.],
           [1., 0.]])
    """
    r = A.shape[0]
    values, vectors = linalg.eigh(A, B, subset_by_index=[r - k, r - 1], check_finite=False)
    values, vectors = values[::-1], vectors[:, ::-1]
    if normalization == "unit":
        vectors = vectors / np.linalg.norm(vectors, axis=0)
    elif normalization != "B":
        raise ValueError(f"normalization={normalization!r}; choose 'unit' or 'B'.")
    return values, np.ascontiguousarray(vectors)


def lowrank_generalized_top_eigenvectors(
    A: np.ndarray, lam: float, G: np.ndarray, weights: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    r"""Top-``k`` eigenpairs of :math:`A v = \phi (\lambda I + G \operatorname{diag}(w) G^\top) v`.

    The right-hand side of every TCA/JDA/BDA problem is a scaled identity plus a
    low-rank term (:math:`G` has :math:`C+1` columns). Its inverse square root is then
    available in closed form: with :math:`G D G^\top = U \Sigma U^\top` (thin),

    .. math::
        B^{-1/2} = \lambda^{-1/2}\big(I + U \operatorname{diag}(\sqrt{\lambda/(\lambda
        + \sigma_j)} - 1)\, U^\top\big),

    so the problem becomes the *standard* symmetric problem
    :math:`B^{-1/2} A B^{-1/2} u = \phi u`, :math:`v = B^{-1/2} u`, solved for the ``k``
    wanted eigenpairs only (LAPACK ``syevr`` with an index range). This skips the
    Cholesky factorisation and the ``sygst`` reduction of the general solver and is
    about twice as fast. Eigenvectors are returned with unit Euclidean norm.

    Parameters
    ----------
    A : ndarray of shape (r, r), symmetric positive semi-definite
    lam : float > 0
    G : ndarray of shape (r, J)
    weights : ndarray of shape (J,), non-negative
    k : int

    Returns
    -------
    values : ndarray of shape (k,), decreasing
    vectors : ndarray of shape (r, k), unit columns

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 6)); A = X.T @ X
    >>> G = rng.normal(size=(6, 2)); w = np.array([1.0, 2.0])
    >>> v1, V1 = lowrank_generalized_top_eigenvectors(A, 0.5, G, w, 3)
    >>> v2, V2 = generalized_top_eigenvectors(A, 0.5 * np.eye(6) + (G * w) @ G.T, 3)
    >>> bool(np.allclose(v1, v2)), bool(np.allclose(np.abs(np.sum(V1 * V2, axis=0)), 1.0))
    (True, True)
    """
    r = A.shape[0]
    if np.any(weights < 0):
        raise ValueError("weights must be non-negative so that the right-hand side is SPD.")
    if G.shape[1]:
        Q, R = np.linalg.qr(G)
        sigma, Y = linalg.eigh((R * weights) @ R.T)
        sigma = np.maximum(sigma, 0.0)
        U = Q @ Y
        s = np.sqrt(lam / (lam + sigma)) - 1.0
        T = A @ U
        AU = U.T @ T
        Ts = T * s
        C = A + U @ Ts.T + Ts @ U.T + (U * s) @ (AU * s) @ U.T
    else:
        U = np.zeros((r, 0))
        s = np.zeros(0)
        C = A.copy()
    C /= lam
    C = 0.5 * (C + C.T)
    values, vectors = linalg.eigh(
        C, subset_by_index=[r - k, r - 1], overwrite_a=True, check_finite=False
    )
    values, vectors = values[::-1], vectors[:, ::-1]
    vectors = (vectors + U @ (s[:, None] * (U.T @ vectors))) / np.sqrt(lam)
    vectors /= np.linalg.norm(vectors, axis=0)
    return values, np.ascontiguousarray(vectors)
