"""Find every public transferkit estimator (used by the contract tests and docs)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from transferkit.base import (
    BaseAdapter,
    BaseTransferClassifier,
    BaseTransferEstimator,
    BaseTransferRegressor,
    BaseWeighter,
)

__all__ = ["all_estimators"]

_ROLES = (BaseAdapter, BaseWeighter, BaseTransferEstimator)
_BASES = (*_ROLES, BaseTransferClassifier, BaseTransferRegressor)


def all_estimators() -> list[tuple[str, type]]:
    """``(name, class)`` of every concrete public estimator in the transferkit package.

    Examples
    --------
    >>> names = [name for name, _ in all_estimators()]
    >>> "CORAL" in names and "SourceOnly" in names
    True
    """
    import transferkit

    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(transferkit.__path__, "transferkit."):
        parts = module_info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]) or parts[1] in ("cli", "bench"):
            continue
        module = importlib.import_module(module_info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, _ROLES)
                and obj not in _BASES
                and not name.startswith("_")
                and not inspect.isabstract(obj)
                and obj.__module__.startswith("transferkit.")
                and not any(part.startswith("_") for part in obj.__module__.split(".")[1:])
            ):
                found[name] = obj
    return sorted(found.items())
