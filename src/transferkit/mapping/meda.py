"""MEDA: Manifold Embedded Distribution Alignment (Wang et al., ACM MM 2018)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from scipy import linalg, sparse
from sklearn.neighbors import NearestNeighbors

from transferkit._validation import (
    MAX_ROUNDS,
    Interval,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
    check_matrix,
    check_memory,
    check_option,
)
from transferkit.base import BaseTransferClassifier
from transferkit.mapping._kernels import kernel_matrix
from transferkit.mapping.subspace import _DIMENSION, GFK
from transferkit.metrics.proxy_a import svm_training_a_distance

__all__ = ["MEDA", "adaptive_balance_factor"]


def _proxy_a_distance(Xs: np.ndarray, Xt: np.ndarray) -> float:
    """MEDA's reference: hinge-loss linear SVM, training error, 2 for an empty class."""
    return svm_training_a_distance(Xs, Xt, loss="hinge", max_iter=2000, empty_value=2.0)


def adaptive_balance_factor(
    X_source: Any, y_source: Any, X_target: Any, y_target_pseudo: Any
) -> float:
    r"""MEDA's adaptive factor :math:`\hat\mu` between marginal and conditional alignment.

    .. math::
        \hat\mu = 1 - \frac{d_M}{d_M + \sum_{c=1}^C d_c / C}
                = \frac{\bar d_c}{d_M + \bar d_c},

    where :math:`d_M` is the proxy :math:`\mathcal A`-distance between the domains and
    :math:`d_c` the one between source class :math:`c` and the target samples
    pseudo-labelled :math:`c`. :math:`\hat\mu \to 1` gives weight to the conditional
    distributions. Values below :math:`10^{-3}` are set to 0, values above 1 to 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 2)); ys = np.repeat([0, 1], 30)
    >>> mu = adaptive_balance_factor(Xs, ys, Xs + 5.0, ys)
    >>> 0.0 <= mu <= 1.0
    True
    """
    Xs = check_matrix(X_source, "X_source")
    Xt = check_matrix(X_target, "X_target", n_features=Xs.shape[1])
    ys = np.asarray(y_source).ravel()
    yt = np.asarray(y_target_pseudo).ravel()
    if ys.shape[0] != Xs.shape[0] or yt.shape[0] != Xt.shape[0]:
        raise TransferKitInputError(
            "y_source / y_target_pseudo must have one label per row of X_source / X_target."
        )
    return _balance_factor(Xs, ys, Xt, yt, _proxy_a_distance(Xs, Xt), {})


def _balance_factor(
    Xs: np.ndarray,
    ys: np.ndarray,
    Xt: np.ndarray,
    yt: np.ndarray,
    d_marginal: float,
    cache: dict[tuple[Any, bytes], float],
) -> float:
    """:func:`adaptive_balance_factor` with a fixed marginal distance and a cache of the
    class-wise distances (keyed by class and its pseudo-labelled target rows), so that
    MEDA's iterations refit only the classes whose pseudo-labels changed."""
    d_classes = []
    for c in np.unique(ys):
        rows = np.flatnonzero(yt == c)
        key = (c, rows.tobytes())
        if key not in cache:
            cache[key] = _proxy_a_distance(Xs[ys == c], Xt[rows])
        d_classes.append(cache[key])
    d_conditional = float(np.mean(d_classes))
    total = d_marginal + d_conditional
    if total == 0:
        return 0.5
    mu = d_conditional / total
    if mu > 1:
        return 1.0
    return 0.0 if mu < 1e-3 else float(mu)


def _normalise_rows(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, 1e-12)


def cosine_knn_laplacian(X: np.ndarray, n_neighbors: int) -> sparse.csr_matrix:
    r"""Normalised graph Laplacian :math:`L = I - D^{-1/2} W D^{-1/2}` of a cosine kNN graph.

    :math:`W_{ij} = \cos(x_i, x_j)` when :math:`x_j` is among the ``n_neighbors``
    nearest neighbours of :math:`x_i` (each point counts as its own neighbour, as in
    Cai et al.'s ``constructW`` used by MEDA), symmetrised with
    :math:`W = \max(W, W^\top)`. Sparse, :math:`O(n k)` memory.
    """
    Xn = _normalise_rows(X)
    n = Xn.shape[0]
    k = min(n_neighbors + 1, n)
    nn = NearestNeighbors(n_neighbors=k).fit(Xn)
    dist, idx = nn.kneighbors(Xn)
    cosines = 1.0 - 0.5 * dist**2
    rows = np.repeat(np.arange(n), k)
    W = sparse.csr_matrix((cosines.ravel(), (rows, idx.ravel())), shape=(n, n))
    W = W.maximum(W.T)
    degree = np.asarray(W.sum(axis=1)).ravel()
    scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    S = sparse.diags(scale) @ W @ sparse.diags(scale)
    return (sparse.identity(n, format="csr") - S).tocsr()


def _mmd_factors(
    n_s: int, y_s: np.ndarray, pseudo: np.ndarray, n_classes: int, mu: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Low-rank form :math:`M = U\,\mathrm{diag}(w)\,U^\top` of MEDA's MMD matrix.

    :math:`M = (1-\mu)\,C\, e_0 e_0^\top + \mu \sum_c e_c e_c^\top`, with
    :math:`e_0 = [\mathbf 1/n_s; -\mathbf 1/n_t]` and :math:`e_c` the class-:math:`c`
    indicators scaled by the class sizes (source) and pseudo-label counts (target), then
    divided by its Frobenius norm. Never forms the n x n matrix.
    """
    n_t = pseudo.shape[0]
    U = np.zeros((n_s + n_t, n_classes + 1))
    U[:n_s, 0] = 1.0 / n_s
    U[n_s:, 0] = -1.0 / n_t
    for c in range(n_classes):
        src = y_s == c
        tgt = pseudo == c
        if src.any():
            U[:n_s, c + 1][src] = 1.0 / src.sum()
        if tgt.any():
            U[n_s:, c + 1][tgt] = -1.0 / tgt.sum()
    w = np.r_[(1.0 - mu) * n_classes, np.full(n_classes, mu)]
    gram = U.T @ U
    weighted = w[:, None] * gram
    fro = float(np.sqrt(max(np.trace(weighted @ weighted), 0.0)))
    return U, w / fro if fro > 0 else w


class MEDA(BaseTransferClassifier):
    r"""Manifold Embedded Distribution Alignment.

    MEDA first embeds both domains with the geodesic flow kernel (:class:`GFK`, the
    "manifold feature learning" step), L2-normalises the embedded samples, and then
    learns a kernel classifier :math:`f(x) = \sum_i \beta_i k(x_i, x)` over all
    :math:`n = n_s + n_t` samples by structural risk minimisation with *dynamic
    distribution alignment* and manifold regularisation:

    .. math::
        \min_f \sum_{i=1}^{n_s} \lVert y_i - f(x_i)\rVert^2 + \eta \lVert f\rVert_K^2
        + \lambda\, \overline{D_f}(\mathcal D_s, \mathcal D_t) + \rho\, R_f ,

    with :math:`\overline{D_f} = (1-\mu) D_f(P_s, P_t) + \mu \sum_c D_f^{(c)}(Q_s, Q_t)`
    (MMD of marginal and class-conditional distributions) and the Laplacian
    regulariser :math:`R_f = \operatorname{tr}(F^\top L F)`. Its solution is

    .. math::
        \beta^\ast = \big((E + \lambda M + \rho L) K + \eta I\big)^{-1} E Y ,

    with :math:`E` the diagonal indicator of the labelled source rows, :math:`M` the
    (Frobenius-normalised) MMD matrix and :math:`L` the normalised Laplacian of a
    cosine :math:`p`-nearest-neighbour graph. The balance factor :math:`\mu` is
    re-estimated from proxy :math:`\mathcal A`-distances (:func:`adaptive_balance_factor`)
    and the target pseudo-labels are refreshed, for ``n_iter`` iterations
    (initial pseudo-labels: 1NN on the embedded source).

    The system matrix changes only through the rank-(C+1) term :math:`\lambda M K`,
    so it is factorised once and every iteration costs :math:`O(n^2 C)` (Woodbury)
    instead of a new :math:`O(n^3)` solve.

    Parameters
    ----------
    n_components : int, "sdm" or None, default=None
        GFK subspace dimension (the paper's :math:`d`); ``None`` = :class:`GFK`'s
        default ``min(20, D // 2, n_s - 1, n_t - 1)`` (the paper uses 20).
    kernel : {"rbf", "linear"}, default="rbf"
    gamma : float, optional
        RBF width :math:`k(a,b)=\exp(-\gamma\lVert a-b\rVert^2)`. Default: the
        reference rule :math:`\gamma = 1/(2\sigma^2)` with :math:`\sigma^2` the mean
        sample norm (:math:`\sigma=1`, :math:`\gamma = 0.5` on normalised samples).
    lambda_ : float, default=10.0
        Weight :math:`\lambda` of distribution alignment.
    eta : float, default=0.1
        Weight :math:`\eta` of the RKHS norm.
    rho : float, default=1.0
        Weight :math:`\rho` of manifold regularisation (0 switches it off).
    n_neighbors : int, default=10
        :math:`p`, neighbours in the Laplacian graph.
    n_iter : int in [1, 10000], default=10
        :math:`T`, pseudo-label iterations (as ``n_iter`` of :class:`JDA`).
    mu : float in [0, 1] or "auto", default="auto"
        Balance factor :math:`\mu` (as in :class:`BDA`): fixed, or re-estimated at
        every iteration (:func:`adaptive_balance_factor`, the paper's adaptive factor).
    verbose : bool, default=False
        Show a progress bar over the iterations.

    Attributes
    ----------
    gfk_ : GFK
        The fitted manifold embedding.
    n_components_ : int
        The GFK subspace dimension used.
    dual_coef_ : ndarray of shape (n_source + n_target, n_classes)
        :math:`\beta`.
    mu_history_ : list of float
        :math:`\mu` used at each iteration.
    pseudo_labels_ : ndarray of shape (n_target,)
        Final target predictions (in ``classes_``).
    pseudo_label_history_ : list of ndarray of shape (n_target,)
        The target predictions after each iteration (``n_iter`` arrays; the last one
        is ``pseudo_labels_``). Many labels still changing at the end means the
        iterations have not settled.
    n_iter_ : int

    References
    ----------
    J. Wang, W. Feng, Y. Chen, H. Yu, M. Huang, P. S. Yu. *Visual Domain Adaptation
    with Manifold Embedded Distribution Alignment.* ACM Multimedia 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.mapping import MEDA
    >>> rng = np.random.default_rng(0)
    >>> centres = np.array([[3.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 3.0, 0]])
    >>> ys = np.repeat([0, 1, 2], 20); yt = np.repeat([0, 1, 2], 15)
    >>> Xs = centres[ys] + rng.normal(size=(60, 4))
    >>> Xt = centres[yt] + rng.normal(size=(45, 4)) + 0.5
    >>> clf = MEDA(n_components=2, n_iter=3).fit(Xs, ys, X_target=Xt)
    >>> clf.score(Xt, yt) > 0.9
    True
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": _DIMENSION,
        "kernel": [StrOptions({"rbf", "linear"})],
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "lambda_": [Interval(Real, 0, None, closed="left")],
        "eta": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "n_iter": [Interval(Integral, 1, MAX_ROUNDS, closed="both")],
        "mu": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components: int | str | None = None,
        *,
        kernel: str = "rbf",
        gamma: float | None = None,
        lambda_: float = 10.0,
        eta: float = 0.1,
        rho: float = 1.0,
        n_neighbors: int = 10,
        n_iter: int = 10,
        mu: float | str = "auto",
        verbose: bool = False,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.gamma = gamma
        self.lambda_ = lambda_
        self.eta = eta
        self.rho = rho
        self.n_neighbors = n_neighbors
        self.n_iter = n_iter
        self.mu = mu
        self.verbose = verbose

    def _embed(self, X: np.ndarray) -> np.ndarray:
        return _normalise_rows(self.gfk_.transform(X))

    def _kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        if self.kernel == "linear":
            return A @ B.T
        return kernel_matrix(A, B, "rbf", self.gamma_)

    def _fit(self, data: ValidatedDomains) -> None:
        from tqdm.auto import tqdm

        n_s, n_t = data.X.shape[0], data.X_target.shape[0]
        n = n_s + n_t
        # dense n x n kernel, system matrix and its LU factors
        check_memory(
            4.5 * 8.0 * n * n,
            f"MEDA's exact {n} x {n} kernel system",
            suggestion="subsample the source or target domain (MEDA needs the full kernel)",
        )
        y_idx = np.searchsorted(self.classes_, data.y)
        n_classes = self.classes_.size

        self.gfk_ = GFK(n_components=self.n_components).fit(data.X, X_target=data.X_target)
        self.n_components_ = self.gfk_.n_components_
        Zs = self.gfk_.transform(data.X)
        Zt = self.gfk_.transform(data.X_target)
        X = _normalise_rows(np.vstack([Zs, Zt]))
        if self.gamma is None:
            # reference rule: sigma^2 = mean sample norm (after normalisation, 1)
            sigma2 = max(float(np.mean(np.linalg.norm(X, axis=1))), 1e-12)
            self.gamma_ = 1.0 / (2.0 * sigma2)
        else:
            self.gamma_ = float(self.gamma)
        K = self._kernel(X, X)

        # initial pseudo-labels: 1NN on the normalised embedding
        nn = NearestNeighbors(n_neighbors=1).fit(X[:n_s])
        pseudo = y_idx[nn.kneighbors(X[n_s:], return_distance=False)[:, 0]]

        Y = np.zeros((n, n_classes))
        Y[np.arange(n_s), y_idx] = 1.0
        E = np.r_[np.ones(n_s), np.zeros(n_t)]
        base = E[:, None] * K + self.eta * np.eye(n)
        if self.rho > 0:
            L = cosine_knn_laplacian(X, self.n_neighbors)
            base += self.rho * (L @ K)
        lu = linalg.lu_factor(base, overwrite_a=True, check_finite=False)
        base_rhs = linalg.lu_solve(lu, Y, check_finite=False)  # B^{-1} E Y

        self.mu_history_: list[float] = []
        self.pseudo_label_history_: list[np.ndarray] = []
        if self.mu == "auto":
            d_marginal = _proxy_a_distance(Zs, Zt)  # the embedding is fixed: computed once
            cache: dict[tuple[Any, bytes], float] = {}
        steps = tqdm(range(self.n_iter), desc="MEDA", disable=not self.verbose, leave=False)
        for _ in steps:
            if self.mu == "auto":
                mu = _balance_factor(Zs, y_idx, Zt, pseudo, d_marginal, cache)
            else:
                mu = float(self.mu)
            self.mu_history_.append(mu)
            U, w = _mmd_factors(n_s, y_idx, pseudo, n_classes, mu)
            # (B + U V^T) beta = E Y,  V^T = lambda diag(w) U^T K
            Vt = (self.lambda_ * w)[:, None] * (U.T @ K)
            BinvU = linalg.lu_solve(lu, U, check_finite=False)
            small = np.eye(U.shape[1]) + Vt @ BinvU
            beta = base_rhs - BinvU @ np.linalg.solve(small, Vt @ base_rhs)
            F = K @ beta
            pseudo = np.argmax(F[n_s:], axis=1)
            self.pseudo_label_history_.append(self.classes_[pseudo])
        self.n_iter_ = self.n_iter
        self.dual_coef_ = beta
        self.X_fit_ = X
        self.pseudo_labels_ = self.classes_[pseudo]

    def decision_function(self, X: Any, domain: str = "target") -> np.ndarray:
        r"""Scores :math:`F = K(X, X_{fit})\,\beta` (one column per class)."""
        check_option("domain", domain, ("source", "target"))
        Xc = self._check_fitted_input(X)
        return self._kernel(self._embed(Xc), self.X_fit_) @ self.dual_coef_

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        F = self._kernel(self._embed(X), self.X_fit_) @ self.dual_coef_
        return self.classes_[np.argmax(F, axis=1)]

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        """Softmax of the least-squares scores (monotone in them; not calibrated)."""
        F = self._kernel(self._embed(X), self.X_fit_) @ self.dual_coef_
        F = F - F.max(axis=1, keepdims=True)
        P = np.exp(F)
        return P / P.sum(axis=1, keepdims=True)
