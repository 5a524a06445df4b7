"""The method registry: every family of methods plugs its benchmark entries in here.

A family adds a module ``transferkit/bench/methods_<family>.py`` that calls
:func:`register_method` at import time; :data:`METHODS` (a
:class:`transferkit.registry.Registry`) imports every such module on first lookup or
listing (``pkgutil``), so no central list needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from transferkit._validation import TransferKitInputError
from transferkit.registry import Registry

__all__ = [
    "METHODS",
    "MethodSpec",
    "register_method",
    "unregister_method",
    "get_method",
    "list_methods",
    "discover_methods",
]

Factory = Callable[[Any], Any]


@dataclass(frozen=True)
class MethodSpec:
    """One benchmark entry: how to build the estimator and what to compare it with.

    Attributes
    ----------
    name : str
        Command-line name (``transferkit bench SUITE --methods name``).
    factory : callable
        ``factory(random_state) -> estimator``; the estimator follows the transferkit
        contract (``fit(X, y, X_target=...)``, ``predict``/``score`` on the target).
    description : str
        One line shown in tables and ``--help``: method, classifier and its settings.
    suites : tuple of str or None
        Suites the method applies to (``None`` = all).
    param_grid : dict or None
        Candidate hyper-parameters (``estimator.set_params`` names) for selection.
    published : dict
        ``suite -> tuple of published-row references`` such as
        ``"coral2016_t3:CORAL"`` (see :mod:`transferkit.bench.published`).
    multi_source : bool
        The method combines several labelled source domains: it is fitted with
        ``sample_domain`` and runs only on multi-source tasks (a single-source task is
        refused). A single-source method (``False``) given a multi-source task is fitted
        on the sources pooled as one (no ``sample_domain``).
    uses_target_labels : bool
        The method learns from labelled target samples (``fit(..., y_target=...)``,
        ``-1`` = unlabelled): it runs only in experiments with a labelled target budget
        (``target_labels`` in a ``transferkit run`` config), which pass it the drawn
        labels; every other method is fitted without target labels.
    target_labels_optional : bool
        With ``uses_target_labels``: the method also runs with no labelled target
        sample (no budget, or ``per_class: 0``), fitted without ``y_target``, and a
        label-free selection rule may choose among its candidates (scored as without
        labels; the chosen one is then fitted with the drawn labels). E.g. a transfer
        pipeline whose classifier the labelled target samples join: with none it is the
        label-free method.
    """

    name: str
    factory: Factory
    description: str
    suites: tuple[str, ...] | None = None
    param_grid: Mapping[str, list[Any]] | None = None
    published: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    multi_source: bool = False
    uses_target_labels: bool = False
    target_labels_optional: bool = False

    def applies_to(self, suite: str) -> bool:
        """Whether this method is meant to run on ``suite``.

        A multi-source method applies to multi-source suites only.
        """
        if self.multi_source:
            from transferkit.bench.suites import is_multi_source

            if not is_multi_source(suite):
                return False
        return self.suites is None or suite in self.suites

    def build(self, random_state: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        """A fresh estimator from the factory, with ``params`` set on it."""
        estimator = self.factory(random_state)
        if params:
            estimator.set_params(**dict(params))
        return estimator


def _discover() -> None:
    discover_methods()


#: Every benchmark method, by name (filled by the ``methods_*`` modules on first use).
METHODS: Registry[MethodSpec] = Registry(
    "benchmark method",
    loader=_discover,
    hint="`transferkit bench SUITE --list-methods` shows them.",
)


def _as_refs(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def register_method(
    name: str,
    factory: Factory,
    *,
    description: str,
    suites: Iterable[str] | None = None,
    param_grid: Mapping[str, list[Any]] | None = None,
    published: Mapping[str, str | Iterable[str]] | None = None,
    multi_source: bool = False,
    uses_target_labels: bool = False,
    target_labels_optional: bool = False,
    replace: bool = False,
) -> MethodSpec:
    """Register a benchmark method.

    Parameters
    ----------
    name : str
        Unique name, lower case with underscores (``"jda"``, ``"coral"``).
    factory : callable
        ``factory(random_state) -> estimator``. Called once per (task, seed, candidate),
        so it must return a new unfitted estimator each time.
    description : str
        Method, classifier and settings in one line.
    suites : iterable of str, optional
        Suites the method is meant for; ``None`` means all.
    param_grid : dict, optional
        ``{param: [candidates]}`` for hyper-parameter selection (``--select``). The
        first candidate of every list should be the default.
    published : dict, optional
        ``{suite: "table:row"}`` or ``{suite: ["table:row", ...]}``: the published rows
        this method reproduces, shown next to ours (checked against the package data).
    multi_source : bool
        The method needs several source domains (``fit(..., sample_domain=...)``); it
        is refused on single-source tasks. Single-source methods (the default) are
        fitted on the pooled sources of a multi-source task.
    uses_target_labels : bool
        The method learns from labelled target samples (``y_target``, ``-1`` =
        unlabelled), like TrAdaBoost or target-only training: ``transferkit run`` runs it
        only with a labelled target budget (``target_labels``) and passes it the drawn
        labels.
    target_labels_optional : bool
        With ``uses_target_labels``: the method also runs without labelled target
        samples (fitted without ``y_target``; a budget of ``per_class: 0`` gives it
        cells), and label-free selection rules may choose among its candidates, which
        they score without the labelled samples (``benchmarks/nilm_cross_country.py``'s
        protocol: DEV picks the candidate, the labelled records then join its
        classifier's training set).
    replace : bool
        Allow overwriting an existing entry (otherwise a duplicate name raises).

    Returns
    -------
    MethodSpec

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import SourceOnly
    >>> spec = register_method(
    ...     "example_1nn", lambda rs: SourceOnly(KNeighborsClassifier(1)),
    ...     description="1NN on the raw source", published={"digits": "rerun:1NN"})
    >>> get_method("example_1nn").published["digits"]
    ('rerun:1NN',)
    >>> unregister_method("example_1nn")
    """
    if not isinstance(name, str) or not name or any(c in name for c in ", \t\n"):
        raise TransferKitInputError(
            f"method name must be a non-empty string without commas or spaces; got {name!r}."
        )
    if not callable(factory):
        raise TypeError(f"factory for {name!r} must be callable as factory(random_state).")
    refs = {suite: _as_refs(value) for suite, value in (published or {}).items()}
    if refs:
        from transferkit.bench.published import check_reference

        for suite, keys in refs.items():
            for key in keys:
                check_reference(suite, key)
    grid = None
    if param_grid is not None:
        grid = {k: list(v) for k, v in param_grid.items()}
        for key, values in grid.items():
            if not values:
                raise TransferKitInputError(f"param_grid[{key!r}] of {name!r} is empty.")
    spec = MethodSpec(
        name=name,
        factory=factory,
        description=description,
        suites=None if suites is None else tuple(suites),
        param_grid=grid,
        published=refs,
        multi_source=bool(multi_source),
        uses_target_labels=bool(uses_target_labels),
        target_labels_optional=bool(uses_target_labels and target_labels_optional),
    )
    return METHODS.register(name, spec, replace=replace)


def unregister_method(name: str) -> None:
    """Remove a method (mainly for tests); unknown names are ignored."""
    METHODS.unregister(name)


def discover_methods() -> list[str]:
    """Import every ``transferkit.bench.methods_*`` module; return their names."""
    import transferkit.bench as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("methods_"):
            importlib.import_module(f"{package.__name__}.{info.name}")
            found.append(info.name)
    return found


def get_method(name: str) -> MethodSpec:
    """The registered method ``name`` (raises with the list of known names).

    ``NAME+guard`` is the guarded variant of ``NAME`` (see :mod:`transferkit.bench.guard`).
    """
    from transferkit.bench.guard import GUARD_SUFFIX, guarded_spec

    if isinstance(name, str) and name.endswith(GUARD_SUFFIX):
        return guarded_spec(METHODS.lookup(name.removesuffix(GUARD_SUFFIX)))
    return METHODS.lookup(name)


def list_methods(suite: str | None = None) -> list[MethodSpec]:
    """All registered methods (those applying to ``suite`` when given), sorted by name."""
    specs = [METHODS[name] for name in METHODS.names()]
    return [s for s in specs if suite is None or s.applies_to(suite)]
