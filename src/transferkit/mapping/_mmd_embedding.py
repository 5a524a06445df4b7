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

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from transferkit._validation import (
    MAX_POWER_ITERATIONS,
    MAX_ROUNDS,
    HasMethods,
    Interval,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
)
from transferkit.base import BaseAdapter
from transferkit.mapping._eigen import lowrank_generalized_top_eigenvectors
from transferkit.mapping._kernels import KernelFactor, MMDMatrix, centred_gram

__all__ = ["MMDEmbeddingAdapter", "normalize_rows", "DEFAULT_N_COMPONENTS", "resolve_kernel"]

#: ``n_components=None`` means ``min(DEFAULT_N_COMPONENTS, rank)`` for TCA, JDA, BDA,
#: Subspace Alignment and joint PCA (30: the dimension of the reference TCA/SA code and
#: below the rank of every benchmark feature set, SURF's 800 included).
DEFAULT_N_COMPONENTS = 30

_POSITIVE = Interval(Real, 0, None, closed="neither")

#: Rules shared by TCA, JDA and BDA (see :func:`transferkit._validation.validate_parameters`).
EMBEDDING_CONSTRAINTS: dict[str, list] = {
    "n_components": [Interval(Integral, 1, None, closed="left"), None],
    "kernel": [StrOptions({"auto", "primal", "linear", "rbf"})],
    "lambda_": [_POSITIVE],
    "gamma": [_POSITIVE, None],
    "normalize": ["boolean"],
    "approximation": [StrOptions({"nystroem"}), None],
    "n_landmarks": [Interval(Integral, 1, None, closed="left")],
    "power_iterations": [
        Interval(Integral, 0, MAX_POWER_ITERATIONS, closed="both"),
        StrOptions({"auto"}),
    ],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}

#: Rules added by the pseudo-label loop of JDA and BDA.
JOINT_CONSTRAINTS: dict[str, list] = {
    **EMBEDDING_CONSTRAINTS,
    "n_iter": [Interval(Integral, 1, MAX_ROUNDS, closed="both")],
    "estimator": [HasMethods(["fit", "predict"]), None],
}


def resolve_kernel(kernel: str) -> str:
    """The kernel that ``kernel="auto"`` stands for: ``"primal"`` (a linear map of the
    features), which :class:`~transferkit.mapping._kernels.KernelFactor` computes in the
    feature space when ``n_features <= n_samples`` and in the sample space otherwise, so
    it is cheap for every shape.

    Examples
    --------
    >>> resolve_kernel("auto"), resolve_kernel("rbf")
    ('primal', 'rbf')
    """
    return "primal" if kernel == "auto" else kernel


def normalize_rows(X: np.ndarray) -> np.ndarray:
    """Scale every row to unit Euclidean norm (zero rows stay zero); returns a new array."""
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


class MMDEmbeddingAdapter(BaseAdapter):
    """Plumbing shared by :class:`TCA`, :class:`JDA` and :class:`BDA` (not public)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = EMBEDDING_CONSTRAINTS
    #: Where a primal map is solved (see KernelFactor); forced only in tests/benchmarks.
    _primal_space = "auto"

    def _check_common(self) -> None:
        if self.approximation is not None and self.kernel in ("primal", "auto"):
            raise TransferKitInputError(
                f'approximation="nystroem" approximates a kernel; with kernel={self.kernel!r} '
                "(a linear map of the features) there is none. Use kernel='rbf' or "
                "'linear', or approximation=None."
            )

    def _prepare(self, data: ValidatedDomains) -> np.ndarray:
        """Stack, normalise and factorise the data; cache :math:`P^\\top H P`."""
        X = np.vstack([data.X, data.X_target])
        self._check_common()
        if self.normalize:
            X = normalize_rows(X)
        self.kernel_ = resolve_kernel(self.kernel)
        self.kernel_factor_ = KernelFactor(
            kernel=self.kernel_,
            gamma=self.gamma,
            approximation=self.approximation,
            n_landmarks=self.n_landmarks,
            power_iterations=self.power_iterations,
            random_state=self.random_state,
            verbose=getattr(self, "verbose", False),
            primal_space=self._primal_space,
        )
        P = self.kernel_factor_.fit(X)
        rank = P.shape[1]
        if self.n_components is None:
            self.n_components_ = min(DEFAULT_N_COMPONENTS, rank)
        elif self.n_components > rank:
            raise TransferKitInputError(
                f"n_components={self.n_components} exceeds the rank {rank} of the "
                f"{self.kernel_} kernel representation ({X.shape[0]} samples, "
                f"{X.shape[1]} features"
                + (f", {self.n_landmarks} landmarks" if self.approximation else "")
                + f"); choose n_components <= {rank}, or n_components=None for "
                f"min({DEFAULT_N_COMPONENTS}, rank)."
            )
        else:
            self.n_components_ = int(self.n_components)
        self.n_source_ = data.X.shape[0]
        self._P = P
        self._PHP = centred_gram(P)
        return P

    def _solve(self, mmd: MMDMatrix) -> np.ndarray:
        """Solve the eigenproblem for ``mmd``; store the projection; return the embedding."""
        P = self._P
        G, weights = mmd.lowrank(P)
        values, W = lowrank_generalized_top_eigenvectors(
            self._PHP, float(self.lambda_), G, weights, self.n_components_
        )
        self.eigenvalues_ = values
        Z = P @ W
        # primal map solved in the sample space: back to the d x k matrix of the features
        basis = getattr(self.kernel_factor_, "basis_", None)
        self.projection_ = W if basis is None else basis @ W
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
