r"""The MMD-embedding engine shared by TCA, JDA and BDA.

All three methods learn a projection :math:`A` (``n_components`` columns) that solves

.. math::
    \min_{A}\ \operatorname{tr}\!\big(A^\top (K M K + \lambda I) A\big)
    \quad\text{s.t.}\quad A^\top K H K A = I,

i.e. the generalised symmetric eigenproblem
:math:`K H K a = \phi\,(K M K + \lambda I)\, a` for the :math:`k` largest :math:`\phi`
(equivalently the :math:`k` smallest of :math:`(K M K + \lambda I) a = \phi\, K H K a`,
the form of the reference code). Only the MMD matrix :math:`M` differs between the
methods. The kernel enters through a factor :math:`P` (see :mod:`._kernels`), so the
problem solved has the size of the factor's rank, and :math:`P^\top H P` is computed
once and reused across pseudo-label iterations.
"""

from __future__ import annotations

import numpy as np

from transferkit._validation import (
    TransferKitInputError,
    ValidatedDomains,
    check_option,
    check_positive,
)
from transferkit.base import BaseAdapter
from transferkit.mapping._eigen import lowrank_generalized_top_eigenvectors
from transferkit.mapping._kernels import (
    APPROXIMATIONS,
    KERNELS,
    KernelFactor,
    MMDMatrix,
    centred_gram,
    resolve_power_iterations,
)

__all__ = ["MMDEmbeddingAdapter", "normalize_rows"]


def normalize_rows(X: np.ndarray) -> np.ndarray:
    """Scale every row to unit Euclidean norm (zero rows stay zero); returns a new array."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


class MMDEmbeddingAdapter(BaseAdapter):
    """Plumbing shared by :class:`TCA`, :class:`JDA` and :class:`BDA` (not public)."""

    #: Name of the regularisation parameter in the subclass (TCA: ``mu``, JDA: ``lambda_``).
    _reg_name = "lambda_"

    def _regularizer(self) -> float:
        return getattr(self, self._reg_name)

    def _check_common(self, n_samples: int) -> None:
        check_positive("n_components", self.n_components, integer=True)
        check_option("kernel", self.kernel, KERNELS)
        check_option("approximation", self.approximation, APPROXIMATIONS)
        check_positive(self._reg_name, self._regularizer())
        if self.gamma is not None:
            check_positive("gamma", self.gamma)
        if self.approximation is not None:
            check_positive("n_landmarks", self.n_landmarks, integer=True)
            resolve_power_iterations(self.power_iterations, n_samples)
            if self.kernel == "primal":
                raise TransferKitInputError(
                    'approximation="nystroem" approximates a kernel; with kernel="primal" '
                    "there is none. Use kernel='rbf' or 'linear', or approximation=None."
                )
        del n_samples

    def _prepare(self, data: ValidatedDomains) -> np.ndarray:
        """Stack, normalise and factorise the data; cache :math:`P^\\top H P`."""
        X = np.vstack([data.X, data.X_target])
        self._check_common(X.shape[0])
        if self.normalize:
            X = normalize_rows(X)
        self.kernel_factor_ = KernelFactor(
            kernel=self.kernel,
            gamma=self.gamma,
            approximation=self.approximation,
            n_landmarks=self.n_landmarks,
            power_iterations=self.power_iterations,
            random_state=self.random_state,
            verbose=getattr(self, "verbose", False),
        )
        P = self.kernel_factor_.fit(X)
        rank = P.shape[1]
        if self.n_components > rank:
            raise TransferKitInputError(
                f"n_components={self.n_components} exceeds the rank {rank} of the "
                f"{self.kernel} kernel representation ({X.shape[0]} samples, "
                f"{X.shape[1]} features"
                + (f", {self.n_landmarks} landmarks" if self.approximation else "")
                + f"); choose n_components <= {rank}."
            )
        self.n_source_ = data.X.shape[0]
        self._P = P
        self._PHP = centred_gram(P)
        return P

    def _solve(self, mmd: MMDMatrix) -> np.ndarray:
        """Solve the eigenproblem for ``mmd``; store the projection; return the embedding."""
        P = self._P
        G, weights = mmd.lowrank(P)
        values, W = lowrank_generalized_top_eigenvectors(
            self._PHP, float(self._regularizer()), G, weights, self.n_components
        )
        self.eigenvalues_ = values
        self.projection_ = W
        Z = P @ W
        return normalize_rows(Z) if self.normalize else Z

    def _finish(self) -> None:
        del self._P, self._PHP

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:
        if self.normalize:
            X = normalize_rows(X)
        Z = self.kernel_factor_.transform(X) @ self.projection_
        return normalize_rows(Z) if self.normalize else Z

    def _embedding_split(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return Z[: self.n_source_], Z[self.n_source_ :]
