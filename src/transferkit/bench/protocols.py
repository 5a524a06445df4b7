"""Classifiers of published evaluation protocols, used by the benchmark entries.

The CORAL paper (Sun, Feng & Saenko, AAAI 2016) trains "a linear SVM" on the aligned
source. Its released MATLAB code (``Ex_CORAL.m``, VisionLearningGroup/CORAL) uses
LIBSVM and picks ``C`` from ``{1e-3, ..., 1e4}`` by 2-fold cross-validation **on the
source**; no target label is used. This module provides both readings:

* :func:`linear_svm_cv`: LIBSVM linear SVM (scikit-learn ``SVC(kernel="linear")``)
  with ``C`` chosen by stratified 2-fold cross-validation on the training data;
* :class:`CORALReleasedKernelSVM`: CORAL exactly as the released code evaluates it,
  including its training kernel :math:`K = X_s A X_s^\\top` (see the class docstring).

It also holds :class:`MeanOneWeights`, the weight convention of
``benchmarks/instance_amazon_weighting.py`` (a weighter's weights rescaled to mean one
before they reach the classifier), and :class:`PooledSourceTarget`, the "source +
labelled target pooled" row of ``benchmarks/instance_amazon_tradaboost.py``.

Why not ``LinearSVC``: on the 800-d z-scored SURF features liblinear converges very
slowly (dual) or takes seconds per fit (primal), while LIBSVM's linear kernel needs a
fraction of a second, and LIBSVM (one-vs-one) is what the published code ran.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC

from transferkit._validation import HasMethods, LabelError, ValidatedDomains, check_positive
from transferkit.base import BaseTransferClassifier, BaseWeighter
from transferkit.baselines import _DelegatingClassifier
from transferkit.mapping import CORAL

__all__ = [
    "C_GRID",
    "LinearKernelSVC",
    "linear_svm_cv",
    "rbf_svm_cv",
    "CORALReleasedKernelSVM",
    "MeanOneWeights",
    "PooledSourceTarget",
]

#: The ``C`` candidates of the released CORAL code.
C_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)


class LinearKernelSVC(ClassifierMixin, BaseEstimator):
    """LIBSVM with a linear kernel, evaluated through a precomputed Gram matrix.

    The same model as ``SVC(kernel="linear", C=C)`` (one-vs-one LIBSVM), but the Gram
    matrix :math:`XX^\top` is computed once with BLAS instead of one dot product per
    kernel evaluation, which makes large-``C`` fits on a few thousand samples fast.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((5, 2)), np.ones((5, 2))]; y = np.repeat([0, 1], 5)
    >>> LinearKernelSVC(C=1.0).fit(X, y).predict([[0.1, 0.0], [0.9, 1.0]])
    array([0, 1])
    """

    def __init__(self, C: float = 1.0):
        self.C = C

    def fit(self, X: Any, y: Any) -> LinearKernelSVC:
        """Fit on ``(X, y)``."""
        self.X_fit_ = np.asarray(X, dtype=np.float64)
        self.svc_ = SVC(kernel="precomputed", C=self.C).fit(self.X_fit_ @ self.X_fit_.T, y)
        self.classes_ = self.svc_.classes_
        self.n_features_in_ = self.X_fit_.shape[1]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """LIBSVM decision values of ``X``."""
        return self.svc_.decision_function(np.asarray(X, dtype=np.float64) @ self.X_fit_.T)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted classes of ``X``."""
        return self.svc_.predict(np.asarray(X, dtype=np.float64) @ self.X_fit_.T)


def _source_cv(random_state: Any, n_folds: int) -> StratifiedKFold:
    return StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)


def linear_svm_cv(
    random_state: Any = None, *, C_grid: tuple[float, ...] = C_GRID, n_folds: int = 2
) -> GridSearchCV:
    """Linear SVM (LIBSVM) whose ``C`` is chosen by stratified k-fold CV on its training set.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((10, 2)), np.ones((10, 2))]; y = np.repeat([0, 1], 10)
    >>> linear_svm_cv(0).fit(X, y).predict([[0.9, 1.0]])
    array([1])
    """
    return GridSearchCV(
        LinearKernelSVC(), {"C": list(C_grid)}, cv=_source_cv(random_state, n_folds)
    )


def rbf_svm_cv(
    random_state: Any = None, *, C_grid: tuple[float, ...] = C_GRID[:6], n_folds: int = 2
) -> GridSearchCV:
    r"""The "NA" classifier of the released CORAL code: LIBSVM's default RBF kernel.

    ``Ex_CORAL.m`` trains its no-adaptation baseline with ``svmtrain(..., '-c C')``,
    i.e. LIBSVM's default RBF kernel with :math:`\gamma = 1/d` (scikit-learn
    ``gamma="auto"``), ``C`` from ``{1e-3, ..., 100}`` by 2-fold CV on the source.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.zeros((10, 2)), np.ones((10, 2))]; y = np.repeat([0, 1], 10)
    >>> rbf_svm_cv(0).fit(X, y).predict([[0.9, 1.0]])
    array([1])
    """
    return GridSearchCV(
        SVC(kernel="rbf", gamma="auto"), {"C": list(C_grid)}, cv=_source_cv(random_state, n_folds)
    )


class CORALReleasedKernelSVM(BaseTransferClassifier):
    r"""CORAL + SVM exactly as the released CORAL code evaluates it (AAAI 2016, Table 3).

    With :math:`A = \hat C_s^{-1/2}\hat C_t^{1/2}` from :class:`~transferkit.CORAL`, the
    released ``Ex_CORAL.m`` trains LIBSVM with the precomputed kernel

    .. math::
        K_{\text{train}} = X_s A X_s^\top, \qquad K_{\text{test}} = X_t A^\top X_s^\top ,

    choosing ``C`` by 2-fold cross-validation on the source. At test time this is the
    linear classifier :math:`f(x) = \sum_i \alpha_i y_i \langle A^\top x^s_i, x\rangle + b`
    on the raw target, as the paper describes; but the *training* Gram matrix pairs the
    aligned source with the **unaligned** source (:math:`\langle A^\top x_i, x_j\rangle`),
    not :math:`(X_sA)(X_sA)^\top`. This quirk is kept here only to reproduce the published
    numbers; the textbook reading is ``make_transfer_pipeline(CORAL(), linear_svm_cv())``.

    Parameters
    ----------
    lambda_ : float, default=1.0
        CORAL regulariser.
    C_grid : tuple of float
        Candidates of the SVM's ``C``.
    n_folds : int, default=2
        Folds of the source cross-validation that picks ``C``.
    random_state : int or None
        Seed of the (shuffled, stratified) folds.

    Attributes
    ----------
    transform_matrix_ : ndarray of shape (n_features, n_features)
        :math:`A`.
    best_C_ : float
    estimator_ : fitted ``SVC(kernel="precomputed")``

    References
    ----------
    B. Sun, J. Feng, K. Saenko. *Return of Frustratingly Easy Domain Adaptation.* AAAI 2016;
    code: github.com/VisionLearningGroup/CORAL, ``CORAL_Source_Code/code/Ex_CORAL.m``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 3)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = 2.0 * rng.normal(size=(50, 3))
    >>> model = CORALReleasedKernelSVM(random_state=0).fit(Xs, ys, X_target=Xt)
    >>> model.predict(Xt).shape, model.best_C_ in C_GRID
    ((50,), True)
    """

    def __init__(
        self,
        lambda_: float = 1.0,
        C_grid: tuple[float, ...] = C_GRID,
        n_folds: int = 2,
        random_state: Any = None,
    ):
        self.lambda_ = lambda_
        self.C_grid = C_grid
        self.n_folds = n_folds
        self.random_state = random_state

    def _fit(self, data: ValidatedDomains) -> None:
        check_positive("n_folds", self.n_folds, integer=True)
        coral = CORAL(lambda_=self.lambda_).fit(data.X, X_target=data.X_target)
        self.transform_matrix_ = coral.transform_matrix_
        self.aligned_source_ = data.X @ self.transform_matrix_
        kernel = self.aligned_source_ @ data.X.T  # K[i, j] = x_i A x_j^T
        search = GridSearchCV(
            SVC(kernel="precomputed"),
            {"C": list(self.C_grid)},
            cv=_source_cv(self.random_state, self.n_folds),
        )
        search.fit(kernel, data.y)
        self.best_C_ = float(search.best_params_["C"])
        self.estimator_ = search.best_estimator_

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.estimator_.predict(X @ self.aligned_source_.T)

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        raise AttributeError("CORALReleasedKernelSVM has no predict_proba (LIBSVM decision).")


class MeanOneWeights(BaseWeighter):
    r"""A weighter whose weights are divided by their mean over the training source.

    With :math:`w_i` the inner weighter's ``weights_``, the weights are
    :math:`\tilde w_i = w_i / \bar w`, :math:`\bar w = \frac1{n_s}\sum_j w_j`, so they
    average exactly one. ``benchmarks/instance_amazon_weighting.py`` trains its classifier
    this way; transferkit's own convention passes ``weights_`` unchanged (see
    :class:`~transferkit.instance.ImportanceWeighted`). The two differ only by the
    factor :math:`\bar w`, which for an L2-regularised classifier acts like a rescaled
    ``C`` (``LogisticRegression(C)`` with :math:`\tilde w` is ``C / \bar w`` with
    :math:`w`): KMM's weights average :math:`1 \pm \epsilon`, not one (0.949 on Amazon
    B->D).

    Parameters
    ----------
    weighter : transferkit weighter
        Cloned and fitted on the same domains.

    Attributes
    ----------
    weighter_ : the fitted inner weighter
    mean_weight_ : float
        :math:`\bar w`, the inner weights' mean on the training source.
    weights_ : ndarray of shape (n_source,)
        :math:`\tilde w`.

    Examples
    --------
    >>> from transferkit.instance import KMM
    >>> from transferkit.instance.synthetic import make_gaussian_shift
    >>> prob = make_gaussian_shift(200, 200, 2, shift=1.0, random_state=0)
    >>> weights = MeanOneWeights(KMM()).fit(prob.X_source, X_target=prob.X_target).weights_
    >>> round(float(weights.mean()), 12)
    1.0
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "weighter": [HasMethods(["fit", "compute_weights"])],
    }

    def __init__(self, weighter: Any):
        self.weighter = weighter

    def _fit(self, data: ValidatedDomains) -> np.ndarray:
        if not isinstance(self.weighter, BaseWeighter):
            raise TypeError(
                "weighter must be a transferkit weighter (KMM, KLIEP, ULSIF, RuLSIF, "
                f"DiscriminativeDensityRatio); got {type(self.weighter).__name__}."
            )
        # the inner fit refuses all-zero weights, so the mean is positive
        self.weighter_ = clone(self.weighter).fit(**data.fit_params())
        self.mean_weight_ = float(np.mean(self.weighter_.weights_))
        return self.weighter_.weights_ / self.mean_weight_

    def _compute_weights(self, X: np.ndarray) -> np.ndarray:
        return self.weighter_.compute_weights(X) / self.mean_weight_


class PooledSourceTarget(_DelegatingClassifier):
    r"""Train ``estimator`` on the source and the labelled target samples pooled.

    :math:`\hat f = \arg\min_f \sum_{i \le n_s} \ell(f(x^s_i), y^s_i) + \sum_{j:\,
    y^t_j \ne -1} \ell(f(x^t_j), y^t_j)`, every sample with weight one: the
    "Source + target (pooled)" row of ``benchmarks/instance_amazon_tradaboost.py``, which
    fits ``estimator`` on ``np.vstack([Xs, Xt[labelled]])`` in that order. A transfer
    method given a few labelled target samples is worth it only when it beats this.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Cloned at fit.

    Attributes
    ----------
    estimator_ : the fitted clone
    classes_ : source classes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> Xs = np.array([[0.0], [1.0]]); ys = np.array([0, 1])
    >>> Xt = np.array([[10.0], [11.0], [20.0]]); yt = np.array([1, -1, -1])
    >>> model = PooledSourceTarget(KNeighborsClassifier(1))
    >>> model.fit(Xs, ys, X_target=Xt, y_target=yt).predict([[0.1], [12.0]])
    array([0, 1])
    """

    _requires_target_labels = True

    def __init__(self, estimator: Any):
        self.estimator = estimator

    def _fit(self, data: ValidatedDomains) -> None:
        mask = data.target_labelled
        if not mask.any():  # pragma: no cover - the validation requires target labels
            raise LabelError("y_target labels no target sample; pass y_target.")
        X = np.vstack([data.X, data.X_target[mask]])
        y = np.concatenate([data.y, data.y_target[mask]])
        self._train(X, y)
