"""Joint PCA: the "PCA" baseline of the feature-mapping literature."""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np

from transferkit._validation import Interval, TransferKitInputError, ValidatedDomains
from transferkit.base import BaseAdapter
from transferkit.mapping._eigen import top_eigenvectors
from transferkit.mapping._mmd_embedding import DEFAULT_N_COMPONENTS

__all__ = ["JointPCA"]


class JointPCA(BaseAdapter):
    r"""PCA fitted on the source and target stacked together.

    With :math:`X = [X_s; X_t]` and centring matrix :math:`H = I - \tfrac1n \mathbf 1
    \mathbf 1^\top`, the projection :math:`W \in \mathbb R^{d \times k}` solves

    .. math::
        \max_{W^\top W = I} \operatorname{tr}(W^\top X^\top H X W),

    i.e. the top-:math:`k` eigenvectors of the joint covariance. Both domains are
    mapped by the same :math:`z = W^\top (x - \bar x)`. This is the protocol of the PCA
    row in Long et al. (ICCV 2013, Table 2): no normalisation of inputs or projections.
    :math:`H` is never formed; centring subtracts the joint mean.

    Parameters
    ----------
    n_components : int or None, default=None
        Subspace dimension :math:`k`; ``None`` = ``min(30, n_features, n - 1)``
        (``n = n_s + n_t``; recorded in ``n_components_``). The ICCV 2013 protocol
        uses 100.

    Attributes
    ----------
    n_components_ : int
    components_ : ndarray of shape (n_features, n_components)
    explained_variance_ : ndarray of shape (n_components,)
    mean_ : ndarray of shape (n_features,)

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit import JointPCA
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(50, 5)), rng.normal(size=(40, 5))
    >>> JointPCA(n_components=2).fit(Xs, X_target=Xt).transform(Xt).shape
    (40, 2)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(Integral, 1, None, closed="left"), None]
    }

    def __init__(self, n_components: int | None = None):
        self.n_components = n_components

    def _fit(self, data: ValidatedDomains) -> None:
        X = np.vstack([data.X, data.X_target])
        d = X.shape[1]
        if self.n_components is None:
            k = min(DEFAULT_N_COMPONENTS, d, max(X.shape[0] - 1, 1))
        elif self.n_components > d:
            raise TransferKitInputError(
                f"n_components={self.n_components} exceeds the {d} features; choose <= {d}, "
                f"or n_components=None for min({DEFAULT_N_COMPONENTS}, n_features, n - 1)."
            )
        else:
            k = int(self.n_components)
        self.n_components_ = k
        self.mean_ = X.mean(axis=0)
        centred = X - self.mean_
        values, vectors = top_eigenvectors(centred.T @ centred, k)
        self.explained_variance_ = values / max(X.shape[0] - 1, 1)
        self.components_ = vectors

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:
        return (X - self.mean_) @ self.components_
