"""Chain adapters and weighters in front of any scikit-learn estimator."""

from __future__ import annotations

from collections import Counter, defaultdict
from copy import deepcopy
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils import Bunch
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from transferkit._validation import TransferKitInputError, ValidatedDomains
from transferkit.base import BaseAdapter, BaseTransferEstimator, BaseWeighter

__all__ = ["TransferPipeline", "make_transfer_pipeline", "source_domain_scorer"]

_OWN_PARAMS = ("steps", "use_target_labels")
# Legacy names of the two-step form, TransferPipeline(transfer, estimator).
_TRANSFER_ALIAS, _ESTIMATOR_ALIAS = "transfer", "estimator"


def _final_has(attr: str):
    def check(self: TransferPipeline) -> bool:
        final = self.estimator_ if hasattr(self, "estimator_") else self._final_step()
        return final is not None and hasattr(final, attr)

    return check


class TransferPipeline(BaseTransferEstimator):
    r"""Adapters and weighters, in order, followed by a scikit-learn estimator.

    ``steps`` is a list of ``(name, step)`` pairs, as in scikit-learn's ``Pipeline``:
    every step but the last is a transferkit **adapter** (``CORAL``, ``TCA``, ...) or
    **weighter** (``KMM``, ``KLIEP``, ...), the last one any scikit-learn classifier or
    regressor (a scikit-learn ``Pipeline`` included) or a transferkit estimator such as
    ``TrAdaBoostR2``, which then receives the mapped target (``X_target``, ``y_target``)
    itself. ``fit`` runs the steps in order:

    * an adapter :math:`\phi` is fitted on the current source and target
      representations and maps both, :math:`x^s \mapsto \phi_s(x^s)`,
      :math:`x^t \mapsto \phi_t(x^t)`; the next step sees the mapped domains;
    * a weighter fitted on the current representations gives
      :math:`w_i \approx p_t(x_i)/p_s(x_i)` (so a weighter after an adapter estimates
      the ratio in the adapted space) and leaves the features unchanged.

    The final estimator :math:`f` is then trained on the mapped source, minimising the
    (importance-weighted, if there is a weighter) empirical risk

    .. math::
        \hat f = \arg\min_f \sum_{i=1}^{n_s} w_i\,\ell\bigl(f(\Phi_s(x^s_i)), y^s_i\bigr)
        \qquad (w_i = 1 \text{ without a weighter}),

    with :math:`\Phi = \phi^{(k)} \circ \dots \circ \phi^{(1)}`, and predicts
    :math:`f(\Phi_t(x))` for target samples. The weights are the weighter's
    ``weights_`` unchanged, passed as ``sample_weight`` (to the last step of a
    scikit-learn ``Pipeline``: ``<last step>__sample_weight``). Labelled target samples
    (``y_target``, ``-1`` or ``NaN`` = unlabelled), when ``use_target_labels``, are
    mapped by :math:`\Phi_t` and added to the training set with the mean source weight
    (a transferkit final estimator gets them as its ``y_target`` instead).

    The pipeline is a classifier or a regressor like its final estimator
    (``predict_proba``/``decision_function`` exist when the final estimator has them).

    Parameters
    ----------
    steps : list of (str, estimator) pairs
        Transfer steps, then the final estimator; all cloned at fit. At most one
        weighter. Parameters of a step are set as ``<name>__<param>``. In a two-step
        pipeline the names ``transfer`` (first step) and ``estimator`` (last step)
        also work, so that ``transfer__lambda_`` grids of the two-step form keep working.
    use_target_labels : bool, default=True
        Add the labelled target samples to the training set of the final estimator.

    Attributes
    ----------
    steps_ : list of (str, fitted step)
        The fitted clones, final estimator included.
    estimator_ : fitted final estimator
    transfer_ : fitted transfer step of a two-step pipeline
    classes_ : ndarray of the source classes (classifiers only)
    n_features_in_, feature_names_in_ : as in scikit-learn
    domains_ : the validated training domains (read by the label-free scorers)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from transferkit import CORAL, TCA, TransferPipeline
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(100, 4)); ys = (Xs[:, 0] > 0).astype(int)
    >>> Xt = 2.0 * rng.normal(size=(80, 4)) + 1.0
    >>> model = TransferPipeline([("coral", CORAL(lambda_=1.0)),
    ...                           ("tca", TCA(n_components=2)), ("svm", LinearSVC())])
    >>> model.fit(Xs, ys, X_target=Xt).predict(Xt).shape
    (80,)
    >>> model.set_params(coral__lambda_=0.1).get_params()["coral__lambda_"]
    0.1
    """

    # The steps decide how many sources they accept: the pipeline passes the domains on.
    _max_sources = None
    _passes_domains = True

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "steps": [list, tuple],
        "use_target_labels": ["boolean"],
    }

    def __init__(self, steps: Any, *, use_target_labels: bool = True):
        self.steps = steps
        self.use_target_labels = use_target_labels

    # ------------------------------------------------------------------ parameters
    def _raw_steps(self) -> list[tuple[str, Any]] | None:
        """``steps`` as a list of pairs, or None when it is malformed (checked at fit)."""
        steps = self.steps
        if not isinstance(steps, list | tuple) or not steps:
            return None
        if not all(isinstance(s, list | tuple) and len(s) == 2 for s in steps):
            return None
        return [(s[0], s[1]) for s in steps]

    def _final_step(self) -> Any:
        steps = self._raw_steps()
        return None if steps is None else steps[-1][1]

    def _aliases(self, steps: list[tuple[str, Any]]) -> dict[str, str]:
        """Legacy names -> step names (only names that are not step names themselves)."""
        names = [name for name, _ in steps]
        aliases = {_ESTIMATOR_ALIAS: names[-1]}
        if len(steps) == 2:
            aliases[_TRANSFER_ALIAS] = names[0]
        return {a: n for a, n in aliases.items() if a not in names}

    @property
    def transfer(self) -> Any:
        """The (unfitted) transfer step of a two-step pipeline (the former ``transfer``)."""
        steps = self._raw_steps()
        if steps is None or len(steps) != 2:
            raise AttributeError(
                "transfer names the one transfer step of a two-step pipeline; use "
                "named_steps for a pipeline with several."
            )
        return steps[0][1]

    @property
    def estimator(self) -> Any:
        """The (unfitted) final estimator (the former ``estimator``)."""
        final = self._final_step()
        if final is None:
            raise AttributeError("estimator: steps is not a list of (name, step) pairs.")
        return final

    @property
    def named_steps(self) -> Bunch:
        """The (unfitted) steps by name."""
        return Bunch(**dict(self._raw_steps() or []))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters; with ``deep``, also every step (and the legacy two-step names)."""
        out = super().get_params(deep=False)
        steps = self._raw_steps()
        if not deep or steps is None:
            return out
        by_name = dict(steps)
        named = list(steps) + [(a, by_name[n]) for a, n in self._aliases(steps).items()]
        for name, step in named:
            out[name] = step
            if hasattr(step, "get_params") and not isinstance(step, type):
                for key, value in step.get_params(deep=True).items():
                    out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params: Any) -> TransferPipeline:
        """Set parameters: ``steps``, a whole step by name, or ``<name>__<param>``."""
        if "steps" in params:
            self.steps = params.pop("steps")
        steps = self._raw_steps()
        names = [] if steps is None else [name for name, _ in steps]
        aliases = {} if steps is None else self._aliases(steps)
        own: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = defaultdict(dict)
        for key, value in params.items():
            head, sep, sub = key.partition("__")
            name = head if head in names else aliases.get(head)
            if name is None:
                if key in _OWN_PARAMS:
                    own[key] = value
                    continue
                hint = (
                    " A pipeline with several transfer steps names them: "
                    + ", ".join(f"{n}__..." for n in names)
                    if head == _TRANSFER_ALIAS and names
                    else ""
                )
                raise ValueError(
                    f"Invalid parameter {key!r} for {type(self).__name__}: valid step names "
                    f"are {names + sorted(aliases)} and parameters {list(_OWN_PARAMS)}.{hint}"
                )
            if sep:
                nested[name][sub] = value
            else:
                self._replace_step(name, value)
        if own:
            super().set_params(**own)
        for name, sub in nested.items():
            dict(self._raw_steps() or [])[name].set_params(**sub)
        return self

    def _replace_step(self, name: str, step: Any) -> None:
        self.steps = [(n, step if n == name else s) for n, s in self._raw_steps() or []]

    def __sklearn_tags__(self):
        return _delegate_tags(super().__sklearn_tags__(), self._final_step())

    @property
    def _classification(self) -> bool:  # type: ignore[override]
        final = self._final_step()
        try:
            return final is None or is_classifier(final)
        except (AttributeError, TypeError):  # not an estimator: refused by _checked_steps
            return True

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        X_target: Any = None,
        y_target: Any = None,
        sample_domain: Any = None,
    ):
        """Fit every step in order (see the class description), then the final estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The source (or, with ``sample_domain``, the stacked domains).
        y : array-like of shape (n_samples,)
            Class labels, or continuous targets when the final estimator is a regressor.
        X_target : array-like of shape (n_target, n_features) or TargetDomain
        y_target : array-like of shape (n_target,), optional
            ``-1`` (classification) or ``NaN`` (regression) marks an unlabelled sample.
        sample_domain : array-like of int of shape (n_samples,), optional
            Domain id of every row of ``X`` (skada's convention). Every step receives the
            domains unchanged (source ids, intermediate domains), mapped by the adapters
            before it; each step decides how many sources it accepts.

        Returns
        -------
        self
        """
        self._checked_steps()  # malformed steps are refused before any validation or work
        return super().fit(X, y, X_target=X_target, y_target=y_target, sample_domain=sample_domain)

    # ------------------------------------------------------------------ fitting
    def _checked_steps(self) -> list[tuple[str, Any]]:
        steps = self._raw_steps()
        if steps is None:
            raise TypeError(
                "steps must be a non-empty list of (name, step) pairs, e.g. "
                "[('coral', CORAL()), ('svm', SVC())]; got "
                f"{type(self.steps).__name__}. The former TransferPipeline(transfer, "
                "estimator) is make_transfer_pipeline(transfer, estimator)."
            )
        names = [name for name, _ in steps]
        for name in names:
            if not isinstance(name, str) or not name or "__" in name or name in _OWN_PARAMS:
                raise TransferKitInputError(
                    f"Step name {name!r} is not valid: use a non-empty string without '__' "
                    f"that is not one of {list(_OWN_PARAMS)}."
                )
        duplicates = sorted(n for n, c in Counter(names).items() if c > 1)
        if duplicates:
            raise TransferKitInputError(f"Step names must be unique; repeated: {duplicates}.")
        *transfers, (final_name, final) = steps
        for name, step in transfers:
            if not isinstance(step, BaseAdapter | BaseWeighter):
                raise TypeError(
                    f"Step {name!r} must be a transferkit adapter (e.g. CORAL, TCA) or "
                    f"weighter (e.g. KMM); got {type(step).__name__}. Put scikit-learn "
                    "transformers inside the final estimator (a scikit-learn Pipeline)."
                )
        n_weighters = sum(isinstance(step, BaseWeighter) for _, step in transfers)
        if n_weighters > 1:
            raise TransferKitInputError(
                f"A TransferPipeline takes at most one weighter; got {n_weighters}. Each "
                "estimates the same ratio p_t/p_s, so their product would not be one."
            )
        if isinstance(final, BaseAdapter | BaseWeighter) or not hasattr(final, "fit"):
            raise TypeError(
                f"The last step {final_name!r} must be a scikit-learn estimator that "
                f"predicts; got {type(final).__name__}."
            )
        if not is_classifier(final):
            for name, step in transfers:
                if getattr(step, "_requires_source_labels", False):
                    raise TransferKitInputError(
                        f"Step {name!r} ({type(step).__name__}) needs class labels, but the "
                        f"final estimator {type(final).__name__} is not a classifier; use an "
                        "unsupervised adapter (CORAL, TCA, ...) or a weighter for regression."
                    )
        if n_weighters:
            _weight_param(final)  # refuse an estimator without sample_weight before any work
        return steps

    def _fit(self, data: ValidatedDomains) -> None:
        steps = self._checked_steps()
        *transfers, (final_name, final) = steps
        # A transferkit estimator at the end (TrAdaBoostR2, SourceOnly, ...) receives the
        # mapped domains itself; a plain estimator gets the labelled target rows appended.
        final_is_transfer = isinstance(final, BaseTransferEstimator)
        mask = data.target_labelled if self.use_target_labels else None
        has_target_labels = mask is not None and bool(mask.any()) and not final_is_transfer
        Xt_labelled = data.X_target[mask] if has_target_labels else None
        current = data  # the domains as the previous steps left them (ids, intermediates)
        weights = None
        fitted: list[tuple[str, Any]] = []
        for i, (name, template) in enumerate(transfers):
            step = clone(template)
            step.fit(**self._step_params(current))
            if isinstance(step, BaseAdapter):
                if has_target_labels:
                    Xt_labelled = step.transform(Xt_labelled, domain="target")
                # later steps (and a transferkit final estimator) see the mapped target
                later = i < len(transfers) - 1 or final_is_transfer
                current = _map_domains(step, current, map_target=later)
            else:
                weights = step.weights_
            fitted.append((name, step))
        estimator = clone(final)
        if final_is_transfer:
            params = current.fit_params()
            if not self.use_target_labels:
                params["y_target"] = None
            estimator.fit(**params)
        else:
            X_train, y_train = current.X, data.y
            if has_target_labels:
                X_train = np.vstack([X_train, Xt_labelled])
                y_train = np.concatenate([y_train, data.y_target[mask]])
            if weights is None:
                estimator.fit(X_train, y_train)
            else:
                if has_target_labels:
                    weights = np.concatenate([weights, np.full(int(mask.sum()), weights.mean())])
                estimator.fit(X_train, y_train, **{_weight_param(estimator): weights})
        self.steps_ = [*fitted, (final_name, estimator)]
        self.estimator_ = estimator

    def _step_params(self, current: ValidatedDomains) -> dict[str, Any]:
        """``fit`` arguments of a transfer step: the current domains, ids included.

        Regression targets are not class labels: unsupervised steps then get no labels.
        """
        params = current.fit_params()
        if not self._classification:
            params["y"] = None
            params["y_target"] = None
        return params

    # ------------------------------------------------------------------ prediction
    @property
    def transfer_(self) -> Any:
        """The fitted transfer step of a two-step pipeline."""
        check_is_fitted(self, "steps_")
        if len(self.steps_) != 2:
            raise AttributeError(
                f"transfer_ names the one transfer step of a two-step pipeline; this one has "
                f"{len(self.steps_) - 1}: use steps_ or named_steps_."
            )
        return self.steps_[0][1]

    @property
    def named_steps_(self) -> Bunch:
        """The fitted steps by name."""
        check_is_fitted(self, "steps_")
        return Bunch(**dict(self.steps_))

    def _features(self, X: Any, domain: str) -> Any:
        """The samples of ``domain`` mapped by every fitted adapter, in order."""
        for _, step in self.steps_[:-1]:
            if isinstance(step, BaseAdapter):
                X = step.transform(X, domain=domain)
        return X

    def transform_features(self, X: Any, domain: str = "target") -> Any:
        """Samples of ``domain`` in the space the final estimator works in."""
        return self._features(self._check_fitted_input(X), domain)

    def _final_call(self, method: str, X: Any, domain: str) -> Any:
        Z = self._features(X, domain)
        if isinstance(self.estimator_, BaseTransferEstimator):
            return getattr(self.estimator_, method)(Z, domain=domain)
        return getattr(self.estimator_, method)(Z)

    def _predict(self, X: np.ndarray, domain: str) -> np.ndarray:
        return self._final_call("predict", X, domain)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X: Any, domain: str = "target") -> np.ndarray:
        """Class probabilities of the final estimator, columns ordered as ``classes_``."""
        proba = self._final_call("predict_proba", self._check_fitted_input(X), domain)
        return _align_proba(proba, self.estimator_.classes_, self.classes_)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X: Any, domain: str = "target") -> np.ndarray:
        """The final estimator's decision function on mapped samples of ``domain``."""
        return self._final_call("decision_function", self._check_fitted_input(X), domain)


def _map_domains(
    adapter: BaseAdapter, data: ValidatedDomains, *, map_target: bool
) -> ValidatedDomains:
    """The domains after ``adapter``: sources mapped as "source", the target and the
    intermediate domains as "target"; ids and labels unchanged."""
    X_target = data.X_target
    intermediates = data.intermediates
    if map_target:
        if X_target is not None:
            X_target = adapter.transform(X_target, domain="target")
        intermediates = tuple(
            replace(d, X=adapter.transform(d.X, domain="target")) for d in intermediates
        )
    return replace(
        data,
        X=adapter.transform(data.X, domain="source"),
        X_target=X_target,
        intermediates=intermediates,
    )


def _weight_param(estimator: Any) -> str:
    """The fit parameter that takes ``sample_weight`` (a Pipeline's last step's, if need be)."""
    if has_fit_parameter(estimator, "sample_weight"):
        return "sample_weight"
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps and hasattr(estimator, "named_steps"):
        name, last = steps[-1]
        if last not in (None, "passthrough") and has_fit_parameter(last, "sample_weight"):
            return f"{name}__sample_weight"
        what = f"its last step {type(last).__name__}"
    else:
        what = type(estimator).__name__
    raise TransferKitInputError(
        f"{what}.fit does not accept sample_weight, so it cannot be trained with importance "
        "weights; choose an estimator that does (e.g. LogisticRegression, Ridge, SVC)."
    )


def _delegate_tags(tags: Any, estimator: Any) -> Any:
    """Tags of a wrapper that is a classifier or a regressor like ``estimator``."""
    if estimator is None or isinstance(estimator, type):
        return tags
    try:
        inner = get_tags(estimator)
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - exotic estimators
        return tags
    tags.estimator_type = inner.estimator_type
    tags.classifier_tags = deepcopy(inner.classifier_tags)
    tags.regressor_tags = deepcopy(inner.regressor_tags)
    tags.target_tags.multi_output = inner.target_tags.multi_output
    return tags


def _align_proba(proba: np.ndarray, seen: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Re-order probability columns of ``seen`` classes to ``classes`` (zeros if unseen)."""
    if len(seen) == len(classes) and np.array_equal(seen, classes):
        return proba
    out = np.zeros((proba.shape[0], len(classes)), dtype=float)
    index = np.searchsorted(classes, seen)
    out[:, index] = proba
    return out


def _name_steps(steps: tuple[Any, ...]) -> list[tuple[str, Any]]:
    """Lower-case class names, numbered when repeated (scikit-learn's ``make_pipeline``)."""
    names = [type(step).__name__.lower() for step in steps]
    counts = Counter(names)
    seen: Counter[str] = Counter()
    out = []
    for name, step in zip(names, steps, strict=True):
        if counts[name] > 1:
            seen[name] += 1
            name = f"{name}-{seen[name]}"
        out.append((name, step))
    return out


def make_transfer_pipeline(*steps: Any, use_target_labels: bool = True) -> TransferPipeline:
    """Build a :class:`TransferPipeline` from adapters/weighters and a final estimator.

    Steps are named after their classes in lower case (numbered when a class repeats),
    as by scikit-learn's ``make_pipeline``: ``coral__lambda_``, ``tca__n_components``,
    ``svc__C``. A two-step pipeline also answers to ``transfer__...`` and
    ``estimator__...``.

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import CORAL, JointPCA, make_transfer_pipeline
    >>> make_transfer_pipeline(JointPCA(n_components=10), KNeighborsClassifier(1))
    TransferPipeline(steps=[('jointpca', JointPCA(n_components=10)),
                            ('kneighborsclassifier',
                             KNeighborsClassifier(n_neighbors=1))])
    >>> pipe = make_transfer_pipeline(CORAL(), JointPCA(n_components=2), KNeighborsClassifier(1))
    >>> [name for name, _ in pipe.steps]
    ['coral', 'jointpca', 'kneighborsclassifier']
    """
    if not steps:
        raise TransferKitInputError(
            "make_transfer_pipeline needs at least a final estimator, e.g. "
            "make_transfer_pipeline(CORAL(), LogisticRegression())."
        )
    return TransferPipeline(_name_steps(steps), use_target_labels=use_target_labels)


def source_domain_scorer(estimator: Any, X: Any, y: Any) -> float:
    """Scorer for scikit-learn model selection that scores held-out **source** folds.

    ``GridSearchCV`` validates on folds of the source; this scorer tells the transfer
    estimator that those samples come from the source domain (default scoring would
    map them as target samples). Label-free target-side criteria live in
    :mod:`transferkit.selection` and are scorers too (``scoring=DEV()``).
    """
    return float(estimator.score(X, y, domain="source"))
