"""Shared symmetric eigen-solvers used by the feature-mapping methods."""

from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["symmetric_power", "top_eigenvectors"]


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
        raise np.linalg.LinAlgError(
            "cannot take a negative power of a singular matrix; add regularisation."
        )
    return (vectors * values**power) @ vectors.T


def top_eigenvectors(C: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs of a symmetric ``C``, eigenvalues in decreasing order.

    Only the wanted eigenpairs are computed (LAPACK ``syevr`` with an index range).
    """
    d = C.shape[0]
    values, vectors = linalg.eigh(C, subset_by_index=[d - k, d - 1])
    return values[::-1], vectors[:, ::-1]
