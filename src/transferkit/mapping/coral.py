"""CORAL: CORrelation ALignment (Sun, Feng & Saenko, AAAI 2016)."""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from scipy import linalg

from transferkit._validation import Interval, ValidatedDomains
from transferkit.base import BaseAdapter
from transferkit.mapping._eigen import symmetric_power

__all__ = ["CORAL"]


class CORAL(BaseAdapter):
    r"""Correlation alignment: re-colour the source with the target covariance.

    CORAL finds the linear map :math:`A` minimising the distance between the
    second-order statistics of the two domains,

    .. math::
        \min_A \; \lVert A^\top \hat C_s A - \hat C_t \rVert_F^2 ,

    with regularised covariances :math:`\hat C_s = \operatorname{cov}(X_s) + \lambda I`
    and :math:`\hat C_t = \operatorname{cov}(X_t) + \lambda I`. Its closed-form solution
    whitens the source and re-colours it with the target covariance,

    .. math::
        A = \hat C_s^{-1/2}\, \hat C_t^{1/2}, \qquad X_s^\ast = X_s A ,

    while target samples are left unchanged. A classifier trained on
    :math:`X_s^\ast` is then applied to the target (the paper uses a linear SVM).
    As in the paper, :math:`A` is applied to the uncentred source.

    **Few samples, many features** (:math:`\lambda > 0` and both domains with fewer
    samples than features, ``space_ == "samples"``). Write the centred data of a domain
    as :math:`\tilde X / \sqrt{n-1} = U S V^\top` (thin SVD, :math:`r \le n - 1`
    non-zero singular values). Then :math:`\hat C = V (S^2 + \lambda I) V^\top +
    \lambda (I - V V^\top)`: the identity times :math:`\lambda` plus a rank-:math:`r`
    term acting on the column space :math:`V` of the centred data. Any power of it is
    therefore

    .. math::
        \hat C^{p} = \lambda^{p} I + V \big((S^2 + \lambda I)^{p} - \lambda^{p} I\big) V^\top ,

    so :math:`x \hat C_s^{-1/2} = \lambda^{-1/2} x + (x V_s)\,
    \mathrm{diag}\big((s_i^2 + \lambda)^{-1/2} - \lambda^{-1/2}\big) V_s^\top` and
    likewise for :math:`\hat C_t^{1/2}`. Fitting costs two thin SVDs,
    :math:`O(n^2 d)`, instead of two :math:`d \times d` eigendecompositions,
    :math:`O(d^3)`; mapping :math:`m` samples costs :math:`O(m d r)` instead of
    :math:`O(m d^2)`, and no :math:`d \times d` matrix is stored. The result is the
    same map (equal to the feature-space computation to rounding, see
    ``benchmarks/results/mapping_wide_data.md``). ``transform_matrix_`` and the
    covariances are then built only when read.

    Parameters
    ----------
    lambda_ : float, default=1.0
        Regulariser added to both covariance diagonals (the paper's :math:`\lambda = 1`).

    Attributes
    ----------
    space_ : {"features", "samples"}
        Where the map was computed (see above).
    transform_matrix_ : ndarray of shape (n_features, n_features)
        :math:`A`.
    covariance_source_, covariance_target_ : ndarray of shape (n_features, n_features)
        The regularised covariances.

    References
    ----------
    B. Sun, J. Feng, K. Saenko. *Return of Frustratingly Easy Domain Adaptation.*
    AAAI 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit import CORAL
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(500, 2)); Xt = rng.normal(size=(500, 2)) * [1.0, 3.0]
    >>> Zs = CORAL(lambda_=1e-6).fit(Xs, X_target=Xt).transform(Xs, domain="source")
    >>> bool(np.allclose(np.cov(Zs.T), np.cov(Xt.T), atol=1e-6))
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "lambda_": [Interval(Real, 0, None, closed="left")]
    }
    #: "auto": the sample space when lambda_ > 0 and both domains have fewer samples
    #: than features; "features"/"samples" force one (tests and benchmarks only).
    _space = "auto"

    def __init__(self, lambda_: float = 1.0):
        self.lambda_ = lambda_

    def _fit(self, data: ValidatedDomains) -> None:
        d = data.X.shape[1]
        for name, X in (("X (source)", data.X), ("X_target", data.X_target)):
            if X.shape[0] < 2 and self.lambda_ == 0:
                raise ValueError(f"{name} needs at least 2 samples to estimate a covariance.")
        lam = float(self.lambda_)
        space = self._space
        if space == "auto":
            wide = max(data.X.shape[0], data.X_target.shape[0]) < d
            space = "samples" if lam > 0 and wide else "features"
        self.space_ = space
        if space == "samples":
            self._source_basis = _principal_directions(data.X)
            self._target_basis = _principal_directions(data.X_target)
            self._matrix = self._cov_source = self._cov_target = None
            return
        identity = lam * np.eye(d)
        self._cov_source = _covariance(data.X) + identity
        self._cov_target = _covariance(data.X_target) + identity
        floor = 1e-12 if lam == 0 else 0.0
        whiten = symmetric_power(self._cov_source, -0.5, floor=floor)
        recolour = symmetric_power(self._cov_target, 0.5)
        self._matrix = whiten @ recolour

    def _map_source(self, X: np.ndarray) -> np.ndarray:
        if self.space_ == "features":
            return X @ self._matrix
        lam = float(self.lambda_)
        Vs, vs = self._source_basis
        Vt, vt = self._target_basis
        Y = X / np.sqrt(lam) + ((X @ Vs) * (1.0 / np.sqrt(vs + lam) - 1.0 / np.sqrt(lam))) @ Vs.T
        return np.sqrt(lam) * Y + ((Y @ Vt) * (np.sqrt(vt + lam) - np.sqrt(lam))) @ Vt.T

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:
        if domain == "source":
            return self._map_source(X)
        return X.copy()

    @property
    def transform_matrix_(self) -> np.ndarray:
        """:math:`A` (n_features x n_features; built on access in the sample space)."""
        if self._matrix is None:
            return self._map_source(np.eye(self.n_features_in_))
        return self._matrix

    @property
    def covariance_source_(self) -> np.ndarray:
        """:math:`\\hat C_s` (built on access in the sample space)."""
        if self._cov_source is None:
            return _low_rank_covariance(*self._source_basis, self.lambda_, self.n_features_in_)
        return self._cov_source

    @property
    def covariance_target_(self) -> np.ndarray:
        """:math:`\\hat C_t` (built on access in the sample space)."""
        if self._cov_target is None:
            return _low_rank_covariance(*self._target_basis, self.lambda_, self.n_features_in_)
        return self._cov_target


def _covariance(X: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (MATLAB ``cov``); zeros for a single sample."""
    if X.shape[0] < 2:
        return np.zeros((X.shape[1], X.shape[1]))
    centred = X - X.mean(axis=0)
    return centred.T @ centred / (X.shape[0] - 1)


def _principal_directions(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(V, v)``: the covariance of ``X`` is ``V diag(v) V^T`` (thin, ``v > 0``)."""
    if X.shape[0] < 2:
        return np.zeros((X.shape[1], 0)), np.zeros(0)
    centred = (X - X.mean(axis=0)) / np.sqrt(X.shape[0] - 1)
    _, s, Vt = linalg.svd(centred, full_matrices=False, lapack_driver="gesdd")
    keep = s > s.max() * 1e-12 if s.size and s.max() > 0 else np.zeros(s.size, dtype=bool)
    return Vt[keep].T, s[keep] ** 2


def _low_rank_covariance(V: np.ndarray, v: np.ndarray, lam: float, d: int) -> np.ndarray:
    return (V * v) @ V.T + lam * np.eye(d)
