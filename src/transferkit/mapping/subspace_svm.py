"""Subspace Alignment with the authors' similarity-kernel SVM (Fernando et al., 2013).

The SA paper does not train a linear SVM on the aligned features. Its released code
(also reused by the CORAL code) trains LIBSVM on a precomputed *similarity* between an
aligned source sample and a sample projected on the target subspace. That classifier
is what the published SA tables measure, so it is offered here as its own estimator.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from transferkit._validation import (
    MAX_ITER,
    Interval,
    SequenceOf,
    StrOptions,
    TransferKitInputError,
    ValidatedDomains,
    check_memory,
)
from transferkit.base import BaseTransferClassifier
from transferkit.mapping.subspace import _DIMENSION, SubspaceAlignment

__all__ = ["SubspaceAlignmentSVC"]

DEFAULT_C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)


class SubspaceAlignmentSVC(BaseTransferClassifier):
    r"""Subspace Alignment followed by the SA authors' similarity-kernel SVM.

    With :math:`P_s, P_t` the top-:math:`d` principal directions of each (centred)
    domain and :math:`M = P_s^\top P_t` the alignment of :class:`SubspaceAlignment`,
    the classifier is an SVM on the precomputed similarity

    .. math::
        k(x, x') = (x - \bar x_s)\, P_s M\, P_t^\top (x' - \bar x_{x'})^\top ,

    i.e. the inner product between the *aligned* source sample :math:`x` and the
    sample :math:`x'` *projected on the target subspace* (:math:`\bar x_{x'}` is the
    mean of the domain :math:`x'` comes from). Training uses
    :math:`K_{ij} = k(x^s_i, x^s_j)` and prediction
    :math:`k(x^s_i, x^t_j)`. The kernel is not symmetric (SMO then needs an iteration
    cap, ``max_iter``, as LIBSVM has one). The SVM objective is the usual soft margin

    .. math::
        \min_{\alpha}\ \tfrac12 \alpha^\top Q \alpha - \mathbf 1^\top\alpha,\quad
        0 \le \alpha_i \le C,\ y^\top\alpha = 0,\quad Q_{ij} = y_i y_j K_{ij},

    one-vs-one for several classes. ``C`` is picked, as in the authors' code, by
    k-fold cross-validation on the labelled source (``C="cv"``), or fixed.

    Parameters
    ----------
    n_components : int, "sdm" or None, default=None
        Subspace dimension :math:`d` (the authors' demo uses 80 on SURF); ``None`` =
        :class:`SubspaceAlignment`'s default ``min(30, n_s - 1, n_t - 1, D)``.
    C : float or "cv", default="cv"
        Soft-margin constant, or ``"cv"`` to choose it from ``C_grid`` by source CV.
    C_grid : sequence of float, default=(0.001, 0.01, ..., 10000)
        The authors' grid.
    cv : int, default=2
        Folds of the source cross-validation (the authors use 2).
    max_iter : int in [1, 10**6], default=20000
        SMO iteration cap of each SVM fit. Fits that hit it are counted in
        ``n_capped_fits_`` instead of warning one by one.
    random_state : int, RandomState or None, default=None
        Seeds the shuffling of the CV folds.

    Attributes
    ----------
    alignment_ : SubspaceAlignment
        The fitted alignment.
    n_components_ : int
        The subspace dimension used.
    C_ : float
        The soft-margin constant used for the final SVM.
    cv_scores_ : dict[float, float]
        Mean source CV accuracy of each ``C`` (empty when ``C`` is fixed).
    n_capped_fits_ : int
        SVM fits (CV and final) stopped by ``max_iter``.
    svc_ : sklearn.svm.SVC
        The final SVM (``kernel="precomputed"``).

    References
    ----------
    B. Fernando, A. Habrard, M. Sebban, T. Tuytelaars. *Unsupervised Visual Domain
    Adaptation Using Subspace Alignment.* ICCV 2013 (and its released MATLAB code).

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.mapping import SubspaceAlignmentSVC
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 5)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = rng.normal(size=(50, 5)) * 1.5
    >>> model = SubspaceAlignmentSVC(n_components=3, random_state=0).fit(Xs, ys, X_target=Xt)
    >>> model.predict(Xt).shape, model.C_ in model.C_grid
    ((50,), True)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": _DIMENSION,
        "C": [Interval(Real, 0, None, closed="neither"), StrOptions({"cv"})],
        "C_grid": [SequenceOf(Interval(Real, 0, None, closed="neither"))],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "max_iter": [Interval(Integral, 1, MAX_ITER, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components: int | str | None = None,
        *,
        C: float | str = "cv",
        C_grid: tuple[float, ...] = DEFAULT_C_GRID,
        cv: int = 2,
        max_iter: int = 20000,
        random_state: Any = None,
    ):
        self.n_components = n_components
        self.C = C
        self.C_grid = C_grid
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, data: ValidatedDomains) -> None:
        ns = data.X.shape[0]
        check_memory(
            2 * 8.0 * ns * ns,
            f"SubspaceAlignmentSVC's precomputed {ns} x {ns} similarity kernel (and LIBSVM's "
            "copy of it)",
            suggestion="make_transfer_pipeline(SubspaceAlignment(n_components=...), "
            "LinearSVC()) (no kernel matrix), or subsample the source",
        )
        self.alignment_ = SubspaceAlignment(n_components=self.n_components).fit(
            data.X, X_target=data.X_target
        )
        aligned = self.alignment_.transform(data.X, domain="source")
        self._aligned_source = aligned
        K = aligned @ self._on_target_subspace(data.X, "source").T
        self.n_capped_fits_ = 0
        self.cv_scores_: dict[float, float] = {}
        if self.C == "cv":
            self.C_ = self._choose_soft_margin(K, data.y)
        else:
            self.C_ = float(self.C)
        self.svc_ = self._fit_svc(K, data.y, self.C_)
        self.n_components_ = self.alignment_.n_components_

    def _on_target_subspace(self, X: np.ndarray, domain: str) -> np.ndarray:
        sa = self.alignment_
        mean = sa.mean_source_ if domain == "source" else sa.mean_target_
        return (X - mean) @ sa.components_target_

    def _fit_svc(self, K: np.ndarray, y: np.ndarray, C: float) -> SVC:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                svc = SVC(kernel="precomputed", C=C, max_iter=self.max_iter).fit(K, y)
            except ValueError as exc:  # libsvm: "dual coefficients ... are not finite"
                scale = float(np.max(np.abs(K))) if K.size else 0.0
                raise TransferKitInputError(
                    f"the SVM on the aligned source failed ({exc}); its kernel values reach "
                    f"{scale:.3g}, far beyond what libsvm can solve with. Rescale the "
                    "features first, e.g. with sklearn.preprocessing.StandardScaler."
                ) from exc
        self.n_capped_fits_ += sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        return svc

    def _choose_soft_margin(self, K: np.ndarray, y: np.ndarray) -> float:
        smallest_class = int(np.unique(y, return_counts=True)[1].min())
        folds = min(self.cv, smallest_class)
        if folds < 2:
            raise TransferKitInputError(
                "C='cv' needs at least 2 source samples in every class; "
                f"the smallest class has {smallest_class}. Pass a fixed C instead."
            )
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        splits = list(splitter.split(K, y))
        for C in self.C_grid:
            scores = []
            for train, test in splits:
                svc = self._fit_svc(K[np.ix_(train, train)], y[train], C)
                scores.append(np.mean(svc.predict(K[np.ix_(test, train)]) == y[test]))
            self.cv_scores_[float(C)] = float(np.mean(scores))
        return max(self.cv_scores_, key=self.cv_scores_.get)

    def _similarity(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self._on_target_subspace(X, domain) @ self._aligned_source.T

    def _in_blocks(self, method: Any, X: np.ndarray, domain: str) -> np.ndarray:
        """``method`` on the similarity to the source, in row blocks of at most ~256 MB."""
        rows = max(1, int(2**28 // (8 * max(1, self._aligned_source.shape[0]))))
        parts = [
            method(self._similarity(X[start : start + rows], domain))
            for start in range(0, X.shape[0], rows)
        ]
        return np.concatenate(parts) if parts else method(self._similarity(X, domain))

    def decision_function(self, X: Any, domain: str = "target") -> np.ndarray:
        """SVM scores of each sample of ``domain`` (shape as ``SVC.decision_function``)."""
        Xc = self._check_fitted_input(X)
        return self._in_blocks(self.svc_.decision_function, Xc, domain)

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self._in_blocks(self.svc_.predict, X, domain)

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        """Softmax of the one-vs-rest SVM scores (monotone in them; not calibrated)."""
        scores = self._in_blocks(self.svc_.decision_function, X, domain)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores]) / 2.0
        scores = scores - scores.max(axis=1, keepdims=True)
        expo = np.exp(scores)
        return expo / expo.sum(axis=1, keepdims=True)
