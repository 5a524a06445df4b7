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
  registered with ``uses_target_labels=True``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import ParameterGrid

from transferkit._validation import TransferKitInputError
from transferkit.bench.registry import MethodSpec

__all__ = [
    "SelectionProblem",
    "SelectorSpec",
    "register_selector",
    "get_selector",
    "list_selectors",
    "candidate_params",
]


@dataclass(frozen=True)
class SelectionProblem:
    """What a selector receives for one (task, method, seed) cell.

    Attributes
    ----------
    method : MethodSpec
        The method; ``build(params)`` gives a fresh estimator with ``params`` set.
    candidates : list of dict
        Every combination of the method's ``param_grid`` (the first is the default).
    X, y : source features and labels.
    X_target : target features.
    y_target : target labels, or ``None`` (always ``None`` for label-free selectors).
    random_state : int or None
        Seed of this cell.
    """

    method: MethodSpec
    candidates: list[dict[str, Any]]
    X: np.ndarray
    y: np.ndarray
    X_target: np.ndarray
    y_target: np.ndarray | None
    random_state: int | None

    def build(self, params: Mapping[str, Any] | None = None) -> Any:
        """A fresh, unfitted estimator of the method with ``params`` set."""
        return self.method.build(self.random_state, params)


@dataclass(frozen=True)
class SelectorSpec:
    """A registered selector: ``fn(problem) -> params`` or ``(params, info)``."""

    name: str
    fn: Callable[[SelectionProblem], Any]
    uses_target_labels: bool
    description: str


_SELECTORS: dict[str, SelectorSpec] = {}


def register_selector(
    name: str,
    fn: Callable[[SelectionProblem], Any],
    *,
    uses_target_labels: bool = False,
    description: str = "",
    replace: bool = False,
) -> SelectorSpec:
    """Register a hyper-parameter selector for ``transferkit bench --select NAME``.

    Parameters
    ----------
    name : str
        Command-line name.
    fn : callable
        ``fn(problem: SelectionProblem)`` returning the chosen parameter dict (one of
        ``problem.candidates``), or a tuple ``(params, info)`` where ``info`` is a
        JSON-serialisable dict stored with the cell (e.g. the score of every candidate).
    uses_target_labels : bool
        Declare that the selector reads target labels; results are then reported as an
        upper bound, never as an unsupervised result.
    description : str
        One line for reports.

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
    if name in _SELECTORS and not replace:
        raise TransferKitInputError(
            f"a selector named {name!r} is already registered; pass replace=True to overwrite."
        )
    spec = SelectorSpec(name, fn, bool(uses_target_labels), description)
    _SELECTORS[name] = spec
    return spec


def unregister_selector(name: str) -> None:
    """Remove a selector (mainly for tests); unknown names are ignored."""
    if name not in ("none", "oracle"):
        _SELECTORS.pop(name, None)


def get_selector(name: str) -> SelectorSpec:
    """The selector called ``name`` (raises with the list of known selectors)."""
    _discover_selectors()
    try:
        return _SELECTORS[name]
    except KeyError:
        raise TransferKitInputError(
            f"unknown selector {name!r}; choose one of {', '.join(sorted(_SELECTORS))}."
        ) from None


def list_selectors() -> list[SelectorSpec]:
    """All registered selectors."""
    _discover_selectors()
    return list(_SELECTORS.values())


def _discover_selectors() -> None:
    # Label-free selectors register themselves from the methods_* modules or from
    # transferkit.selection; importing the method modules is enough to find them.
    from transferkit.bench.registry import _ensure_discovered

    _ensure_discovered()


def candidate_params(method: MethodSpec) -> list[dict[str, Any]]:
    """Every combination of ``method.param_grid`` (``[{}]`` when it has none)."""
    if not method.param_grid:
        return [{}]
    return list(ParameterGrid(dict(method.param_grid)))


def run_selector(selector: SelectorSpec, problem: SelectionProblem) -> tuple[dict, dict]:
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


def _select_none(problem: SelectionProblem) -> dict[str, Any]:
    return {}


def _select_oracle(problem: SelectionProblem) -> tuple[dict[str, Any], dict[str, Any]]:
    if problem.y_target is None:  # pragma: no cover - guarded by the runner
        raise TransferKitInputError("the oracle selector needs the target labels.")
    scores = []
    for params in problem.candidates:
        estimator = problem.build(params)
        estimator.fit(problem.X, problem.y, X_target=problem.X_target)
        scores.append(float(np.mean(estimator.predict(problem.X_target) == problem.y_target)))
    best = int(np.argmax(scores))  # first maximum: ties go to the earlier (default) candidate
    return problem.candidates[best], {"target_accuracy_of_candidates": scores}


register_selector("none", _select_none, description="default hyper-parameters (no selection)")
register_selector(
    "oracle",
    _select_oracle,
    uses_target_labels=True,
    description="best candidate on the target labels: an UPPER BOUND, not a usable result",
)
