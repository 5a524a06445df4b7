"""Expand a config into cells: data task x method x sweep setting x selection x seed.

A cell is identified by **every** setting that can change its result: the data (and its
fingerprint), the task, the registered method (and its description), the fixed
parameters, the candidate grid, the selection rule, the seed, the memory mode and, when
the config has one, the labelled target budget (``target_labels``).
:attr:`Cell.cell_id` is a hash of that key, so a rerun finds the finished cells and a
changed setting makes a new cell instead of reusing a stale one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sklearn.model_selection import ParameterGrid

from transferkit._validation import TransferKitInputError
from transferkit.experiments.config import MAX_CELLS, ExperimentConfig, MethodEntry
from transferkit.experiments.data import TaskSource, resolve_data

__all__ = ["Cell", "MethodSetting", "Plan", "make_plan"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


@dataclass(frozen=True)
class MethodSetting:
    """One method entry at one sweep point: the spec to run and its fixed parameters.

    ``suites`` (``None``: all), ``seeds`` and ``selection`` (``None``: the
    experiment's) are the entry's own restrictions.
    """

    name: str
    spec: Any = field(compare=False, repr=False)  # transferkit.bench.MethodSpec
    params: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] | None = None
    suites: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None
    selection: tuple[str, ...] | None = None

    def runs_on(self, suite: str | None) -> bool:
        """Whether this setting runs on a task of ``suite`` (``None``: files, folders, NILM).

        A suite task needs the method registered for the suite and, if the entry names
        suites, one of them; an entry that names suites runs on suite tasks only.
        """
        if suite is None:
            return self.suites is None
        return self.spec.applies_to(suite) and (self.suites is None or suite in self.suites)

    @property
    def setting(self) -> str:
        """The fixed parameters as canonical JSON (``"{}"`` for the defaults)."""
        return _canonical(self.params)


@dataclass(frozen=True)
class Cell:
    """One unit of work; ``key`` holds every setting, ``cell_id`` hashes it."""

    source: TaskSource = field(repr=False)
    method: MethodSetting
    select: str
    seed: int
    memory: str
    #: the labelled target budget of the cell, ``{"fraction": F}`` or ``{"per_class": K}``
    #: (one value of ``target_labels``); ``None``: no budget
    target_labels: dict[str, Any] | None = None

    @property
    def key(self) -> dict[str, Any]:
        """Every setting of the cell, as plain JSON types.

        ``target_labels`` is in the key only when the cell has a labelled target budget
        (``{"fraction": F}`` or ``{"per_class": K}``), so cells without one keep the
        identity they had before the option existed.
        """
        spec = self.method.spec
        key = {
            "data": self.source.data,
            "task": self.source.task,
            "data_fingerprint": self.source.fingerprint,
            "method": self.method.name,
            "method_description": spec.description,
            "params": self.method.params,
            # the candidates of the selection rule (none: the defaults, no candidates)
            "grid": (
                {k: list(v) for k, v in spec.param_grid.items()}
                if spec.param_grid and self.select != "none"
                else None
            ),
            "select": self.select,
            "seed": self.seed,
            "memory": self.memory,
        }
        if self.target_labels is not None:
            key["target_labels"] = dict(self.target_labels)
        return key

    @property
    def cell_id(self) -> str:
        """16 hex digits of the SHA-256 of the key."""
        return hashlib.sha256(_canonical(self.key).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Plan:
    """The expanded cells of a config, in run order (task by task)."""

    config: ExperimentConfig
    tasks: list[TaskSource]
    settings: list[MethodSetting]
    cells: list[Cell]


def _derive(spec: Any, params: dict[str, Any], grid: dict[str, list[Any]] | None) -> Any:
    """``spec`` with ``params`` set by its factory and ``grid`` as its candidates."""
    changes: dict[str, Any] = {}
    if params:
        base = spec

        def factory(random_state: Any) -> Any:
            return base.build(random_state, params)

        changes["factory"] = factory
    if grid is not None:
        changes["param_grid"] = {k: list(v) for k, v in grid.items()}
    return dataclasses.replace(spec, **changes) if changes else spec


def _check_params(index: int, entry: MethodEntry, spec: Any) -> None:
    """Refuse parameter names the estimator does not have, naming the key and the allowed."""
    names = set(entry.params) | set(entry.grid or {}) | set(entry.sweep or {})
    if not names:
        return
    try:
        known = set(spec.build(0).get_params(deep=True))
    except Exception as exc:  # pragma: no cover - a factory that cannot build at all
        raise TransferKitInputError(
            f"methods[{index}] ({entry.name}): the estimator cannot be built to check its "
            f"parameters ({type(exc).__name__}: {exc})."
        ) from None
    for key in ("params", "grid", "sweep"):
        for name in getattr(entry, key) or {}:
            if name not in known:
                allowed = ", ".join(sorted(known))
                raise TransferKitInputError(
                    f"methods[{index}].{key}: {name!r} is not a parameter of {entry.name}; "
                    f"its parameters: {allowed}."
                )


def _settings(config: ExperimentConfig) -> list[MethodSetting]:
    from transferkit.bench.registry import get_method

    out: list[MethodSetting] = []
    for index, entry in enumerate(config.methods):
        spec = get_method(entry.name)
        _check_params(index, entry, spec)
        points = list(ParameterGrid(dict(entry.sweep))) if entry.sweep else [{}]
        for point in points:
            params = {**entry.params, **point}
            out.append(
                MethodSetting(
                    name=spec.name,
                    spec=_derive(spec, params, entry.grid),
                    params=params,
                    grid=entry.grid,
                    suites=None if entry.suites is None else tuple(entry.suites),
                    seeds=None if entry.seed_list is None else tuple(entry.seed_list),
                    selection=None if entry.selection is None else tuple(entry.selection),
                )
            )
    return out


def _check_sources(tasks: list[TaskSource], settings: list[MethodSetting]) -> None:
    """Refuse a multi-source method on a task that has one source domain."""
    for index, setting in enumerate(settings):
        if not setting.spec.multi_source:
            continue
        # the tasks the entry's own ``suites`` key leaves it (all when it names none)
        mine = [
            t
            for t in tasks
            if setting.suites is None or (t.suite is not None and t.suite in setting.suites)
        ]
        single = [t for t in mine if not t.multi_source]
        if single:
            from transferkit.bench.suites import list_suites

            multi = ", ".join(s.name for s in list_suites() if s.multi_source)
            task = single[0]
            raise TransferKitInputError(
                f"method {setting.name!r} (methods entry {index}) combines several source "
                f"domains, but task {task.task!r} of {task.data!r} has one source domain. "
                f"Run it on a multi-source suite ({multi}; a suite of your own declares "
                "Suite(..., multi_source=True)) or an arrays file with a sample_domain "
                "array, and put single-source data in another config."
            )


def _budgets(config: ExperimentConfig) -> list[dict[str, Any] | None]:
    """The labelled target budgets of the cells, in config order (``[None]``: none)."""
    if config.target_labels is None:
        return [None]
    return config.target_labels.budgets


def _labels_nothing(budget: dict[str, Any] | None) -> bool:
    return budget is None or budget.get("per_class") == 0


def _needs_labels(spec: Any) -> bool:
    """Whether a method cannot run without labelled target samples."""
    return spec.uses_target_labels and not getattr(spec, "target_labels_optional", False)


def _selection(config: ExperimentConfig, setting: MethodSetting) -> list[str]:
    """The selection rules of ``setting``: its entry's, else the experiment's."""
    return list(setting.selection) if setting.selection is not None else config.selection


def _sees_budget(select: str) -> bool:
    """Whether the selection rule passes the labelled target budget to the candidates."""
    from transferkit.bench.selection import get_selector

    if select == "none":
        return False
    spec = get_selector(select)
    # the oracle fits each candidate as the cell does (with the labelled budget)
    return spec.uses_labelled_target or select == "oracle"


def _chooses_on_budget(select: str) -> bool:
    """Whether the selection rule chooses on the labelled budget alone (target_cv)."""
    from transferkit.bench.selection import get_selector

    return select != "none" and get_selector(select).uses_labelled_target


def _check_target_labels(config: ExperimentConfig, settings: list[MethodSetting]) -> None:
    """Refuse a method that learns from target labels where it would get none.

    A method registered with ``target_labels_optional`` runs without labels too, and a
    label-free rule may choose among its candidates. The oracle fits every candidate
    as the cell fits the method (with the labelled budget) and scores it on the
    held-out target samples, so it may choose for such a method too.
    """
    for index, setting in enumerate(settings):
        if not setting.spec.uses_target_labels:
            continue
        if not _needs_labels(setting.spec):
            continue
        if all(_labels_nothing(b) for b in _budgets(config)) and config.target_labels:
            raise TransferKitInputError(
                f"method {setting.name!r} (methods entry {index}) learns from labelled "
                "target samples, and target_labels.per_class is 0 (no target label); give "
                "a budget K > 0 (e.g. per_class: [0, 1, 5]: the method runs at 1 and 5), "
                "or remove the method."
            )
        if config.target_labels is None:
            raise TransferKitInputError(
                f"method {setting.name!r} (methods entry {index}) learns from labelled "
                "target samples, and the config gives none; add a labelled target budget "
                "to the `transferkit run` config, e.g. target_labels: {fraction: 0.05} or "
                "{per_class: 5} (`transferkit bench` has none), or remove the method."
            )
        blind = [s for s in _selection(config, setting) if s != "none" and not _sees_budget(s)]
        if setting.spec.param_grid and blind:
            rule = blind[0]
            raise TransferKitInputError(
                f"method {setting.name!r} (methods entry {index}) learns from labelled "
                f"target samples, which selection {rule!r} does not pass to its candidates; "
                "choose among them with selection: target_cv (CV on the labelled target "
                "samples), leave out its grid (use sweep to run every value as its own "
                "cell) or use selection: none."
            )


def make_plan(config: ExperimentConfig) -> Plan:
    """Every cell of ``config``, checked (method x suite, parameter names, size).

    A method registered for some suites only (``tca`` for Office-Caltech and Amazon,
    ``tca_primal`` for digits and COIL) runs on the tasks of those suites; one that
    applies to none of the config's data is refused. A multi-source method
    (``MethodSpec.multi_source``) is refused when the data has a single-source task; a
    single-source method on a multi-source task is fitted on the pooled sources.

    Cells are ordered task by task (each task's data is loaded once), then by method,
    setting, labelled target budget, selection rule and seed; duplicates (same key) are
    dropped. A method that learns from target labels has no cell at ``per_class: 0``
    (it would have no label to learn from), unless it is registered with
    ``target_labels_optional`` (then it is fitted without labels there); a selection
    rule that chooses on the labelled target samples (``target_cv``) has none either.
    A methods entry's own ``selection`` replaces the experiment's for its cells.
    """
    tasks = resolve_data(config)
    settings = _settings(config)
    _check_sources(tasks, settings)
    _check_target_labels(config, settings)
    suites = list(dict.fromkeys(t.suite for t in tasks if t.suite is not None))
    for index, setting in enumerate(settings):
        # a method registered for some suites runs on those (and on files, folders, NILM)
        only_suites = all(t.suite is not None for t in tasks)
        if only_suites and not any(setting.spec.applies_to(s) for s in suites):
            raise TransferKitInputError(
                f"method {setting.name!r} is registered for suites "
                f"{list(setting.spec.suites or [])}, not {', '.join(map(repr, suites))}; "
                f"remove it from methods or add one of its suites to data (methods entry "
                f"{index})."
            )
        if not any(setting.runs_on(t.suite) for t in tasks):
            raise TransferKitInputError(
                f"method {setting.name!r} with suites {list(setting.suites or [])} runs on no "
                f"task of data (suites {', '.join(map(repr, suites)) or 'none'}; registered "
                f"for {list(setting.spec.suites or ['every suite'])}); fix its suites or "
                f"remove it from methods (methods entry {index})."
            )
    n_cells = len(_budgets(config)) * sum(
        len(setting.seeds or config.seed_list) * len(_selection(config, setting))
        for source in tasks
        for setting in settings
        if setting.runs_on(source.suite)
    )
    if n_cells > MAX_CELLS:
        raise TransferKitInputError(
            f"the config expands to {n_cells} cells (tasks x settings x selection x seeds); "
            f"at most {MAX_CELLS} per run. Use fewer grid/sweep values or seeds."
        )
    budgets = _budgets(config)
    cells: list[Cell] = []
    seen: set[str] = set()
    for source in tasks:
        for setting in settings:
            if not setting.runs_on(source.suite):
                continue
            for budget in budgets:
                if _needs_labels(setting.spec) and _labels_nothing(budget):
                    continue  # per_class: 0 gives a label learner nothing to learn from
                for select in _selection(config, setting):
                    if _chooses_on_budget(select) and _labels_nothing(budget):
                        continue  # target_cv has no labelled sample at per_class: 0
                    for seed in setting.seeds or config.seed_list:
                        cell = Cell(source, setting, select, seed, config.memory, budget)
                        if cell.cell_id not in seen:
                            seen.add(cell.cell_id)
                            cells.append(cell)
    return Plan(config=config, tasks=tasks, settings=settings, cells=cells)
