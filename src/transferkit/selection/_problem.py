"""Shared state of one selection run: data, folds, fitted candidates, importance weights.

Every criterion evaluates a candidate through a :class:`SelectionRun`, which fits
each (candidate, fold) model at most once, so that IWCV, DEV and source CV computed on
the same folds share their fits.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier

from transferkit._validation import Domain, Domains, TransferKitInputError, check_sample_weights
from transferkit.base import BaseTransferEstimator, BaseWeighter

__all__ = [
    "SelectionRun",
    "default_weighter",
    "fit_candidate",
    "pin_solvers",
    "predict",
    "predict_proba",
]


def _accepts(method: Any, name: str) -> bool:
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def fit_candidate(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    X_target: np.ndarray,
    *,
    sample_domain: np.ndarray | None = None,
    intermediates: tuple[Domain, ...] = (),
) -> Any:
    """Fit a clone of ``estimator``: with ``X_target`` if its ``fit`` takes it.

    ``sample_domain`` (the source id of every row of ``X``) and the intermediate domains
    are passed on when there is more than the plain two-domain call to make and the
    estimator's ``fit`` takes ``sample_domain``; a plain scikit-learn classifier is
    fitted on the pooled sources ``(X, y)``.
    """
    model = clone(estimator)
    if not _accepts(model.fit, "X_target"):
        return model.fit(X, y)
    if (sample_domain is None and not intermediates) or not _accepts(model.fit, "sample_domain"):
        return model.fit(X, y, X_target=X_target)
    data = Domains(X, y, X_target, None, None, sample_domain, intermediates=intermediates)
    return model.fit(**data.fit_params())


def pin_solvers(estimator: Any, n_samples: int) -> Any:
    """A clone of ``estimator`` whose automatic, size-dependent solver choices are fixed.

    Every (nested) estimator with a ``resolve_solver(n_samples)`` method, such as
    :class:`~transferkit.instance.KMM`, gets ``solver=`` set to what it would choose for
    ``n_samples`` source samples. Selection pins them for the whole source, so that the
    cross-validation fits (on fewer samples) and the refit run the same solver.
    """
    model = clone(estimator)
    updates = {}
    if hasattr(model, "resolve_solver"):
        updates["solver"] = model.resolve_solver(n_samples)
    for key, value in model.get_params(deep=True).items():
        if hasattr(value, "resolve_solver") and not isinstance(value, type):
            updates[f"{key}__solver"] = value.resolve_solver(n_samples)
    return model.set_params(**updates) if updates else model


def _with_domain(method: Any, X: np.ndarray, domain: str) -> Any:
    if _accepts(method, "domain"):
        return method(X, domain=domain)
    return method(X)


def predict(model: Any, X: np.ndarray, domain: str) -> np.ndarray:
    """Predictions of a fitted model for samples of ``domain`` ("source" or "target")."""
    return np.asarray(_with_domain(model.predict, X, domain))


def predict_proba(model: Any, X: np.ndarray, domain: str) -> np.ndarray:
    """Class probabilities; a softmax of ``decision_function`` if there is no ``predict_proba``.

    Columns follow ``model.classes_``.
    """
    if hasattr(model, "predict_proba"):
        try:
            return np.asarray(_with_domain(model.predict_proba, X, domain), dtype=float)
        except AttributeError:
            pass  # e.g. a pipeline whose final estimator has no predict_proba
    if hasattr(model, "decision_function"):
        scores = np.asarray(_with_domain(model.decision_function, X, domain), dtype=float)
        if scores.ndim == 1:
            scores = np.column_stack([-scores / 2.0, scores / 2.0])
        scores = scores - scores.max(axis=1, keepdims=True)
        expd = np.exp(scores)
        return expd / expd.sum(axis=1, keepdims=True)
    raise TransferKitInputError(
        f"{type(model).__name__} has neither predict_proba nor decision_function; this "
        "criterion needs class scores (use e.g. LogisticRegression or an SVM)."
    )


def default_weighter(random_state: Any = None) -> BaseWeighter:
    """The default density-ratio estimator of IWCV and DEV: a calibrated domain classifier.

    Examples
    --------
    >>> type(default_weighter(random_state=0)).__name__
    'DiscriminativeDensityRatio'
    """
    try:
        from transferkit.instance import DiscriminativeDensityRatio
    except ImportError as exc:  # pragma: no cover - depends on the installed subpackages
        raise TransferKitInputError(
            "IWCV and DEV need a density-ratio estimator and the default "
            "(transferkit.instance.DiscriminativeDensityRatio) is not available; pass "
            "weighter=<a transferkit weighter such as KMM or uLSIF>."
        ) from exc
    model = DiscriminativeDensityRatio()
    if "random_state" in model.get_params():
        model.set_params(random_state=random_state)
    return model


def check_weighter(weighter: Any, random_state: Any) -> BaseWeighter:
    """Return a fresh (cloned) weighter, the default one when ``weighter`` is None."""
    if weighter is None:
        return default_weighter(random_state)
    if not isinstance(weighter, BaseWeighter):
        raise TypeError(
            "weighter must be a transferkit weighter (a BaseWeighter such as KMM, KLIEP, "
            f"uLSIF or DiscriminativeDensityRatio); got {type(weighter).__name__}."
        )
    return clone(weighter)


def estimate_weights(
    weighter: BaseWeighter, X: np.ndarray, X_target: np.ndarray, X_eval: np.ndarray | None = None
) -> np.ndarray:
    """Fit ``weighter`` on ``X`` vs ``X_target``; weights of ``X`` (or ``X_eval``), mean 1 on ``X``.

    The fitted weights are rescaled so that they average 1 over the source used to fit
    them (the density ratio satisfies :math:`\\mathbb E_s[w] = 1`).
    """
    weighter.fit(X, X_target=X_target)
    scale = float(np.mean(weighter.weights_))
    w = weighter.weights_ if X_eval is None else weighter.compute_weights(X_eval)
    w = check_sample_weights(w, w.shape[0], name="importance weights", warn_below=0.0)
    return w / scale


@dataclass
class SelectionRun:
    """Data, folds and cached fits of one :func:`score_candidates` run (internal).

    Not to be confused with :class:`transferkit.bench.SelectorInput`, what a benchmark
    selector receives for one (task, method, seed) cell.
    """

    X: np.ndarray
    y: np.ndarray
    X_target: np.ndarray
    y_target: np.ndarray | None
    splits: list[tuple[np.ndarray, np.ndarray]]
    weighter: Any = None
    random_state: Any = None
    sample_domain: np.ndarray | None = None
    intermediates: tuple[Domain, ...] = ()
    _fold_models: dict[tuple[int, int], Any] = field(default_factory=dict)
    _full_models: dict[int, Any] = field(default_factory=dict)
    _input_weights: dict[int, np.ndarray] = field(default_factory=dict)
    _feature_weights: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)

    def fold_model(self, key: int, estimator: Any, fold: int) -> Any:
        """Candidate ``key`` fitted on training fold ``fold`` (source part) and the target.

        Size-dependent automatic solvers are pinned for the whole source
        (:func:`pin_solvers`), so the fold fits and :meth:`full_model` use the same ones.
        """
        if (key, fold) not in self._fold_models:
            train, _ = self.splits[fold]
            self._fold_models[key, fold] = fit_candidate(
                pin_solvers(estimator, self.X.shape[0]),
                self.X[train],
                self.y[train],
                self.X_target,
                sample_domain=None if self.sample_domain is None else self.sample_domain[train],
                intermediates=self.intermediates,
            )
        return self._fold_models[key, fold]

    def full_model(self, key: int, estimator: Any) -> Any:
        """Candidate ``key`` fitted on the whole source and the target."""
        if key not in self._full_models:
            self._full_models[key] = fit_candidate(
                pin_solvers(estimator, self.X.shape[0]),
                self.X,
                self.y,
                self.X_target,
                sample_domain=self.sample_domain,
                intermediates=self.intermediates,
            )
        return self._full_models[key]

    def input_weights(self, weighter: Any = None) -> np.ndarray:
        """Importance weights of all source samples in the input space (fitted once).

        ``weighter`` None means the run's weighter (``self.weighter``, or the default).
        """
        chosen = self.weighter if weighter is None else weighter
        key = id(chosen)
        if key not in self._input_weights:
            fresh = check_weighter(chosen, self.random_state)
            self._input_weights[key] = estimate_weights(fresh, self.X, self.X_target)
        return self._input_weights[key]

    def feature_weights(
        self,
        key: tuple[Any, ...],
        arrays: Sequence[np.ndarray],
        compute: Callable[[], np.ndarray],
    ) -> np.ndarray:
        """Weights computed by ``compute()``, cached by ``key`` and the bytes of ``arrays``.

        Candidates whose feature maps coincide (a grid over the classifier only) then
        share one density-ratio fit per fold.
        """
        digest = hashlib.sha1(usedforsecurity=False)
        for arr in arrays:
            digest.update(str(arr.shape).encode())
            digest.update(np.ascontiguousarray(arr).tobytes())
        full_key = (*key, digest.hexdigest())
        if full_key not in self._feature_weights:
            self._feature_weights[full_key] = compute()
        return self._feature_weights[full_key]

    def forget(self, key: int) -> None:
        """Drop the cached fold models of candidate ``key`` (keeps memory bounded)."""
        for fold in range(len(self.splits)):
            self._fold_models.pop((key, fold), None)


def is_transfer_classifier(model: Any) -> bool:
    """Whether ``model`` is a transferkit transfer classifier."""
    return isinstance(model, BaseTransferEstimator) and is_classifier(model)
