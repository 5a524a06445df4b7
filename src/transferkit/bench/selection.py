"""Hyper-parameter selection hook of the benchmark runner.

A *selector* picks one candidate of a method's ``param_grid`` for one task and seed.
The runner then fits the chosen configuration and reports its target accuracy.

* ``"none"``: the method's defaults (no selection).
* ``"oracle"``: the candidate with the best **target** accuracy. It looks at the target
  labels, so it is an *upper bound* of what any honest selector can reach, and every
  report labels it so.
* Label-free selectors (importance-weighted cross-validation, deep embedded validation,
  soft neighbourhood density, ...) are added with :func:`register_selector`. They never
  see the target labels: ``problem.y_target`` is ``None`` unless the selector was
  registered with ``uses_target_labels=True``. :func:`make_selector` turns a criterion
  of :mod:`transferkit.selection` into such a selector; ``methods_selection.py``
  registers one per name of :data:`SELECTOR_CRITERIA`.
* ``"target_cv"``: chooses on the **labelled target budget** of a ``transferkit run``
  config (``target_labels``), never on the target samples that are scored: 5-fold
  stratified cross-validation over the labelled target samples
  (:func:`transferkit.selection.choose_by_target_cv`), as
  ``benchmarks/instance_amazon_tradaboost.py`` chooses its rounds. Such a selector is
  registered with ``uses_labelled_target=True``; it receives ``problem.y_target``
  holding the drawn labels and ``-1`` elsewhere, and is refused without a budget.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import ParameterGrid

from transferkit._validation import TransferKitInputError
from transferkit.bench.registry import METHODS, MethodSpec
from transferkit.registry import Registry

__all__ = [
    "SELECTORS",
    "SELECTOR_CRITERIA",
    "SelectorInput",
    "SelectorSpec",
    "make_selector",
    "register_selector",
    "get_selector",
    "list_selectors",
    "candidate_params",
]


@dataclass(frozen=True)
class SelectorInput:
    """What a benchmark selector receives for one (task, method, seed) cell.

    Not to be confused with the internal state of
    :func:`transferkit.selection.score_candidates` (``SelectionRun``).

    Attributes
    ----------
    method : MethodSpec
        The method; ``build(params)`` gives a fresh estimator with ``params`` set.
    candidates : list of dict
        Every combination of the method's ``param_grid`` (the first is the default).
    X, y : source features and labels.
    X_target : target features.
    y_target : target labels, or ``None`` (always ``None`` for label-free selectors).
        A selector registered with ``uses_labelled_target`` gets the labelled target
        budget instead: the drawn labels, ``-1`` for every other target sample.
    random_state : int or None
        Seed of this cell.
    sample_domain : ndarray of int or None
        Source id of every row of ``X`` when the task has several source domains
        (skada's convention); pass it on as ``fit(..., sample_domain=...)``.
    fit_y_target : ndarray or None
        Under a labelled target budget, the labels the cell fits a method that learns
        from target labels with (``-1`` for the samples not labelled), so that a
        selector fitting candidates fits them as the cell does; ``None`` otherwise.
    scored : ndarray of int or None
        Under a labelled target budget, the target samples the cell is scored on (the
        ones not labelled); ``None``: every target sample.
    """

    method: MethodSpec
    candidates: list[dict[str, Any]]
    X: np.ndarray
    y: np.ndarray
    X_target: np.ndarray
    y_target: np.ndarray | None
    random_state: int | None
    sample_domain: np.ndarray | None = None
    fit_y_target: np.ndarray | None = None
    scored: np.ndarray | None = None

    def fit_kwargs(self) -> dict[str, Any]:
        """``X_target`` and, for several sources, ``sample_domain``: what ``fit`` needs."""
        kwargs: dict[str, Any] = {"X_target": self.X_target}
        if self.sample_domain is not None:
            kwargs["sample_domain"] = self.sample_domain
        return kwargs

    def build(self, params: Mapping[str, Any] | None = None) -> Any:
        """A fresh, unfitted estimator of the method with ``params`` set."""
        return self.method.build(self.random_state, params)


@dataclass(frozen=True)
class SelectorSpec:
    """A registered selector: ``fn(problem) -> params`` or ``(params, info)``."""

    name: str
    fn: Callable[[SelectorInput], Any]
    uses_target_labels: bool
    description: str
    #: chooses on the labelled target budget only (``-1`` elsewhere): not an upper bound
    uses_labelled_target: bool = False


def _discover_selectors() -> None:
    # Label-free selectors register themselves from the methods_* modules (e.g.
    # methods_selection); importing the method modules is enough to find them.
    METHODS.load()


#: Every hyper-parameter selector, by name (``none`` and ``oracle`` cannot be removed).
SELECTORS: Registry[SelectorSpec] = Registry(
    "selector", loader=_discover_selectors, protected=("none", "oracle")
)


def register_selector(
    name: str,
    fn: Callable[[SelectorInput], Any],
    *,
    uses_target_labels: bool = False,
    description: str = "",
    uses_labelled_target: bool = False,
    replace: bool = False,
) -> SelectorSpec:
    """Register a hyper-parameter selector for ``transferkit bench --select NAME``.

    Parameters
    ----------
    name : str
        Command-line name.
    fn : callable
        ``fn(problem: SelectorInput)`` returning the chosen parameter dict (one of
        ``problem.candidates``), or a tuple ``(params, info)`` where ``info`` is a
        JSON-serialisable dict stored with the cell (e.g. the score of every candidate).
    uses_target_labels : bool
        Declare that the selector reads target labels; results are then reported as an
        upper bound, never as an unsupervised result.
    description : str
        One line for reports.
    uses_labelled_target : bool
        The selector chooses on the labelled target budget of the cell
        (``target_labels`` of a ``transferkit run`` config): ``problem.y_target`` holds
        the drawn labels and ``-1`` for the other target samples, none of which it may
        use. Not an upper bound (the scored samples stay unseen); refused in configs
        without a budget.

    Examples
    --------
    >>> def first(problem):
    ...     return problem.candidates[0]
    >>> _ = register_selector("first_candidate", first, description="always the default")
    >>> get_selector("first_candidate").uses_target_labels
    False
    >>> unregister_selector("first_candidate")
    """
    if not callable(fn):
        raise TypeError(f"selector {name!r} must be callable as fn(problem).")
    if uses_target_labels and uses_labelled_target:
        raise TransferKitInputError(
            f"selector {name!r}: uses_target_labels (every target label, an upper bound) "
            "and uses_labelled_target (the labelled budget only) exclude each other; "
            "choose one."
        )
    spec = SelectorSpec(name, fn, bool(uses_target_labels), description, bool(uses_labelled_target))
    return SELECTORS.register(name, spec, replace=replace)


def unregister_selector(name: str) -> None:
    """Remove a selector (mainly for tests); unknown names are ignored."""
    SELECTORS.unregister(name)


def get_selector(name: str) -> SelectorSpec:
    """The selector called ``name`` (raises with the list of known selectors)."""
    return SELECTORS.lookup(name)


def list_selectors() -> list[SelectorSpec]:
    """All registered selectors."""
    return list(SELECTORS.values())


def candidate_params(method: MethodSpec) -> list[dict[str, Any]]:
    """Every combination of ``method.param_grid`` (``[{}]`` when it has none)."""
    if not method.param_grid:
        return [{}]
    return list(ParameterGrid(dict(method.param_grid)))


def run_selector(selector: SelectorSpec, problem: SelectorInput) -> tuple[dict, dict]:
    """Call a selector and normalise its answer to ``(params, info)``."""
    answer = selector.fn(problem)
    info: dict[str, Any] = {}
    if isinstance(answer, tuple):
        answer, info = answer
    if not isinstance(answer, Mapping):
        raise TypeError(
            f"selector {selector.name!r} must return a parameter dict or (params, info); "
            f"got {type(answer).__name__}."
        )
    params = dict(answer)
    if problem.candidates != [{}] and params not in problem.candidates:
        raise TransferKitInputError(
            f"selector {selector.name!r} returned {params}, which is not one of the candidates "
            f"of {problem.method.name!r}."
        )
    return params, dict(info)


def _select_none(problem: SelectorInput) -> dict[str, Any]:
    return {}


def _select_oracle(problem: SelectorInput) -> tuple[dict[str, Any], dict[str, Any]]:
    if problem.y_target is None:  # pragma: no cover - guarded by the runner
        raise TransferKitInputError("the oracle selector needs the target labels.")
    # Each candidate is fitted as the cell fits the method (with the labelled target
    # budget when the method learns from target labels) and scored where the cell is
    # scored (the samples not labelled), so the oracle bounds the cell it chooses for.
    kwargs = problem.fit_kwargs()
    if problem.fit_y_target is not None:
        kwargs["y_target"] = problem.fit_y_target
    scored = np.arange(len(problem.y_target)) if problem.scored is None else problem.scored
    scores = []
    for params in problem.candidates:
        estimator = problem.build(params)
        estimator.fit(problem.X, problem.y, **kwargs)
        predicted = np.asarray(estimator.predict(problem.X_target))
        scores.append(float(np.mean(predicted[scored] == problem.y_target[scored])))
    best = int(np.argmax(scores))  # first maximum: ties go to the earlier (default) candidate
    return problem.candidates[best], {"target_accuracy_of_candidates": scores}


register_selector("none", _select_none, description="default hyper-parameters (no selection)")
register_selector(
    "oracle",
    _select_oracle,
    uses_target_labels=True,
    description="best candidate on the target labels: an UPPER BOUND, not a usable result",
)


#: Folds of the ``target_cv`` selection rule (``benchmarks/instance_amazon_tradaboost.py``).
TARGET_CV_FOLDS = 5


def _select_target_cv(problem: SelectorInput) -> tuple[dict[str, Any], dict[str, Any]]:
    """The candidate with the best accuracy on the labelled target samples, by CV.

    A method that learns from target labels (``uses_target_labels``): 5-fold stratified
    CV over the labelled target samples, each fold fitted on the source, the whole
    target and the other folds' labels, scored on its own
    (:func:`transferkit.selection.choose_by_target_cv` with ``random_state`` the
    cell's seed; ties go to the earlier candidate). Any other method is fitted without
    target labels (as the cell fits it), so every fold would fit the same model: its
    CV accuracy is its accuracy on all the labelled target samples, one fit per
    candidate.
    """
    from transferkit.selection.target_cv import UNLABELLED, choose_by_target_cv

    y_budget = problem.y_target
    labelled = None if y_budget is None else np.flatnonzero(y_budget != UNLABELLED)
    if labelled is None or labelled.size == 0:
        raise TransferKitInputError(
            "selection target_cv chooses on the labelled target samples, and this cell has "
            "none; give the config a labelled target budget (target_labels: {fraction: F} "
            "or {per_class: K} with K > 0)."
        )
    candidates = [dict(c) for c in problem.candidates]
    info: dict[str, Any] = {"n_labelled": int(labelled.size)}
    if problem.method.uses_target_labels:
        if problem.sample_domain is not None:
            raise TransferKitInputError(
                f"selection target_cv: {problem.method.name} learns from target labels and "
                "is given several source domains; target CV refits it without "
                "sample_domain. Use a single-source task or another selection rule."
            )
        classes, counts = np.unique(y_budget[labelled], return_counts=True)
        if counts.min() < TARGET_CV_FOLDS:
            rare = classes[int(np.argmin(counts))]
            raise TransferKitInputError(
                f"selection target_cv: {TARGET_CV_FOLDS}-fold CV needs at least "
                f"{TARGET_CV_FOLDS} labelled target samples of every class, and the budget "
                f"labels {int(counts.min())} of class {rare.item()!r}; give a larger "
                f"budget (target_labels: per_class >= {TARGET_CV_FOLDS}, or a larger "
                "fraction) or another selection rule."
            )
        result = choose_by_target_cv(
            problem.build({}),
            [{name: [value] for name, value in c.items()} for c in candidates],
            problem.X,
            problem.y,
            X_target=problem.X_target,
            y_target=y_budget,
            n_splits=TARGET_CV_FOLDS,
            random_state=problem.random_state,
            refit=False,
        )
        scores = [float(score) for _, score in result.scores]
        info.update(n_splits=TARGET_CV_FOLDS, target_cv_accuracy_of_candidates=scores)
        return dict(result.best_params), info
    scores = []
    for params in candidates:
        estimator = problem.build(params)
        estimator.fit(problem.X, problem.y, **problem.fit_kwargs())
        predicted = np.asarray(estimator.predict(problem.X_target[labelled]))
        scores.append(float(np.mean(predicted == y_budget[labelled])))
    best = int(np.argmax(scores))  # first maximum: ties go to the earlier candidate
    info.update(labelled_target_accuracy_of_candidates=scores)
    return candidates[best], info


register_selector(
    "target_cv",
    _select_target_cv,
    uses_labelled_target=True,
    description=(
        "5-fold CV on the labelled target budget (target_labels) only; needs a budget, "
        "never sees the scored target samples"
    ),
)


#: selector name -> (criterion name, one-line description)
SELECTOR_CRITERIA: dict[str, tuple[str, str]] = {
    "iwcv": ("iwcv", "importance-weighted source CV (Sugiyama et al. 2007), label-free"),
    "dev": ("dev", "deep embedded validation with control variate (You et al. 2019), label-free"),
    "snd": ("snd", "soft neighbourhood density of target predictions (Saito et al. 2021)"),
    "entropy": ("entropy", "lowest mean entropy of target predictions, label-free"),
    "reverse": ("reverse", "reverse validation (Zhong et al. 2010), label-free"),
    "source_cv": ("source_cv", "plain source cross-validation (ignores the shift)"),
}


def make_selector(criterion: Any, *, cv: int = 3, weighter: Any = None) -> Callable[[Any], Any]:
    """A runner selector that picks the candidate with the best ``criterion`` score.

    Parameters
    ----------
    criterion : str or BaseCriterion
        As in :func:`~transferkit.selection.select`.
    cv : int, default=3
        Stratified source folds.
    weighter : BaseWeighter, optional
        Density-ratio estimator for IWCV/DEV.

    Returns
    -------
    callable
        ``fn(problem) -> (params, info)`` with ``info`` holding every candidate's score.

    Examples
    --------
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> Xs = rng.normal(size=(60, 2)); ys = (Xs[:, 0] > 0).astype(int)
    >>> problem = SimpleNamespace(
    ...     candidates=[{"C": 1e-4}, {"C": 1.0}], X=Xs, y=ys, X_target=Xs + 0.3,
    ...     random_state=0, build=lambda params: LogisticRegression().set_params(**params))
    >>> params, info = make_selector("entropy")(problem)
    >>> params, info["criterion"]
    ({'C': 1.0}, 'entropy')
    """

    def selector(problem: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        from transferkit.selection.search import score_candidates

        candidates = [dict(c) for c in problem.candidates]
        grid = [{name: [value] for name, value in c.items()} for c in candidates]
        table = score_candidates(
            problem.build({}),
            grid if candidates != [{}] else [{}],
            problem.X,
            problem.y,
            problem.X_target,
            criteria=[criterion],
            cv=cv,
            weighter=weighter,
            random_state=problem.random_state,
            sample_domain=getattr(problem, "sample_domain", None),
        )
        name = next(iter(table.scores))
        best = table.choose(name)
        scores = [float(s) if np.isfinite(s) else None for s in table.table(name)]
        return candidates[best], {"criterion": name, "criterion_scores": scores}

    return selector
