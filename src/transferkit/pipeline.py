"""Join an adapter or a weighter with any scikit-learn estimator."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import has_fit_parameter

from transferkit._validation import HasMethods, TransferKitInputError, ValidatedDomains
from transferkit.base import BaseAdapter, BaseTransferClassifier, BaseWeighter

__all__ = ["TransferPipeline", "make_transfer_pipeline", "source_domain_scorer"]


class TransferPipeline(BaseTransferClassifier):
    r"""A transfer step (adapter or weighter) followed by a scikit-learn estimator.

    * With an **adapter** :math:`\phi`, the estimator :math:`f` is trained on the mapped
      source :math:`\{(\phi_s(x_i), y_i)\}` (plus the labelled target samples, if any,
      mapped by :math:`\phi_t`), and predicts :math:`f(\phi_t(x))` on the target.
    * With a **weighter** giving :math:`w_i \approx p_t(x_i)/p_s(x_i)`, the estimator
      minimises the importance-weighted risk
      :math:`\sum_i w_i\,\ell(f(x_i), y_i)` through ``sample_weight``.

    Parameters
    ----------
    transfer : BaseAdapter or BaseWeighter
        The transfer step; cloned at fit.
    estimator : scikit-learn estimator
        The final estimator; cloned at fit.
    use_target_labels : bool, default=True
        Add the labelled target samples (``y_target != -1``) to the training set of the
        final estimator.

    Attributes
    ----------
    transfer_ : fitted transfer step
    estimator_ : fitted final estimator
    classes_ : ndarray of the source classes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from transferkit import CORAL, make_transfer_pipeline
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(100, 4)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = 2.0 * rng.normal(size=(80, 4)) + 1.0
    >>> model = make_transfer_pipeline(CORAL(lambda_=1.0), LinearSVC())
    >>> model.fit(Xs, ys, X_target=Xt).predict(Xt).shape
    (80,)
    """

    # The steps decide how many sources they accept: the pipeline passes the domains on.
    _max_sources = None
    _passes_domains = True

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "transfer": [HasMethods(["fit"])],
        "estimator": [HasMethods(["fit"])],
        "use_target_labels": ["boolean"],
    }

    def __init__(self, transfer: Any, estimator: Any, *, use_target_labels: bool = True):
        self.transfer = transfer
        self.estimator = estimator
        self.use_target_labels = use_target_labels

    def _fit(self, data: ValidatedDomains) -> None:
        if not isinstance(self.transfer, BaseAdapter | BaseWeighter):
            raise TypeError(
                "transfer must be a transferkit adapter (e.g. CORAL, TCA) or weighter (e.g. "
                f"KMM); got {type(self.transfer).__name__}."
            )
        if not hasattr(self.estimator, "fit"):
            raise TypeError(
                f"estimator must be a scikit-learn estimator; got {type(self.estimator).__name__}."
            )
        transfer = clone(self.transfer)
        estimator = clone(self.estimator)
        transfer.fit(**data.fit_params())
        mask = data.target_labelled if self.use_target_labels else None
        has_target_labels = mask is not None and bool(mask.any())
        if isinstance(transfer, BaseAdapter):
            X_train = transfer.transform(data.X, domain="source")
            y_train = data.y
            if has_target_labels:
                Zt = transfer.transform(data.X_target[mask], domain="target")
                X_train = np.vstack([X_train, Zt])
                y_train = np.concatenate([y_train, data.y_target[mask]])
            estimator.fit(X_train, y_train)
        else:
            if not has_fit_parameter(estimator, "sample_weight"):
                raise TransferKitInputError(
                    f"{type(estimator).__name__}.fit does not accept sample_weight, so it "
                    "cannot be trained with importance weights; choose an estimator that does "
                    "(e.g. LogisticRegression, SVC, DecisionTreeClassifier)."
                )
            weights = transfer.weights_
            X_train, y_train = data.X, data.y
            if has_target_labels:
                X_train = np.vstack([X_train, data.X_target[mask]])
                y_train = np.concatenate([y_train, data.y_target[mask]])
                weights = np.concatenate([weights, np.full(int(mask.sum()), weights.mean())])
            estimator.fit(X_train, y_train, sample_weight=weights)
        self.transfer_ = transfer
        self.estimator_ = estimator

    def _features(self, X: np.ndarray, domain: str) -> np.ndarray:
        if isinstance(self.transfer_, BaseAdapter):
            return self.transfer_.transform(X, domain=domain)
        return X

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self.estimator_.predict(self._features(X, domain))

    def _predict_proba(self, X: np.ndarray, domain: str) -> np.ndarray:
        if not hasattr(self.estimator_, "predict_proba"):
            raise AttributeError(
                f"{type(self.estimator_).__name__} has no predict_proba; use a probabilistic "
                "estimator (e.g. LogisticRegression) or predict()."
            )
        return _align_proba(
            self.estimator_.predict_proba(self._features(X, domain)),
            self.estimator_.classes_,
            self.classes_,
        )

    def decision_function(self, X: Any, domain: str = "target") -> np.ndarray:
        """The final estimator's decision function on mapped samples of ``domain``."""
        Xc = self._check_fitted_input(X)
        return self.estimator_.decision_function(self._features(Xc, domain))


def _align_proba(proba: np.ndarray, seen: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Re-order probability columns of ``seen`` classes to ``classes`` (zeros if unseen)."""
    if len(seen) == len(classes) and np.array_equal(seen, classes):
        return proba
    out = np.zeros((proba.shape[0], len(classes)), dtype=float)
    index = np.searchsorted(classes, seen)
    out[:, index] = proba
    return out


def make_transfer_pipeline(transfer: Any, estimator: Any, **kwargs: Any) -> TransferPipeline:
    """Build a :class:`TransferPipeline` from an adapter/weighter and an estimator.

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import JointPCA, make_transfer_pipeline
    >>> make_transfer_pipeline(JointPCA(n_components=10), KNeighborsClassifier(1))
    TransferPipeline(estimator=KNeighborsClassifier(n_neighbors=1),
                     transfer=JointPCA(n_components=10))
    """
    return TransferPipeline(transfer, estimator, **kwargs)


def source_domain_scorer(estimator: Any, X: Any, y: Any) -> float:
    """Scorer for scikit-learn model selection that scores held-out **source** folds.

    ``GridSearchCV`` validates on folds of the source; this scorer tells the transfer
    estimator that those samples come from the source domain (default scoring would
    map them as target samples). Label-free target-side criteria live in
    :mod:`transferkit.selection`.
    """
    return float(estimator.score(X, y, domain="source"))
