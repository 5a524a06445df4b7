r"""TCA: Transfer Component Analysis (Pan, Tsang, Kwok & Yang, IEEE TNN 2011)."""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit._validation import ValidatedDomains
from transferkit.mapping._kernels import MMDMatrix
from transferkit.mapping._mmd_embedding import MMDEmbeddingAdapter

__all__ = ["TCA"]


class TCA(MMDEmbeddingAdapter):
    r"""Transfer Component Analysis: a shared space where the domain means match.

    TCA learns transfer components :math:`W` of the kernel space that minimise the
    maximum mean discrepancy (MMD) between the embedded source and target while keeping
    the variance of the embedded data:

    .. math::
        \min_{W}\ \operatorname{tr}(W^\top K L K W) + \lambda \operatorname{tr}(W^\top W)
        \quad\text{s.t.}\quad W^\top K H K W = I ,

    with :math:`L = e e^\top / \lVert e e^\top \rVert_F`,
    :math:`e = [\tfrac1{n_s}\mathbf 1_{n_s}; -\tfrac1{n_t}\mathbf 1_{n_t}]`, and the
    centring matrix :math:`H`. The solution is given by the :math:`k` leading
    eigenvectors of :math:`(K L K + \lambda I)^{-1} K H K`, computed here as a symmetric
    generalised eigenproblem for those :math:`k` vectors only. The embedding of a sample
    :math:`x` is :math:`W^\top k(X, x)` (``kernel="primal"``: :math:`W^\top x`).
    Following the reference implementations, samples are L2-normalised before the
    kernel and after embedding (``normalize=True``) and :math:`L` is scaled to unit
    Frobenius norm (which only rescales :math:`\lambda`, the paper's :math:`\mu`).
    Neither :math:`H` nor :math:`L` is formed; the linear kernel is handled through a
    thin SVD of the data (exact, :math:`O(n d^2)`), and ``approximation="nystroem"``
    handles large ``n``.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of transfer components :math:`k`; ``None`` = ``min(30, rank)`` with the
        rank of the kernel representation (recorded in ``n_components_``). An explicit
        value above the rank raises.
    kernel : {"auto", "primal", "linear", "rbf"}, default="auto"
        ``"primal"`` learns a linear map of the features (a :math:`d \times k` matrix),
        solved in the feature space when :math:`d \le n` and in the sample space
        (row space of the data, exact) when :math:`d > n`; the kernels learn
        coefficients of the samples. ``"auto"`` = ``"primal"`` (recorded in
        ``kernel_``), cheap for every shape.
    lambda_ : float, default=1.0
        Regulariser :math:`\lambda > 0` of the transfer components (the paper's
        :math:`\mu`; transferkit keeps ``mu`` for balance factors).
    gamma : float or None, default=None
        RBF bandwidth :math:`k(x, x') = \exp(-\gamma \lVert x - x' \rVert^2)`; ``None``
        = median heuristic.
    normalize : bool, default=True
        L2-normalise samples before the kernel and after the embedding.
    approximation : {None, "nystroem"}, default=None
        Low-rank kernel approximation for large data (memory :math:`O(n m)`; time
        :math:`O(n m^2)` plus :math:`O(n^2 (d + m))` per power iteration).
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
        Show a progress bar over the passes of a refined Nyström approximation.

    Attributes
    ----------
    n_components_ : int
        The number of components used.
    kernel_ : str
        The kernel used (``"auto"`` resolved).
    projection_ : ndarray of shape (rank, n_components_)
        Transfer components in the kernel factor's coordinates (the :math:`d \times k`
        matrix itself with ``kernel="primal"``), unit norm.
    eigenvalues_ : ndarray of shape (n_components,)
        Generalised eigenvalues (variance over regularised MMD), decreasing.
    kernel_factor_ : KernelFactor
        Maps new samples into the kernel factor's coordinates.

    References
    ----------
    S. J. Pan, I. W. Tsang, J. T. Kwok, Q. Yang. *Domain Adaptation via Transfer
    Component Analysis.* IEEE Trans. Neural Networks 22(2), 2011.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.mapping import TCA
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(80, 6)); Xt = rng.normal(size=(70, 6)) + 2.0
    >>> tca = TCA(n_components=2, kernel="rbf", gamma=0.1).fit(Xs, X_target=Xt)
    >>> Zs, Zt = tca.transform(Xs, domain="source"), tca.transform(Xt, domain="target")
    >>> Zs.shape, Zt.shape
    ((80, 2), (70, 2))
    """

    _requires_source_labels = False

    def __init__(
        self,
        n_components: int | None = None,
        *,
        kernel: str = "auto",
        lambda_: float = 1.0,
        gamma: float | None = None,
        normalize: bool = True,
        approximation: str | None = None,
        n_landmarks: int = 1000,
        power_iterations: int | str = "auto",
        random_state: Any = None,
        verbose: bool = False,
    ):
        self.n_components = n_components
        self.kernel = kernel
        self.lambda_ = lambda_
        self.gamma = gamma
        self.normalize = normalize
        self.approximation = approximation
        self.n_landmarks = n_landmarks
        self.power_iterations = power_iterations
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, data: ValidatedDomains) -> None:
        self._prepare(data)
        ns = data.X.shape[0]
        nt = data.X_target.shape[0]
        mmd = MMDMatrix(
            y_source=np.zeros(ns, dtype=int),
            y_target=None,
            n_target=nt,
            n_classes=1,
            conditional_weight=0,
        )
        self._solve(mmd)
        self._finish()
