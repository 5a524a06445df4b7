r"""Proxy A-distance (Ben-David et al., NIPS 2007 / Mach. Learn. 2010).

The :math:`\mathcal{H}`-divergence between two domains is approximated by how well a
classifier can tell them apart. Train a domain classifier (source = 0, target = 1),
measure its held-out error :math:`\epsilon`, and report

.. math::
    \hat d_{\mathcal{A}} = 2\,(1 - 2\epsilon),

which is 0 when the domains cannot be told apart (:math:`\epsilon = 1/2`) and 2 when
they are perfectly separable. Here :math:`\epsilon` is the *balanced* cross-validated
error (so unequal domain sizes do not inflate it) and is capped at 1/2, so the distance
lies in :math:`[0, 2]`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from transferkit._validation import (
    TransferKitInputError,
    check_option,
    check_positive,
)
from transferkit.metrics._common import check_pair

__all__ = ["proxy_a_distance", "svm_training_a_distance"]


def proxy_a_distance(
    X: Any,
    Y: Any,
    *,
    estimator: Any = None,
    cv: int = 5,
    random_state: Any = None,
    return_folds: bool = False,
) -> float | tuple[float, np.ndarray]:
    r"""Proxy A-distance :math:`2(1 - 2\epsilon)` of a cross-validated domain classifier.

    Parameters
    ----------
    X, Y : array-like or torch.Tensor of shape (m, d) and (n, d)
        Samples of the two domains.
    estimator : scikit-learn classifier, optional
        The domain classifier; by default standardisation followed by an L2-regularised
        logistic regression (a linear classifier, as in Ben-David et al. who used a linear
        SVM).
    cv : int
        Number of stratified folds.
    random_state : int, RandomState or None
        Seeds the fold assignment (and the estimator when it takes ``random_state``).
    return_folds : bool
        Also return the distance computed on each fold.

    Returns
    -------
    float, or (float, ndarray of shape (cv,))

    References
    ----------
    S. Ben-David, J. Blitzer, K. Crammer, F. Pereira. *Analysis of Representations for
    Domain Adaptation.* NIPS 2007. S. Ben-David et al. *A theory of learning from
    different domains.* Machine Learning 79, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import proxy_a_distance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> proxy_a_distance(X, X + 10.0, random_state=0)
    2.0
    >>> proxy_a_distance(X, rng.normal(size=(200, 2)), random_state=0) < 0.5
    True
    """
    check_positive("cv", cv, integer=True)
    if cv < 2:
        raise TransferKitInputError(f"cv must be at least 2 folds; got {cv}.")
    Xa, Ya = check_pair(X, Y, min_samples=cv)
    Z = np.vstack([Xa, Ya])
    d = np.r_[np.zeros(Xa.shape[0], dtype=int), np.ones(Ya.shape[0], dtype=int)]
    if estimator is None:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    else:
        model = clone(estimator)
        if "random_state" in model.get_params():
            model.set_params(random_state=random_state)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    accuracy = cross_val_score(model, Z, d, cv=folds, scoring="balanced_accuracy")
    err = np.minimum(1.0 - accuracy, 0.5)
    per_fold = 2.0 * (1.0 - 2.0 * err)
    value = float(2.0 * (1.0 - 2.0 * min(float(np.mean(1.0 - accuracy)), 0.5)))
    return (value, per_fold) if return_folds else value


def svm_training_a_distance(
    X: Any,
    Y: Any,
    *,
    C: float = 1.0,
    loss: str = "squared_hinge",
    max_iter: int = 1000,
    empty_value: float = 2.0,
    random_state: Any = 0,
) -> float:
    r"""Proxy A-distance :math:`2(1 - 2\epsilon)` from a linear SVM's *training* error.

    The variant inside BDA's and MEDA's balance factors (and their reference code):
    :math:`\epsilon` is the error of a linear SVM on the very samples it was fitted to
    (no held-out data, no class balancing), so it is cheap enough to recompute in every
    pseudo-label iteration, but optimistic on small samples. For a distance to report,
    prefer :func:`proxy_a_distance` (cross-validated, balanced).

    Parameters
    ----------
    X, Y : array-like of shape (m, d) and (n, d)
        The two samples; either may be empty.
    C : float, default=1.0
        SVM soft-margin constant.
    loss : {"squared_hinge", "hinge"}, default="squared_hinge"
        ``"squared_hinge"`` (liblinear's default, BDA's code) or ``"hinge"`` (MEDA's).
    max_iter : int, default=1000
        liblinear iterations (non-convergence is not reported: the error is what counts).
    empty_value : float, default=2.0
        Returned when either sample is empty (MEDA: 2, "separable"; BDA: 0, "no term").
    random_state : int, default=0
        liblinear's seed.

    Returns
    -------
    float
        In :math:`[-2, 2]` (negative only when the SVM is worse than chance).

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.metrics import svm_training_a_distance
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 5.0
    >>> svm_training_a_distance(a, b)
    2.0
    >>> svm_training_a_distance(a, b[:0], empty_value=0.0)
    0.0
    """
    check_option("loss", loss, ("squared_hinge", "hinge"))
    Xs, Xt = check_pair(X, Y, min_samples=0)
    if Xs.shape[0] == 0 or Xt.shape[0] == 0:
        return float(empty_value)
    data = np.vstack([Xs, Xt])
    domain = np.r_[np.zeros(Xs.shape[0], dtype=int), np.ones(Xt.shape[0], dtype=int)]
    svm = LinearSVC(
        C=C,
        loss=loss,
        dual=True if loss == "hinge" else "auto",
        max_iter=max_iter,
        random_state=random_state,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm.fit(data, domain)
    error = float(np.mean(svm.predict(data) != domain))
    return 2.0 * (1.0 - 2.0 * error)
