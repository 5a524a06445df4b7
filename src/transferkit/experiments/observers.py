"""Hooks that see every finished cell of a run: the tracking plug-in point.

A *cell observer* is told about each cell as soon as it finishes (successfully or
not) and is closed at the end of the run. Experiment tracking (MLflow, ...) is an
observer registered in :data:`OBSERVERS` under a name that the config's ``tracking``
key selects::

    tracking:
      name: mlflow
      options: {tracking_uri: "sqlite:///mlflow.db"}

The runner calls ``OBSERVERS[name](output_dir=..., config=..., **options)`` once per run,
then :meth:`CellObserver.on_cell_done` for every cell that ran (resumed cells are not
reported again) and :meth:`CellObserver.close` at the end, also after an error.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from transferkit.registry import Registry

__all__ = ["OBSERVERS", "CellObserver", "ObserverFactory", "register_observer"]


@runtime_checkable
class CellObserver(Protocol):
    """What the runner calls for every finished cell.

    ``cell_key`` holds every setting that identifies the cell (``data``, ``task``,
    ``method``, ``params``, ``grid``, ``select``, ``seed``, ``memory`` and the data
    fingerprint; see :func:`transferkit.experiments.cells.Cell.key`), ``params`` the
    hyper-parameters the cell was fitted with (the fixed ones and those chosen by the
    selection rule), ``metrics`` its numbers (``accuracy`` in %, ``fit_seconds``,
    ``predict_seconds`` when they exist, and ``failed``: 0.0 or 1.0; a failed cell's
    error type and message are in its JSON file) and ``artifacts`` the files written
    for the cell (its JSON file).
    """

    def on_cell_done(
        self,
        cell_key: dict[str, Any],
        params: dict[str, Any],
        metrics: dict[str, float],
        artifacts: list[pathlib.Path],
    ) -> None:
        """Called once per finished cell, in the order the cells finish."""

    def close(self) -> None:
        """Called once at the end of the run (flush, end runs)."""


#: ``factory(output_dir=Path, config=dict, **options) -> CellObserver``
ObserverFactory = Callable[..., CellObserver]


def _discover_observers() -> None:
    # An observer lives in a module ``transferkit/experiments/observers_<name>.py`` that
    # calls register_observer at import time; importing them all is enough to find it.
    import importlib
    import pkgutil

    import transferkit.experiments as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("observers_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


#: Observer factories by the name the config's ``tracking.name`` uses. A module
#: ``transferkit/experiments/observers_<name>.py`` registering one is found on first use.
OBSERVERS: Registry[ObserverFactory] = Registry(
    "cell observer",
    loader=_discover_observers,
    hint="Set tracking.name to one of them, or leave tracking out.",
)


def register_observer(
    name: str, factory: ObserverFactory, *, replace: bool = False
) -> ObserverFactory:
    """Register an observer factory under ``name`` (``tracking: {name: NAME}``).

    Examples
    --------
    >>> class Printer:
    ...     def __init__(self, output_dir, config):
    ...         pass
    ...     def on_cell_done(self, cell_key, params, metrics, artifacts):
    ...         print(cell_key["method"], metrics.get("accuracy"))
    ...     def close(self):
    ...         pass
    >>> _ = register_observer("printer", Printer)
    >>> "printer" in OBSERVERS
    True
    >>> OBSERVERS.unregister("printer")
    """
    if not callable(factory):
        raise TypeError(f"observer {name!r} must be callable as factory(output_dir=, config=).")
    return OBSERVERS.register(name, factory, replace=replace)
