"""Weighters and synthetic problems with known answers for the selection tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from transferkit.base import BaseWeighter

SOURCE_MEAN, SOURCE_STD = -0.5, 1.2
TARGET_MEAN, TARGET_STD = 1.0, 0.7


class UnitWeighter(BaseWeighter):
    """All weights 1 (no shift correction)."""

    def _fit(self, data):
        return np.ones(data.X.shape[0])

    def _compute_weights(self, X):
        return np.ones(X.shape[0])


class FunctionWeighter(BaseWeighter):
    """Weights from a known density ratio ``ratio(X)``."""

    def __init__(self, ratio: Callable[[np.ndarray], np.ndarray] | None = None):
        self.ratio = ratio

    def _fit(self, data):
        return self.ratio(data.X)

    def _compute_weights(self, X):
        return self.ratio(X)


def true_ratio(X: np.ndarray) -> np.ndarray:
    """p_t(x) / p_s(x) of :func:`make_knn_shift` (first feature only)."""
    x = X[:, 0]
    return norm.pdf(x, TARGET_MEAN, TARGET_STD) / norm.pdf(x, SOURCE_MEAN, SOURCE_STD)


def _labels(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noisy = rng.random(x.size) < np.where(x < -1.0, 0.8, 0.2)
    return np.where(x < 0, noisy, np.sin(6 * x) > 0).astype(int)


def make_knn_shift(n_source: int = 600, n_target: int = 400, seed: int = 0):
    """1-D covariate shift where the best k of a k-NN differs between the domains.

    The label rule p(y|x) is shared: for x < 0 labels are noisy and piecewise constant
    (large k wins), for x > 0 they follow sin(6x) > 0 without noise (1-NN wins). The
    source N(-0.5, 1.2^2) lives mostly at x < 0, the target N(1, 0.7^2) mostly at x > 0.
    """
    rng = np.random.default_rng(seed)
    xs = rng.normal(SOURCE_MEAN, SOURCE_STD, size=(n_source, 1))
    xt = rng.normal(TARGET_MEAN, TARGET_STD, size=(n_target, 1))
    return xs, _labels(xs[:, 0], rng), xt, _labels(xt[:, 0], rng)
