"""CORAL: CORrelation ALignment (Sun, Feng & Saenko, AAAI 2016)."""

from __future__ import annotations

import numpy as np

from transferkit._validation import ValidatedDomains, check_positive
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

    Parameters
    ----------
    lambda_ : float, default=1.0
        Regulariser added to both covariance diagonals (the paper's :math:`\lambda = 1`).

    Attributes
    ----------
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

    def __init__(self, lambda_: float = 1.0):
        self.lambda_ = lambda_

    def _fit(self, data: ValidatedDomains) -> None:
        check_positive("lambda_", self.lambda_, strict=False)
        d = data.X.shape[1]
        for name, X in (("X (source)", data.X), ("X_target", data.X_target)):
            if X.shape[0] < 2 and self.lambda_ == 0:
                raise ValueError(f"{name} needs at least 2 samples to estimate a covariance.")
        identity = self.lambda_ * np.eye(d)
        self.covariance_source_ = _covariance(data.X) + identity
        self.covariance_target_ = _covariance(data.X_target) + identity
        floor = 1e-12 if self.lambda_ == 0 else 0.0
        whiten = symmetric_power(self.covariance_source_, -0.5, floor=floor)
        recolour = symmetric_power(self.covariance_target_, 0.5)
        self.transform_matrix_ = whiten @ recolour

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:
        if domain == "source":
            return X @ self.transform_matrix_
        return X.copy()


def _covariance(X: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance (MATLAB ``cov``); zeros for a single sample."""
    if X.shape[0] < 2:
        return np.zeros((X.shape[1], X.shape[1]))
    centred = X - X.mean(axis=0)
    return centred.T @ centred / (X.shape[0] - 1)
