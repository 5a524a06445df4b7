"""Small formatting helpers shared by the command bodies."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

__all__ = ["fmt_number", "fmt_p_value", "short_names", "print_fitting", "LOWER", "HIGHER"]

#: Column-header markers of a metric's direction.
LOWER = "↓ better"
HIGHER = "↑ better"


def fmt_number(value: float | None) -> str:
    """Four significant digits, or ``-`` for a missing / NaN value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


def fmt_p_value(p: float | None, n_permutations: int) -> str:
    """A permutation p-value; at its floor ``1/(B+1)`` it reads ``< 1/(B+1)``.

    With ``B`` permutations the smallest p-value the test can give is ``1/(B+1)`` (no
    permutation reached the observed statistic); printing it as ``0.004975`` suggests a
    precision the test does not have.

    Examples
    --------
    >>> fmt_p_value(1 / 201, 200), fmt_p_value(0.5, 200), fmt_p_value(None, 0)
    ('< 1/201', '0.5', '-')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    floor = 1.0 / (n_permutations + 1) if n_permutations > 0 else 0.0
    if floor and p <= floor * (1 + 1e-9):
        return f"< 1/{n_permutations + 1}"
    return f"{p:.3g}"


def short_names(names: list[str]) -> tuple[str | None, list[str]]:
    """Shorter, still distinct display names, and the common part that was removed.

    ``DATASET:DOMAIN`` names of one data set become their domains (the data set goes
    to the title); paths become their file names when those are distinct.

    Examples
    --------
    >>> short_names(["office:amazon", "office:dslr"])
    ('office', ['amazon', 'dslr'])
    >>> short_names(["a/x.npy", "b/y.npy"])
    (None, ['x.npy', 'y.npy'])
    """
    pairs = [n.split(":") for n in names]
    if all(len(p) == 2 and not Path(n).suffix for p, n in zip(pairs, names, strict=True)):
        datasets = {p[0] for p in pairs}
        if len(datasets) == 1 and len({p[1] for p in pairs}) == len(names):
            return datasets.pop(), [p[1] for p in pairs]
    files = [Path(n).name for n in names]
    if len(set(files)) == len(names) and files != names:
        return None, files
    return None, list(names)


def print_fitting(console: Any, *tables: Any) -> Any:
    """Print the first table that fits the console width (else the last one); return it."""
    from rich.measure import Measurement

    unbounded = console.options.update_width(100_000)
    for table in tables[:-1]:
        if Measurement.get(console, unbounded, table).maximum <= console.width:
            console.print(table)
            return table
    console.print(tables[-1])
    return tables[-1]
