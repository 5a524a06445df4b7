"""Lazy top-level names: ``import transferkit`` is cheap, a name imports its module on use.

A package lists its public names as ordinary imports inside ``if TYPE_CHECKING:`` (so type
checkers and readers see them), then calls :func:`attach`, which reads those imports from
the package's own source and installs a module ``__getattr__`` that performs each import
the first time the name is used (PEP 562). This is the approach of scientific-python's
``lazy_loader`` (which reads a ``.pyi`` stub the same way).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["attach", "lazy_names"]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def lazy_names(source: str) -> dict[str, tuple[str, str]]:
    """``{public name: (module, attribute)}`` of the ``from m import a`` statements found in
    the ``if TYPE_CHECKING:`` blocks of ``source``.

    Examples
    --------
    >>> lazy_names("if TYPE_CHECKING:\\n    from a.b import C, d as e\\n")
    {'C': ('a.b', 'C'), 'e': ('a.b', 'd')}
    """
    names: dict[str, tuple[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                    for alias in stmt.names:
                        names[alias.asname or alias.name] = (stmt.module, alias.name)
    return names


def attach(
    package: str, file: str
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, names)`` for ``package`` whose ``__init__`` is ``file``.

    ``names`` are the lazily imported public names, sorted (the package's ``__all__``
    should list the same names, as a literal, for type checkers and linters).
    """
    names = lazy_names(Path(file).read_text(encoding="utf-8"))
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:  # noqa: N807 - the PEP 562 hook
        if name in names:
            source, attribute = names[name]
            value = getattr(importlib.import_module(source), attribute)
        elif importlib.util.find_spec(f"{package}.{name}") is not None:
            value = importlib.import_module(f"{package}.{name}")  # a subpackage
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)  # later look-ups skip this hook
        return value

    def __dir__() -> list[str]:  # noqa: N807 - the PEP 562 hook
        return sorted(set(vars(module)) | set(names))

    return __getattr__, __dir__, sorted(names, key=str.lower)
