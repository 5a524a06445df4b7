r"""JDA (Long et al., ICCV 2013) and BDA / weighted BDA (Wang et al., ICDM 2017).

Both align the marginal distributions and the class-conditional distributions of the
two domains, using target pseudo-labels that are refined over ``n_iter`` rounds. They
share one engine; only the weights of the MMD terms differ.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier
from tqdm.auto import tqdm

from transferkit._validation import Interval, StrOptions, ValidatedDomains
from transferkit.mapping._kernels import MMDMatrix
from transferkit.mapping._mmd_embedding import JOINT_CONSTRAINTS, MMDEmbeddingAdapter
from transferkit.metrics.proxy_a import svm_training_a_distance


def _bda_a_distance(Zs: np.ndarray, Zt: np.ndarray) -> float:
    """BDA's reference: liblinear's default SVM, training error, 0 for an empty class."""
    return svm_training_a_distance(Zs, Zt, empty_value=0.0)


__all__ = ["JDA", "BDA"]


class _JointAdapter(MMDEmbeddingAdapter):
    """Pseudo-label loop shared by JDA and BDA."""

    _requires_source_labels = True
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = JOINT_CONSTRAINTS

    def _mmd_weights(
        self, ys: np.ndarray, pseudo: np.ndarray | None, Z: np.ndarray | None
    ) -> tuple[float, float, np.ndarray | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _initial_pseudo_labels(self, data: ValidatedDomains, ys: np.ndarray) -> np.ndarray | None:
        return None

    def _pseudo_label(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> np.ndarray:
        est = KNeighborsClassifier(n_neighbors=1) if self.estimator is None else self.estimator
        return clone(est).fit(Xs, ys).predict(Xt)

    def _fit(self, data: ValidatedDomains) -> None:
        self.classes_ = data.classes
        ys = np.searchsorted(data.classes, data.y)
        known = data.target_labelled
        yt_known = np.searchsorted(data.classes, data.y_target[known]) if known.any() else None
        self._prepare(data)
        n_classes = data.classes.size
        nt = data.X_target.shape[0]
        pseudo = self._initial_pseudo_labels(data, ys)
        Z = None
        self.mu_history_ = []
        self.pseudo_label_history_ = []
        for _ in tqdm(range(self.n_iter), desc=type(self).__name__, disable=not self.verbose):
            if pseudo is not None and yt_known is not None:
                pseudo = pseudo.copy()
                pseudo[known] = yt_known
            marginal, conditional, alpha = self._mmd_weights(ys, pseudo, Z)
            mmd = MMDMatrix(ys, pseudo, nt, n_classes, marginal, conditional, alpha)
            Z = self._solve(mmd)
            self.pseudo_labels_ = None if pseudo is None else data.classes[pseudo]
            Zs, Zt = self._embedding_split(Z)
            pseudo = self._pseudo_label(Zs, ys, Zt)
            self.pseudo_label_history_.append(data.classes[pseudo])
        self.n_iter_ = self.n_iter
        self._finish()


_PARAMS_DOC = r"""
    n_components : int or None, default=None
        Dimension :math:`k` of the shared space; ``None`` = ``min(30, rank)`` with the
        rank of the kernel representation (recorded in ``n_components_``; the papers
        use 100). An explicit value above the rank raises.
    kernel : {"auto", "primal", "linear", "rbf"}, default="auto"
        ``"primal"`` learns a linear map of the features (a :math:`d \times k` matrix),
        solved in the feature space when :math:`d \le n` and, exactly, in the sample
        space when :math:`d > n`; the kernels learn :math:`n \times k` coefficients.
        ``"auto"`` = ``"primal"`` (recorded in ``kernel_``), cheap for every shape.
    lambda_ : float, default=1.0
        Regulariser :math:`\lambda` (the papers use 1 for SURF, 0.1 for digits/COIL).
    n_iter : int in [1, 10000], default=10
        Number of eigen-solves :math:`T`; the first uses the marginal term only, each
        later one the pseudo-labels from the previous embedding.
    gamma : float or None, default=None
        RBF bandwidth; ``None`` = median heuristic.
    normalize : bool, default=True
        L2-normalise every sample before the kernel and every embedded sample (as in the
        reference code of the papers).
    estimator : classifier or None, default=None
        Gives the target pseudo-labels in the embedding; ``None`` = 1-nearest neighbour
        as in the papers. Labelled target samples (``y_target != -1``) keep their labels.
    approximation : {None, "nystroem"}, default=None
        ``"nystroem"`` replaces the exact kernel by a rank-``n_landmarks`` Nyström
        approximation: memory :math:`O(n m)`, time :math:`O(n m^2)` plus
        :math:`O(n^2 (d + m))` per power iteration (see ``power_iterations``). Out-of-sample
        ``transform`` costs :math:`O(m)` kernel evaluations per sample for plain Nyström
        and :math:`O(n)` for the refined one.
    n_landmarks : int, default=1000
        Number of Nyström landmarks :math:`m`.
    power_iterations : int in [0, 100] or "auto", default="auto"
        Passes over the full kernel that refine the Nyström approximation (each costs
        time :math:`O(n^2 (d + m))`, memory :math:`O(n m)`); they make its leading
        eigen-pairs, which plain landmark Nyström shrinks, nearly exact. ``"auto"`` = 1
        up to 30,000 samples, 0 (plain Nyström, linear in :math:`n`) above.
    random_state : int, RandomState or None
        Draws the Nyström landmarks and the median-heuristic subsample.
    verbose : bool, default=False
        Show a progress bar over the iterations."""

_ATTRS_DOC = r"""
    n_components_ : int
        The dimension used.
    kernel_ : str
        The kernel used (``"auto"`` resolved).
    projection_ : ndarray of shape (rank, n_components_)
        Eigenvectors :math:`b` in the kernel factor's coordinates (unit norm); with
        ``kernel="primal"`` the :math:`d \times k` projection matrix itself.
    eigenvalues_ : ndarray of shape (n_components,)
        The :math:`\phi` of the last solve, decreasing.
    pseudo_labels_ : ndarray of shape (n_target,)
        Target pseudo-labels used in the last solve.
    pseudo_label_history_ : list of ndarray of shape (n_target,)
        What the pseudo-label classifier predicted for every target sample in the
        embedding of each solve (``n_iter`` arrays; labelled target samples are *not*
        overridden here). Entry :math:`t` feeds solve :math:`t+1`. Watching how many
        labels change between entries shows whether the loop has settled or is drifting.
    kernel_factor_ : KernelFactor
        The fitted kernel factor (maps new samples).
    classes_ : ndarray
        Source classes."""


class JDA(_JointAdapter):
    __doc__ = (
        r"""Joint Distribution Adaptation (Long et al., ICCV 2013).

    JDA finds a projection :math:`A` of the (kernelised) data in which both the
    marginal distributions and the class-conditional distributions of source and target
    are close in MMD, while the projected data keep their variance:

    .. math::
        \min_{A^\top K H K A = I}\ \sum_{c=0}^{C} \operatorname{tr}(A^\top K M_c K A)
        + \lambda \lVert A \rVert_F^2 ,

    where :math:`M_0` is the marginal MMD matrix and :math:`M_c` compares the source
    samples of class :math:`c` with the target samples *pseudo-labelled* :math:`c`.
    Following the authors' code, :math:`M = (C M_0 + \sum_c M_c)/\lVert\cdot\rVert_F`,
    the solution is the :math:`k` smallest eigenvectors of
    :math:`(K M K + \lambda I) a = \phi\, K H K a`, and the pseudo-labels are refreshed
    by a 1-NN classifier trained on the projected source, ``n_iter`` times.
    :math:`K`, :math:`K H K` and the kernel factor are computed once; each iteration
    only rebuilds a rank-:math:`(C+1)` term and solves an :math:`r \times r` symmetric
    generalised eigenproblem (:math:`r` = rank of the kernel representation).

    Parameters
    ----------"""
        + _PARAMS_DOC
        + r"""

    Attributes
    ----------"""
        + _ATTRS_DOC
        + r"""

    References
    ----------
    M. Long, J. Wang, G. Ding, J. Sun, P. S. Yu. *Transfer Feature Learning with Joint
    Distribution Adaptation.* ICCV 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit.mapping import JDA
    >>> from transferkit import make_transfer_pipeline
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 5)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(50, 5)) + 0.5
    >>> model = make_transfer_pipeline(JDA(n_components=3, n_iter=3), KNeighborsClassifier(1))
    >>> model.fit(Xs, ys, X_target=Xt).predict(Xt).shape
    (50,)
    """
    )

    def __init__(
        self,
        n_components: int | None = None,
        *,
        kernel: str = "auto",
        lambda_: float = 1.0,
        n_iter: int = 10,
        gamma: float | None = None,
        normalize: bool = True,
        estimator: Any = None,
        approximation: str | None = None,
        n_landmarks: int = 1000,
        power_iterations: int | str = "auto",
        random_state: Any = None,
        verbose: bool = False,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.lambda_ = lambda_
        self.n_iter = n_iter
        self.gamma = gamma
        self.normalize = normalize
        self.estimator = estimator
        self.approximation = approximation
        self.n_landmarks = n_landmarks
        self.power_iterations = power_iterations
        self.random_state = random_state
        self.verbose = verbose

    def _mmd_weights(self, ys, pseudo, Z):
        return 1.0, 1.0, None


class BDA(_JointAdapter):
    __doc__ = (
        r"""Balanced Distribution Adaptation and its weighted variant (Wang et al., ICDM 2017).

    BDA weighs the marginal and the conditional MMD with a balance factor
    :math:`\mu \in [0, 1]`:

    .. math::
        \min_{A^\top K H K A = I}\ (1-\mu)\operatorname{tr}(A^\top K M_0 K A)
        + \mu \sum_{c=1}^{C} \operatorname{tr}(A^\top K M_c K A)
        + \lambda \lVert A \rVert_F^2 .

    :math:`\mu = 0` gives TCA-like marginal alignment; :math:`\mu = 0.5` equals JDA.
    With ``mu="auto"``, :math:`\mu` is re-estimated at every iteration from proxy
    :math:`\mathcal A`-distances in the current embedding,
    :math:`\hat\mu = \bar d_c / (\bar d_c + d_M)` (:math:`d_M` between the domains,
    :math:`\bar d_c` averaged over classes with pseudo-labels), starting from 0.

    **Weighted BDA** (``weighted=True``) corrects class imbalance: the target part of
    each conditional term is weighted by :math:`\alpha_c = P_t(c)/P_s(c)`, the ratio of
    the (pseudo-)class priors, and the first pseudo-labels come from the classifier on
    the raw features (as in the authors' code; they recommend :math:`\mu = 1` there).

    Parameters
    ----------
    mu : float in [0, 1] or "auto", default=0.5
        Balance factor :math:`\mu`."""
        + _PARAMS_DOC
        + r"""
    weighted : bool, default=False
        Use the class-prior weights :math:`\alpha_c` (weighted BDA).

    Attributes
    ----------"""
        + _ATTRS_DOC
        + r"""
    mu_history_ : list of float
        The :math:`\mu` used at each iteration.

    References
    ----------
    J. Wang, Y. Chen, S. Hao, W. Feng, Z. Shen. *Balanced Distribution Adaptation for
    Transfer Learning.* ICDM 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.mapping import BDA
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 5)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(50, 5)) + 0.5
    >>> bda = BDA(n_components=3, mu="auto", n_iter=3).fit(Xs, ys, X_target=Xt)
    >>> bda.transform(Xt).shape, len(bda.mu_history_)
    ((50, 3), 3)
    """
    )

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **JOINT_CONSTRAINTS,
        "mu": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "weighted": ["boolean"],
    }

    def __init__(
        self,
        n_components: int | None = None,
        *,
        kernel: str = "auto",
        lambda_: float = 1.0,
        mu: float | str = 0.5,
        n_iter: int = 10,
        weighted: bool = False,
        gamma: float | None = None,
        normalize: bool = True,
        estimator: Any = None,
        approximation: str | None = None,
        n_landmarks: int = 1000,
        power_iterations: int | str = "auto",
        random_state: Any = None,
        verbose: bool = False,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.lambda_ = lambda_
        self.mu = mu
        self.n_iter = n_iter
        self.weighted = weighted
        self.gamma = gamma
        self.normalize = normalize
        self.estimator = estimator
        self.approximation = approximation
        self.n_landmarks = n_landmarks
        self.power_iterations = power_iterations
        self.random_state = random_state
        self.verbose = verbose

    def _initial_pseudo_labels(self, data: ValidatedDomains, ys: np.ndarray) -> np.ndarray | None:
        if not self.weighted:
            return None
        return self._pseudo_label(data.X, ys, data.X_target)

    def _mmd_weights(self, ys, pseudo, Z):
        alpha = None
        if pseudo is not None and self.weighted:
            n_classes = self.classes_.size
            ps = np.bincount(ys, minlength=n_classes) / ys.size
            pt = np.bincount(pseudo, minlength=n_classes) / pseudo.size
            alpha = pt / ps
        if self.mu == "auto":
            mu = 0.0 if Z is None or pseudo is None else self._estimate_mu(Z, ys, pseudo)
        else:
            mu = float(self.mu)
        self.mu_history_.append(mu)
        return 1.0 - mu, mu, alpha

    def _estimate_mu(self, Z: np.ndarray, ys: np.ndarray, pseudo: np.ndarray) -> float:
        Zs, Zt = self._embedding_split(Z)
        d_marginal = _bda_a_distance(Zs, Zt)
        d_classes = [
            _bda_a_distance(Zs[ys == c], Zt[pseudo == c]) for c in range(self.classes_.size)
        ]
        d_conditional = float(np.mean(d_classes))
        denom = d_conditional + d_marginal
        mu = d_conditional / denom if denom != 0 else 0.0
        mu = min(mu, 1.0)
        return 0.0 if mu < 1e-3 else mu
