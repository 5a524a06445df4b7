"""Figures of a transfer experiment (matplotlib, the ``[report]`` extra).

Every function returns a ``matplotlib.figure.Figure`` built without ``pyplot``, so no
global plotting state is touched and no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from transferkit._optional import require
from transferkit._validation import TransferKitInputError

__all__ = ["image_grid", "accuracy_bars", "embedding_plot"]


def _figure(width: float, height: float) -> Any:
    require("matplotlib", extra="report", purpose="the figures of transferkit.report")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def image_grid(
    images: Any, row_labels: Sequence[str], col_labels: Sequence[str], cmap: str = "gray_r"
) -> Any:
    """A grid of 2-D images, ``images[r][c]`` in row ``r`` and column ``c``.

    Examples
    --------
    >>> fig = image_grid(np.zeros((2, 3, 8, 8)), ["US", "CN"], ["a", "b", "c"])
    >>> len(fig.axes)
    6
    """
    arr = np.asarray(images, dtype=float)
    if arr.ndim != 4 or arr.shape[:2] != (len(row_labels), len(col_labels)):
        raise TransferKitInputError(
            f"images must have shape (rows, columns, height, width) = ({len(row_labels)}, "
            f"{len(col_labels)}, h, w); got {arr.shape}."
        )
    rows, cols = arr.shape[:2]
    fig = _figure(1.3 * cols + 0.6, 1.4 * rows + 0.3)
    axes = fig.subplots(rows, cols, squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r][c]
            ax.imshow(arr[r, c], cmap=cmap, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(str(col_labels[c]).replace("_", " "), fontsize=8)
            if c == 0:
                ax.set_ylabel(str(row_labels[r]), fontsize=9)
    return fig


def accuracy_bars(
    names: Sequence[str], values: Sequence[float], baseline: float | None = None, xlabel: str = ""
) -> Any:
    """Horizontal bars (one per method), with the no-transfer ``baseline`` as a line.

    Examples
    --------
    >>> fig = accuracy_bars(["source only", "CORAL"], [0.5, 0.7], baseline=0.5)
    >>> len(fig.axes[0].patches)
    2
    """
    if len(names) != len(values):
        raise TransferKitInputError(
            f"names and values must have the same length; got {len(names)} and {len(values)}."
        )
    fig = _figure(7.0, 0.38 * len(names) + 1.0)
    ax = fig.subplots()
    y = np.arange(len(names))[::-1]
    colours = [
        "#999999" if baseline is None else ("#2a7ab9" if v >= baseline else "#d1495b")
        for v in values
    ]
    ax.barh(y, values, color=colours)
    for yi, v in zip(y, values, strict=True):
        ax.text(v + 0.005, yi, f"{100 * v:.1f}%", va="center", fontsize=8)
    if baseline is not None:
        ax.axvline(baseline, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlim(0, 1.08)
    ax.set_xlabel(xlabel)
    return fig


def embedding_plot(panels: Sequence[tuple[str, Any, Any]], domains: Any, labels: Any) -> Any:
    """Side-by-side 2-D scatter plots (e.g. before/after adaptation).

    Parameters
    ----------
    panels : sequence of (title, Z_source, Z_target)
        2-D coordinates of the source and target samples in each panel.
    domains : (str, str)
        Names of the source and target (legend).
    labels : (array, array)
        Class labels of the source and target samples (colours).

    Examples
    --------
    >>> Z = np.zeros((4, 2))
    >>> fig = embedding_plot([("before", Z, Z)], ("US", "CN"), (["a"] * 4, ["a"] * 4))
    >>> len(fig.axes)
    1
    """
    ys, yt = (np.asarray(y) for y in labels)
    classes = sorted(set(ys.tolist()) | set(yt.tolist()))
    fig = _figure(5.2 * len(panels), 4.6)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    for ax, (title, Zs, Zt) in zip(axes, panels, strict=True):
        Zs, Zt = np.asarray(Zs, dtype=float), np.asarray(Zt, dtype=float)
        for k, c in enumerate(classes):
            colour = cmap(k % 10)
            ms, mt = ys == c, yt == c
            ax.scatter(
                Zs[ms, 0],
                Zs[ms, 1],
                s=14,
                color=colour,
                marker="o",
                alpha=0.6,
                label=str(c).replace("_", " "),
            )
            ax.scatter(Zt[mt, 0], Zt[mt, 1], s=22, color=colour, marker="x", alpha=0.9)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].legend(
        fontsize=7, loc="best", title=f"o {domains[0]}   x {domains[1]}", title_fontsize=7
    )
    return fig
