"""Subspace methods: Subspace Alignment (Fernando et al., 2013) and GFK (Gong et al., 2012).

Both describe each domain by its top-:math:`d` principal subspace and relate the two
subspaces in closed form: SA with one linear map, GFK by integrating over the
geodesic that joins them on the Grassmann manifold.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np

from transferkit._validation import (
    Interval,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
    check_matrix,
    check_option,
    check_positive,
)
from transferkit.base import BaseAdapter
from transferkit.mapping._eigen import symmetric_power, top_eigenvectors

__all__ = [
    "GFK",
    "SubspaceAlignment",
    "geodesic_flow_kernel",
    "pca_basis",
    "principal_angles",
    "subspace_disagreement_dimension",
]

_ANGLE_TOL = 1e-12

#: ``n_components=None`` of Subspace Alignment: ``min(30, limit)`` (as TCA/JDA/BDA).
SA_DEFAULT_DIM = 30
#: ``n_components=None`` of GFK and MEDA: ``min(20, n_features // 2, limit)``; 20 is the
#: GFK paper's dimension, and beyond half the features the two subspaces must overlap.
GFK_DEFAULT_DIM = 20

_DIMENSION = [Interval(Integral, 1, None, closed="left"), StrOptions({"sdm"}), None]


def pca_basis(X: np.ndarray, n_components: int) -> np.ndarray:
    """Orthonormal basis of the top principal directions of ``X`` (rows are samples).

    The data are centred first (as MATLAB ``pca``/``princomp``); the result has shape
    ``(n_features, n_components)`` with columns in decreasing order of variance. The
    smaller of the two Gram matrices is decomposed, and only the wanted eigenpairs.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [2.0, 0.1], [4.0, -0.1]])
    >>> P = pca_basis(X, 1)
    >>> P.shape, bool(abs(P[0, 0]) > 0.99)
    ((2, 1), True)
    """
    X = check_matrix(X, "X", min_samples=2)
    check_positive("n_components", n_components, integer=True)
    n, d = X.shape
    rank_bound = min(n - 1, d)
    if n_components > rank_bound:
        raise TransferKitInputError(
            f"n_components={n_components} exceeds min(n_samples - 1, n_features) = "
            f"{rank_bound} for a domain of shape {X.shape}; choose n_components <= "
            f"{rank_bound}."
        )
    centred = X - X.mean(axis=0)
    if d <= n:
        _, vectors = top_eigenvectors(centred.T @ centred, n_components)
        return vectors
    values, left = top_eigenvectors(centred @ centred.T, n_components)
    vectors = centred.T @ (left / np.sqrt(np.maximum(values, np.finfo(float).tiny)))
    # re-orthonormalise (rounding) without changing the spanned subspace or its order
    q, r = np.linalg.qr(vectors)
    return q * np.sign(np.diag(r))


def principal_angles(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    r"""Principal angles (radians, increasing) between the column spans of ``A`` and ``B``.

    ``A`` and ``B`` must have orthonormal columns; :math:`\cos\theta_i` are the singular
    values of :math:`A^\top B`.

    Examples
    --------
    >>> import numpy as np
    >>> principal_angles(np.eye(3)[:, :1], np.array([[1.0], [1.0], [0.0]]) / np.sqrt(2))
    array([0.78539816])
    """
    cosines = np.linalg.svd(A.T @ B, compute_uv=False)
    return np.arccos(np.clip(cosines, -1.0, 1.0))


def _geodesic_factors(Ps: np.ndarray, Pt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Return ``Z`` (D x 2d) and the core ``Lambda`` (2d x 2d) with :math:`G = Z\Lambda Z^\top`.

    With :math:`P_s^\top P_t = U_1 \Gamma V^\top` (:math:`\Gamma = \cos\Theta`) the
    geodesic is :math:`\Phi(t) = P_s U_1 \Gamma(t) - R_s U_2 \Sigma(t)`, where
    :math:`R_s U_2 = -(I - P_s P_s^\top) P_t V \Sigma^{-1}` (so the orthogonal
    complement :math:`R_s`, a D x (D-d) matrix, is never formed). Directions with
    :math:`\theta_i = 0` get a zero column; their coefficients in :math:`\Lambda` vanish.
    """
    U1, cosines, Vt = np.linalg.svd(Ps.T @ Pt)
    cosines = np.clip(cosines, -1.0, 1.0)
    theta = np.arccos(cosines)
    sines = np.sin(theta)
    Z1 = Ps @ U1
    residual = Pt @ Vt.T - Z1 * cosines  # (I - Ps Ps^T) Pt V, columns of norm sin(theta)
    moving = sines > _ANGLE_TOL
    Z2 = np.zeros_like(residual)
    Z2[:, moving] = -residual[:, moving] / sines[moving]
    safe = np.maximum(theta, _ANGLE_TOL)
    lam1 = 0.5 * (1.0 + np.sin(2 * theta) / (2 * safe))
    lam2 = 0.5 * (np.cos(2 * theta) - 1.0) / (2 * safe)
    lam3 = 0.5 * (1.0 - np.sin(2 * theta) / (2 * safe))
    lam2[~moving] = 0.0
    lam3[~moving] = 0.0
    lam1[~moving] = 1.0
    core = np.block([[np.diag(lam1), np.diag(lam2)], [np.diag(lam2), np.diag(lam3)]])
    return np.hstack([Z1, Z2]), core


def geodesic_flow_kernel(Ps: np.ndarray, Pt: np.ndarray) -> np.ndarray:
    r"""The geodesic flow kernel :math:`G = \int_0^1 \Phi(t)\Phi(t)^\top\,dt` (closed form).

    Parameters
    ----------
    Ps, Pt : ndarray of shape (n_features, d)
        Orthonormal bases of the source and target subspaces.

    Returns
    -------
    G : ndarray of shape (n_features, n_features)
        Symmetric positive semi-definite; :math:`G = P P^\top` when both subspaces
        coincide.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.eye(4)[:, :2]
    >>> bool(np.allclose(geodesic_flow_kernel(P, P), P @ P.T))
    True
    """
    Z, core = _geodesic_factors(np.asarray(Ps, float), np.asarray(Pt, float))
    G = Z @ core @ Z.T
    return 0.5 * (G + G.T)


def subspace_disagreement_dimension(
    X_source: np.ndarray, X_target: np.ndarray, *, max_dim: int | None = None
) -> int:
    r"""Subspace dimension chosen by the subspace disagreement measure (GFK, Sec. 3.4).

    For each :math:`d`, with :math:`\alpha_d` (resp. :math:`\beta_d`) the :math:`d`-th
    principal angle between the source (resp. target) subspace and the subspace of the
    pooled data,

    .. math:: \mathcal D(d) = \tfrac12 \left[\sin \alpha_d + \sin \beta_d\right],

    and the chosen dimension is the first :math:`d` at which :math:`\mathcal D` reaches
    1 (rounded to two decimals, as in the authors' code): beyond it the two domains
    have nearly orthogonal directions and the geodesic is ill-defined.
    If no such :math:`d` exists up to ``max_dim``, ``max_dim`` is returned.

    Parameters
    ----------
    X_source, X_target : ndarray of shape (n_samples, n_features)
    max_dim : int, optional
        Largest dimension searched; default ``min(n_features // 2, n_s - 1, n_t - 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 10)); Xt = rng.normal(size=(50, 10))
    >>> 1 <= subspace_disagreement_dimension(Xs, Xt) <= 5
    True
    """
    Xs = check_matrix(X_source, "X_source", min_samples=2)
    Xt = check_matrix(X_target, "X_target", min_samples=2, n_features=Xs.shape[1])
    limit = min(Xs.shape[1] // 2, Xs.shape[0] - 1, Xt.shape[0] - 1)
    if max_dim is not None:
        check_positive("max_dim", max_dim, integer=True)
        limit = min(limit, max_dim)
    if limit < 1:
        raise TransferKitInputError(
            "subspace dimension selection needs at least 2 features and 2 samples per domain."
        )
    Ps = pca_basis(Xs, limit)
    Pt = pca_basis(Xt, limit)
    Pst = pca_basis(np.vstack([Xs, Xt]), limit)
    for d in range(1, limit + 1):
        alpha = principal_angles(Ps[:, :d], Pst[:, :d])
        beta = principal_angles(Pt[:, :d], Pst[:, :d])
        disagreement = 0.5 * (np.sin(alpha) + np.sin(beta))
        if np.any(np.round(disagreement * 100) >= 100):
            return d
    return limit


def _resolve_dimension(
    n_components: int | str | None, Xs: np.ndarray, Xt: np.ndarray, *, default: int, half: bool
) -> int:
    """The subspace dimension to use: ``"sdm"``, an explicit value (checked against what
    the domains can span) or, for ``None``, ``min(default, limit)`` (with ``half``, also
    at most ``n_features // 2``)."""
    if isinstance(n_components, str):
        check_option("n_components", n_components, ("sdm",))
        return subspace_disagreement_dimension(Xs, Xt)
    limit = min(Xs.shape[0] - 1, Xt.shape[0] - 1, Xs.shape[1])
    if n_components is None:
        if limit < 1:
            raise TransferKitInputError(
                "a principal subspace needs at least 2 samples in each domain; got "
                f"{Xs.shape[0]} source and {Xt.shape[0]} target samples."
            )
        cap = max(Xs.shape[1] // 2, 1) if half else Xs.shape[1]
        return int(min(default, limit, cap))
    check_positive("n_components", n_components, integer=True)
    if n_components > limit:
        raise TransferKitInputError(
            f"n_components={n_components} is larger than the subspace a domain can span "
            f"(min(n_source - 1, n_target - 1, n_features) = {limit}); choose "
            f"n_components <= {limit}, or n_components=None for min({default}, {limit})."
        )
    return int(n_components)


class SubspaceAlignment(BaseAdapter):
    r"""Subspace Alignment: align the source PCA basis with the target one.

    With :math:`P_s, P_t \in \mathbb R^{D\times d}` the top-:math:`d` principal
    directions of each domain, SA learns the linear map between the bases

    .. math::
        M^\ast = \arg\min_M \lVert P_s M - P_t \rVert_F^2 = P_s^\top P_t ,

    and maps source samples with the target-aligned basis :math:`P_a = P_s M^\ast`
    and target samples with their own basis:

    .. math:: z_s = (x_s - \bar x_s)\, P_s P_s^\top P_t, \qquad
              z_t = (x_t - \bar x_t)\, P_t .

    A classifier (the paper uses 1NN or an SVM) is then trained on :math:`z_s`.

    Parameters
    ----------
    n_components : int, "sdm" or None, default=None
        Subspace dimension :math:`d`; ``None`` = ``min(30, n_s - 1, n_t - 1, D)``.
        ``"sdm"`` picks it with the subspace
        disagreement measure of Gong et al. (2012) (see
        :func:`subspace_disagreement_dimension`).
    center : bool, default=True
        Subtract each domain's own mean before projecting (the paper z-scores each
        domain, which also centres it). With ``False`` the bases are applied to the
        raw samples.

    Attributes
    ----------
    n_components_ : int
        The dimension used.
    components_source_, components_target_ : ndarray of shape (n_features, d)
        :math:`P_s` and :math:`P_t`.
    alignment_ : ndarray of shape (d, d)
        :math:`M^\ast = P_s^\top P_t`.
    mean_source_, mean_target_ : ndarray of shape (n_features,)

    References
    ----------
    B. Fernando, A. Habrard, M. Sebban, T. Tuytelaars. *Unsupervised Visual Domain
    Adaptation Using Subspace Alignment.* ICCV 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.mapping import SubspaceAlignment
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(80, 6)), rng.normal(size=(70, 6)) + 1.0
    >>> sa = SubspaceAlignment(n_components=3).fit(Xs, X_target=Xt)
    >>> sa.transform(Xs, domain="source").shape, sa.alignment_.shape
    ((80, 3), (3, 3))
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": _DIMENSION,
        "center": ["boolean"],
    }

    def __init__(self, n_components: int | str | None = None, *, center: bool = True):
        self.n_components = n_components
        self.center = center

    def _fit(self, data: ValidatedDomains) -> None:
        Xs, Xt = data.X, data.X_target
        d = _resolve_dimension(self.n_components, Xs, Xt, default=SA_DEFAULT_DIM, half=False)
        self.n_components_ = d
        self.components_source_ = pca_basis(Xs, d)
        self.components_target_ = pca_basis(Xt, d)
        self.alignment_ = self.components_source_.T @ self.components_target_
        if self.center:
            self.mean_source_ = Xs.mean(axis=0)
            self.mean_target_ = Xt.mean(axis=0)
        else:
            self.mean_source_ = np.zeros(Xs.shape[1])
            self.mean_target_ = np.zeros(Xs.shape[1])

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:
        if domain == "source":
            return (X - self.mean_source_) @ self.components_source_ @ self.alignment_
        return (X - self.mean_target_) @ self.components_target_


class GFK(BaseAdapter):
    r"""Geodesic Flow Kernel: integrate over all subspaces between source and target.

    With :math:`P_s, P_t` the top-:math:`d` principal subspaces, the geodesic on the
    Grassmann manifold :math:`\Phi(t),\ t\in[0,1]`, runs from :math:`\Phi(0)=P_s` to
    :math:`\Phi(1)=P_t`. Projecting two samples onto every subspace along it and
    integrating gives the kernel

    .. math::
        \langle z_i, z_j\rangle = \int_0^1 (\Phi(t)^\top x_i)^\top (\Phi(t)^\top x_j)\,dt
        = x_i^\top G\, x_j, \qquad G = \int_0^1 \Phi(t)\Phi(t)^\top dt ,

    which has the closed form (principal angles :math:`\theta_i` from
    :math:`P_s^\top P_t = U_1\cos\Theta\,V^\top`)

    .. math::
        G = [P_sU_1,\ R_sU_2]
        \begin{bmatrix}\Lambda_1 & \Lambda_2\\ \Lambda_2 & \Lambda_3\end{bmatrix}
        [P_sU_1,\ R_sU_2]^\top,\quad
        \lambda_{1,i} = \tfrac12\Big(1+\tfrac{\sin 2\theta_i}{2\theta_i}\Big),\
        \lambda_{2,i} = \tfrac{\cos 2\theta_i - 1}{4\theta_i},\
        \lambda_{3,i} = \tfrac12\Big(1-\tfrac{\sin 2\theta_i}{2\theta_i}\Big).

    ``transform`` returns features whose inner products and distances are those of
    :math:`G`: :math:`z = x\,[P_sU_1,\ R_sU_2]\,\Lambda^{1/2}` (2d columns). They are
    an isometric copy of the :math:`G^{1/2}x` features of the authors' code, so a 1NN
    classifier on them is the paper's GFK + 1NN. Both domains use the same map.

    Parameters
    ----------
    n_components : int, "sdm" or None, default=None
        Subspace dimension :math:`d` of both domains (at most ``n_features / 2`` is
        meaningful); ``None`` = ``min(20, D // 2, n_s - 1, n_t - 1)`` (20: the paper).
        ``"sdm"`` selects it with the subspace disagreement measure of the paper (see
        :func:`subspace_disagreement_dimension`).

    Attributes
    ----------
    n_components_ : int
    components_source_, components_target_ : ndarray of shape (n_features, d)
    principal_angles_ : ndarray of shape (d,)
        Angles between the two subspaces (radians, increasing).
    embedding_ : ndarray of shape (n_features, 2 d)
        :math:`[P_sU_1,\ R_sU_2]\Lambda^{1/2}`; :math:`G` = ``embedding_ @ embedding_.T``.
    geodesic_kernel_ : ndarray of shape (n_features, n_features)
        :math:`G` (computed on access).

    References
    ----------
    B. Gong, Y. Shi, F. Sha, K. Grauman. *Geodesic Flow Kernel for Unsupervised
    Domain Adaptation.* CVPR 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.mapping import GFK
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(80, 10)), rng.normal(size=(70, 10)) * 2.0
    >>> gfk = GFK(n_components=3).fit(Xs, X_target=Xt)
    >>> Z = gfk.transform(Xt)
    >>> Z.shape, bool(np.allclose(Z @ Z.T, Xt @ gfk.geodesic_kernel_ @ Xt.T))
    ((70, 6), True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"n_components": _DIMENSION}

    def __init__(self, n_components: int | str | None = None):
        self.n_components = n_components

    def _fit(self, data: ValidatedDomains) -> None:
        Xs, Xt = data.X, data.X_target
        d = _resolve_dimension(self.n_components, Xs, Xt, default=GFK_DEFAULT_DIM, half=True)
        self.n_components_ = d
        self.components_source_ = pca_basis(Xs, d)
        self.components_target_ = pca_basis(Xt, d)
        Z, core = _geodesic_factors(self.components_source_, self.components_target_)
        self.principal_angles_ = principal_angles(self.components_source_, self.components_target_)
        self.embedding_ = Z @ symmetric_power(core, 0.5)

    @property
    def geodesic_kernel_(self) -> np.ndarray:
        """The geodesic flow kernel :math:`G` (n_features x n_features)."""
        G = self.embedding_ @ self.embedding_.T
        return 0.5 * (G + G.T)

    def _transform(self, X: np.ndarray, domain: str) -> np.ndarray:
        return X @ self.embedding_
