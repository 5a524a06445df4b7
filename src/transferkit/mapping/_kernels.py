r"""Kernels, low-rank kernel factors and MMD matrices shared by TCA, JDA and BDA.

Everything the kernel feature-mapping methods need is expressed through a **factor**
:math:`P \in \mathbb R^{n \times r}` of the (possibly approximated) kernel:

* ``"primal"``: :math:`P = X` (no kernel, the projection acts on the features); when
  :math:`n < d`, :math:`P = X V = U S` from the thin SVD :math:`X = U S V^\top`
  (``mode_ = "primal_samples"``; the :math:`d \times d` problem restricted to the row
  space of :math:`X`, where all its solutions lie, so exact), and ``basis_`` :math:`= V`
  maps the solution back to the features;
* ``"linear"``: :math:`K = X X^\top = V S^2 V^\top` (thin SVD of :math:`X`),
  :math:`P = K V = V S^2`;
* ``"rbf"``: :math:`K = V \Lambda V^\top` (eigen-decomposition), :math:`P = K V = V \Lambda`;
* ``approximation="nystroem"``: :math:`K \approx F F^\top` with :math:`F = C W^{-1/2}`
  (landmark columns :math:`C`, landmark block :math:`W`), thin SVD :math:`F = V S Q^\top`,
  :math:`P = V S^2 = F Q S`;
* ``approximation="nystroem"`` with ``power_iterations=q >= 1``: the Nyström
  approximation of :math:`K` from the sketch :math:`\Omega = \operatorname{orth}(K^{q-1} C)`,
  :math:`K \approx (K\Omega)(\Omega^\top K \Omega)^{+}(K\Omega)^\top` (Gittens & Mahoney,
  JMLR 2016). Each power iteration is one pass over the full kernel in row blocks
  (time :math:`O(n^2 (d + m))`, memory :math:`O(n m)`); it makes the leading
  eigenvalues and eigenvectors of the approximation nearly exact, which plain landmark
  Nyström systematically shrinks.

For a kernel :math:`K = V \Lambda V^\top` every solution :math:`a \in \mathbb R^n` of the
kernel eigenproblem :math:`(K M K + \lambda I) a = \phi\, K H K a` lies in the span of
:math:`V` (the orthogonal part is forced to zero by :math:`\lambda I`), so writing
:math:`a = V b` turns it into the *primal* problem
:math:`(P^\top M P + \lambda I) b = \phi\, P^\top H P b` of size :math:`r`, with
:math:`\lVert a \rVert = \lVert b \rVert` and embedding :math:`a^\top K = b^\top P^\top`.
This is exact, not an approximation; it lets the linear kernel run in
:math:`O(n d^2)` instead of :math:`O(n^3)` and lets Nyström run in :math:`O(n m^2)`.

The MMD matrix :math:`M = \sum_j w_j e_j e_j^\top / \lVert\cdot\rVert_F` is kept as the
list of its rank-one terms (:class:`MMDMatrix`); :math:`P^\top M P` is the product of an
:math:`r \times (C+1)` matrix of mean differences with its transpose, and its Frobenius
norm comes from the :math:`(C+1) \times (C+1)` Gram matrix of the :math:`e_j` — no
:math:`n \times n` matrix is ever formed. The centring matrix :math:`H` is applied by
subtracting the column means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import linalg
from sklearn.kernel_approximation import Nystroem
from sklearn.metrics.pairwise import euclidean_distances, linear_kernel, rbf_kernel
from tqdm.auto import tqdm

from transferkit._validation import (
    TransferKitInputError,
    check_memory,
    check_option,
    check_positive,
    check_random_state,
)

__all__ = [
    "KERNELS",
    "APPROXIMATIONS",
    "median_heuristic_gamma",
    "kernel_matrix",
    "exact_kernel_bytes",
    "check_kernel_memory",
    "KernelFactor",
    "MMDMatrix",
    "AUTO_POWER_MAX_SAMPLES",
    "resolve_power_iterations",
    "kernel_product",
    "centred_gram",
]

KERNELS = ("primal", "linear", "rbf")
APPROXIMATIONS = (None, "nystroem")

#: Relative eigenvalue threshold below which kernel directions are treated as null.
_RANK_TOL = 1e-10

#: ``power_iterations="auto"`` refines the Nyström approximation with one pass over the
#: full kernel up to this many samples (about the largest n whose exact kernel still fits
#: in a workstation's memory; there the pass takes well under a minute on 2 cores) and
#: uses plain landmark Nyström above it, where the pass's O(n^2) time would dominate.
AUTO_POWER_MAX_SAMPLES = 30_000

#: Largest block of kernel rows held at once by :func:`kernel_product` (bytes).
_BLOCK_BYTES = 2**28


def median_heuristic_gamma(
    X: np.ndarray, *, max_samples: int = 1000, random_state: Any = None
) -> float:
    r"""RBF bandwidth :math:`\gamma = 1 / \operatorname{median}_{i<j} \lVert x_i - x_j \rVert^2`.

    The median is taken over at most ``max_samples`` rows drawn with ``random_state``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> median_heuristic_gamma(X)
    0.25
    """
    rng = check_random_state(random_state)
    if X.shape[0] > max_samples:
        X = X[rng.choice(X.shape[0], max_samples, replace=False)]
    d2 = euclidean_distances(X, squared=True)
    upper = d2[np.triu_indices_from(d2, k=1)]
    med = float(np.median(upper)) if upper.size else 0.0
    if med <= 0:
        return 1.0
    return 1.0 / med


def kernel_matrix(X: np.ndarray, Y: np.ndarray | None, kernel: str, gamma: float) -> np.ndarray:
    """Kernel between the rows of ``X`` and ``Y`` (``"linear"`` or ``"rbf"``)."""
    if kernel == "linear":
        return linear_kernel(X, Y)
    if kernel == "rbf":
        return rbf_kernel(X, Y, gamma=gamma)
    raise TransferKitInputError(f"kernel={kernel!r} has no kernel matrix; use 'linear' or 'rbf'.")


def resolve_power_iterations(power_iterations: Any, n_samples: int) -> int:
    """The number of Nyström power iterations to run for ``n_samples`` samples.

    ``"auto"`` gives 1 up to :data:`AUTO_POWER_MAX_SAMPLES` samples and 0 above; an
    integer is used as given.

    Examples
    --------
    >>> resolve_power_iterations("auto", 3800), resolve_power_iterations("auto", 100_000)
    (1, 0)
    >>> resolve_power_iterations(2, 100_000)
    2
    """
    if isinstance(power_iterations, str):
        if power_iterations != "auto":
            raise TransferKitInputError(
                f"power_iterations={power_iterations!r}; use 'auto' or an integer >= 0."
            )
        return 1 if n_samples <= AUTO_POWER_MAX_SAMPLES else 0
    return int(check_positive("power_iterations", power_iterations, strict=False, integer=True))


def kernel_product(
    X: np.ndarray,
    Y: np.ndarray,
    B: np.ndarray,
    kernel: str,
    gamma: float,
    *,
    verbose: bool = False,
) -> np.ndarray:
    r""":math:`K(X, Y)\, B` computed in blocks of rows, never holding the whole kernel.

    At most ``2**28`` bytes of kernel rows exist at once, so the memory is
    :math:`O(n_Y \cdot \text{cols}(B))` plus that block whatever the size of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, B = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    >>> full = kernel_matrix(X, X, "rbf", 0.5) @ B
    >>> bool(np.allclose(kernel_product(X, X, B, "rbf", 0.5), full))
    True
    """
    rows = max(1, _BLOCK_BYTES // (8 * max(Y.shape[0], 1)))
    out = np.empty((X.shape[0], B.shape[1]))
    starts = range(0, X.shape[0], rows)
    for start in tqdm(starts, desc="kernel pass", disable=not verbose, leave=False):
        stop = start + rows
        out[start:stop] = kernel_matrix(X[start:stop], Y, kernel, gamma) @ B
    return out


def exact_kernel_bytes(n_samples: int) -> float:
    """Peak memory of an exact ``n x n`` kernel with its eigen-decomposition.

    The kernel, the eigenvectors, LAPACK's workspace and the factor :math:`P` are all
    ``n x n`` float64 arrays at some point, hence ``4 * 8 * n**2`` bytes.

    Examples
    --------
    >>> exact_kernel_bytes(1000)
    32000000.0
    """
    return 4.0 * 8.0 * float(n_samples) ** 2


def check_kernel_memory(n_samples: int, kernel: str) -> None:
    """Raise :class:`~transferkit.MemoryBudgetError` if the exact kernel would not fit."""
    check_memory(
        exact_kernel_bytes(n_samples),
        f"the exact {n_samples} x {n_samples} {kernel} kernel and its eigen-decomposition",
        suggestion=(
            f'approximation="nystroem", n_landmarks={min(2000, max(n_samples // 10, 100))} '
            '(or kernel="primal" for a linear map of the features)'
        ),
    )


def centred_gram(P: np.ndarray) -> np.ndarray:
    r""":math:`P^\top H P` with the centring matrix :math:`H`, never forming :math:`H`.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.arange(6.0).reshape(3, 2)
    >>> H = np.eye(3) - 1 / 3
    >>> bool(np.allclose(centred_gram(P), P.T @ H @ P))
    True
    """
    centred = P - P.mean(axis=0)
    return centred.T @ centred


@dataclass
class KernelFactor:
    r"""A factor :math:`P` with :math:`P P^\top` spanning the kernel, and its out-of-sample map.

    Parameters
    ----------
    kernel : {"primal", "linear", "rbf"}
    gamma : float or None
        RBF bandwidth; ``None`` = median heuristic on the fitted data.
    approximation : {None, "nystroem"}
    n_landmarks : int
        Number of Nyström landmarks.
    power_iterations : int or "auto"
        Passes over the full kernel that refine the Nyström sketch (0 = plain landmark
        Nyström); ``"auto"`` = 1 up to :data:`AUTO_POWER_MAX_SAMPLES` samples, else 0.
    random_state : int, RandomState or None
        Draws the landmarks and the median-heuristic subsample.
    check_memory : bool
        Estimate the memory of an exact ``n x n`` kernel before building it.
    verbose : bool
        Show a progress bar over the blocks of a kernel pass.
    primal_space : {"auto", "features", "samples"}
        Where a primal map is solved; ``"auto"``: the features when
        ``n_features <= n_samples``, else the samples (both exact).

    Attributes
    ----------
    mode_ : str
        ``"primal"``, ``"primal_samples"``, ``"linear_features"``, ``"exact"``, ``"nystroem"`` or
        ``"nystroem_power"`` (Nyström refined by power iterations).
    power_iterations_ : int
        Power iterations actually run (0 unless a Nyström approximation was refined).
    basis_ : ndarray of shape (n_features, r) or None
        Orthonormal basis of the row space of the data in ``"primal_samples"`` mode.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 4))
    >>> f = KernelFactor("linear")
    >>> P = f.fit(X)
    >>> bool(np.allclose(P @ P.T, (X @ X.T) @ (X @ X.T)))
    True
    >>> bool(np.allclose(f.transform(X), P))
    True
    """

    kernel: str = "linear"
    gamma: float | None = None
    approximation: str | None = None
    n_landmarks: int = 1000
    power_iterations: Any = "auto"
    random_state: Any = None
    check_memory: bool = True
    verbose: bool = False
    primal_space: str = "auto"

    def fit(self, X: np.ndarray) -> np.ndarray:
        """Build the factor of the kernel of the rows of ``X``; return ``P`` (n x r)."""
        check_option("kernel", self.kernel, KERNELS)
        check_option("approximation", self.approximation, APPROXIMATIONS)
        n = X.shape[0]
        self.gamma_ = None
        if self.kernel == "rbf":
            if self.gamma is None:
                self.gamma_ = median_heuristic_gamma(X, random_state=self.random_state)
            else:
                self.gamma_ = float(check_positive("gamma", self.gamma))
        self.power_iterations_ = 0
        self.basis_ = None
        if self.kernel == "primal":
            space = self.primal_space
            if space == "auto":
                space = "features" if X.shape[1] <= n else "samples"
            if space == "features":
                self.mode_ = "primal"
                return X
            # n < d: the solution a of the d x d problem lies in the row space of X
            # (lambda I forces the rest to zero), so with X = U S V^T (thin) and a = V b
            # the problem is the r x r one of P = X V = U S. Exact; O(n^2 d), not O(d^3).
            _, s, Vt = linalg.svd(X, full_matrices=False, lapack_driver="gesdd")
            keep = s > np.sqrt(_RANK_TOL) * max(s.max(), 0.0)
            self.basis_ = Vt[keep].T
            self.mode_ = "primal_samples"
            return X @ self.basis_
        if self.approximation == "nystroem":
            check_positive("n_landmarks", self.n_landmarks, integer=True)
            power = resolve_power_iterations(self.power_iterations, n)
            m = min(int(self.n_landmarks), n)
            self._nystroem = Nystroem(
                kernel=self.kernel,
                gamma=self.gamma_,
                n_components=m,
                random_state=check_random_state(self.random_state),
            ).fit(X)
            if power and m < n:
                return self._fit_power(X, power)
            F = self._nystroem.transform(X)
            self._post = _factor_rotation(F)
            self.mode_ = "nystroem"
            return F @ self._post
        if self.kernel == "linear" and X.shape[1] < n:
            # K = X X^T = V S^2 V^T; P = V S^2 = X U S, out-of-sample x -> x U S.
            _, s, Ut = linalg.svd(X, full_matrices=False, lapack_driver="gesdd")
            keep = s > np.sqrt(_RANK_TOL) * max(s.max(), 0.0)
            self._post = Ut[keep].T * s[keep]
            self.mode_ = "linear_features"
            return X @ self._post
        if self.check_memory:
            check_kernel_memory(n, self.kernel)
        K = kernel_matrix(X, None, self.kernel, self.gamma_)
        values, V = linalg.eigh(K, overwrite_a=True, driver="evd")
        keep = values > _RANK_TOL * max(values.max(), 0.0)
        self._fit_X = X
        self._post = V[:, keep]
        self.mode_ = "exact"
        return self._post * values[keep]

    def _fit_power(self, X: np.ndarray, power: int) -> np.ndarray:
        r"""Nyström from the sketch :math:`\Omega = \operatorname{orth}(K^{q-1} C)`.

        With :math:`Y = K\Omega` and :math:`\Omega^\top Y = R \Lambda R^\top`,
        :math:`F = Y R \Lambda^{-1/2}` satisfies :math:`F F^\top = Y (\Omega^\top
        Y)^{+} Y^\top`; a new sample maps to :math:`k(x, X)\,\Omega R \Lambda^{-1/2}`,
        which reproduces the rows of :math:`F` on the fitted samples.
        """
        landmarks = self._nystroem.components_
        sketch = kernel_matrix(X, landmarks, self.kernel, self.gamma_)
        basis = linalg.qr(sketch, mode="economic", overwrite_a=True)[0]
        for _ in range(power - 1):
            Y = kernel_product(X, X, basis, self.kernel, self.gamma_, verbose=self.verbose)
            basis = linalg.qr(Y, mode="economic", overwrite_a=True)[0]
        Y = kernel_product(X, X, basis, self.kernel, self.gamma_, verbose=self.verbose)
        core = basis.T @ Y
        values, R = _leading_eigenpairs((core + core.T) / 2)
        inverse_root = R / np.sqrt(values)
        F = Y @ inverse_root
        rotation = _factor_rotation(F)
        self._fit_X = X
        self._post = basis @ (inverse_root @ rotation)
        self._fit_P = F @ rotation
        self.power_iterations_ = power
        self.mode_ = "nystroem_power"
        return self._fit_P

    def _fitted_rows(self, X: np.ndarray) -> np.ndarray | None:
        """The stored factor rows when ``X`` is a contiguous block of the fitted samples.

        Transforming the training data again (source, target) is then free instead of a
        second O(n^2) pass; any other input returns None and is computed.
        """
        fit = self._fit_X
        k = X.shape[0]
        if k == 0 or k > fit.shape[0] or X.shape[1:] != fit.shape[1:]:
            return None
        starts = np.flatnonzero(np.all(fit[: fit.shape[0] - k + 1] == X[0], axis=1))
        for start in starts[:8]:
            if np.array_equal(fit[start : start + k], X):
                return self._fit_P[start : start + k].copy()
        return None

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Out-of-sample factor rows :math:`p(x) = k(x, X_{fit}) V` for new samples.

        For ``"primal"`` (in either space) this is ``X`` itself: the embedding adapters
        map the row-space coefficients back to a :math:`d \\times k` matrix
        (``basis_ @ W``) after solving.
        """
        if self.mode_ in ("primal", "primal_samples"):
            return X
        if self.mode_ == "nystroem":
            return self._nystroem.transform(X) @ self._post
        if self.mode_ == "nystroem_power":
            rows = self._fitted_rows(X)
            if rows is not None:
                return rows
            return kernel_product(X, self._fit_X, self._post, self.kernel, self.gamma_)
        if self.mode_ == "linear_features":
            return X @ self._post
        return kernel_matrix(X, self._fit_X, self.kernel, self.gamma_) @ self._post


def _factor_rotation(F: np.ndarray) -> np.ndarray:
    r""":math:`Q S` from the thin SVD :math:`F = V S Q^\top`, so that :math:`F Q S = V S^2`.

    Directions with a negligible singular value are dropped.
    """
    values, Q = _leading_eigenpairs(F.T @ F)
    return Q * np.sqrt(values)


def _leading_eigenpairs(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-pairs of the small symmetric PSD matrix ``S`` above the rank tolerance.

    Raises when none is left: the Nyström approximation built from ``S`` is zero.
    """
    values, vectors = linalg.eigh(S)
    keep = values > _RANK_TOL * max(values.max(), 0.0)
    if not np.any(keep):
        raise TransferKitInputError(
            "The Nyström kernel approximation is zero; check gamma and the data."
        )
    return values[keep], vectors[:, keep]


@dataclass
class MMDMatrix:
    r"""A (weighted, balanced) MMD matrix kept as its rank-one terms.

    .. math::
        M = \frac{\tilde M}{\lVert \tilde M \rVert_F}, \qquad
        \tilde M = w_0 C\, e_0 e_0^\top + \sum_{c=1}^{C} w_c\, e_c e_c^\top
        = E D E^\top,

    with :math:`e_0 = [\tfrac1{n_s}\mathbf 1; -\tfrac1{n_t}\mathbf 1]` (marginal MMD) and
    :math:`e_c` equal to :math:`1/n_s^{(c)}` on the source samples of class :math:`c`
    and :math:`-\alpha_c / n_t^{(c)}` on the target samples pseudo-labelled :math:`c`
    (conditional MMD; :math:`\alpha_c = 1` except in weighted BDA; a class without
    target samples contributes its source part only, as in the reference code). The
    marginal term is multiplied by :math:`C` as in Long et al.'s code. Only the
    :math:`n \times (C+1)` matrix :math:`E` is stored; :math:`\lVert \tilde M \rVert_F^2 =
    \operatorname{tr}((D E^\top E)^2)` uses the small Gram matrix :math:`E^\top E`.

    Parameters
    ----------
    y_source : ndarray of int, codes ``0..C-1``
    y_target : ndarray of int or None
        Pseudo-labels of the target (codes; ``-1`` = excluded), or None for marginal only.
    n_target : int
    n_classes : int
    marginal_weight, conditional_weight : float
        :math:`w_0` and :math:`w_c` (JDA: 1 and 1; BDA: :math:`1-\mu` and :math:`\mu`).
    alpha : ndarray of shape (C,) or None
        Class weights of the target part (weighted BDA).

    Examples
    --------
    >>> import numpy as np
    >>> mmd = MMDMatrix(np.array([0, 0, 1]), np.array([1, 0]), n_target=2, n_classes=2)
    >>> X = np.arange(10.0).reshape(5, 2)
    >>> bool(np.allclose(mmd.project(X), X.T @ mmd.dense() @ X))
    True
    """

    y_source: np.ndarray
    y_target: np.ndarray | None
    n_target: int
    n_classes: int
    marginal_weight: float = 1.0
    conditional_weight: float = 1.0
    alpha: np.ndarray | None = None

    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``n x J`` matrix :math:`E` of rank-one vectors and their weights :math:`D`."""
        ns, nt, C = self.y_source.shape[0], self.n_target, self.n_classes
        cols, weights = [], []
        if self.marginal_weight != 0:
            e = np.empty(ns + nt)
            e[:ns], e[ns:] = 1.0 / ns, -1.0 / nt
            cols.append(e)
            weights.append(self.marginal_weight * C)
        if self.y_target is not None and self.conditional_weight != 0:
            for c in range(C):
                e = np.zeros(ns + nt)
                src, tgt = self.y_source == c, self.y_target == c
                n_sc, n_tc = int(src.sum()), int(tgt.sum())
                a = 1.0 if self.alpha is None else float(self.alpha[c])
                if n_sc:
                    e[:ns][src] = 1.0 / n_sc
                if n_tc:
                    e[ns:][tgt] = -a / n_tc
                cols.append(e)
                weights.append(self.conditional_weight)
        E = np.stack(cols, axis=1) if cols else np.zeros((ns + nt, 0))
        return E, np.asarray(weights, dtype=float)

    def lowrank(self, P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Low-rank form :math:`P^\top M P = G \operatorname{diag}(w) G^\top`; returns G, w.

        :math:`G = P^\top E`.

        The weights already include the Frobenius normalisation
        :math:`\lVert \tilde M \rVert_F^2 = \operatorname{tr}((D E^\top E)^2)`;
        a zero matrix gives zero weights.
        """
        E, weights = self.factors()
        DG = weights[:, None] * (E.T @ E)
        fro = float(np.sqrt(max(np.sum(DG * DG.T), 0.0)))
        G = P.T @ E
        if fro == 0:
            return G, np.zeros_like(weights)
        return G, weights / fro

    def project(self, P: np.ndarray) -> np.ndarray:
        r""":math:`P^\top M P` for ``P`` stacking the source rows, then the target rows."""
        G, w = self.lowrank(P)
        return (G * w) @ G.T

    def dense(self) -> np.ndarray:
        """The ``n x n`` matrix itself (for tests and small problems only)."""
        n = self.y_source.shape[0] + self.n_target
        return self.project(np.eye(n))
