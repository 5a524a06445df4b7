"""One progress-bar style for every command and library loop (rich, on stderr).

``transferkit bench`` draws its bar with rich; :func:`track` gives every other loop
(the distances of ``transferkit distance``/``rank``, kernel blocks, feature batches)
the same columns, so the commands look alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["track", "progress_columns"]

T = TypeVar("T")


def progress_columns() -> tuple:
    """Description, bar, done/total, elapsed and remaining time (as ``bench``)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def track(
    iterable: Iterable[T],
    description: str,
    *,
    total: int | None = None,
    enabled: bool = True,
) -> Iterator[T]:
    """Yield from ``iterable`` while a rich progress bar on stderr advances.

    Examples
    --------
    >>> sum(track(range(3), "adding", enabled=False))
    3
    """
    if not enabled:
        yield from iterable
        return
    from rich.console import Console
    from rich.progress import Progress

    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with Progress(*progress_columns(), console=Console(stderr=True), transient=True) as bar:
        job = bar.add_task(description, total=total)
        for item in iterable:
            yield item
            bar.advance(job)
