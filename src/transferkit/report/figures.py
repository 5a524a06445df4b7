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

__all__ = [
    "image_grid",
    "accuracy_bars",
    "embedding_plot",
    "grouped_bars",
    "heatmap",
    "confusion_matrices",
]


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


def grouped_bars(
    groups: Sequence[str],
    series: Sequence[str],
    means: Any,
    stds: Any | None = None,
    ylabel: str = "",
) -> Any:
    """Vertical bars grouped by ``groups`` (e.g. tasks), one colour per ``series`` (methods).

    ``means[i][j]`` is the bar of series ``i`` in group ``j`` (``NaN``: no bar); ``stds``
    of the same shape draws error bars.

    Examples
    --------
    >>> fig = grouped_bars(["C->A", "A->C"], ["SO", "CORAL"], [[40, 30], [45, np.nan]])
    >>> len([p for p in fig.axes[0].patches if p.get_height() > 0])
    3
    """
    m = np.asarray(means, dtype=float)
    if m.shape != (len(series), len(groups)):
        raise TransferKitInputError(
            f"means must have shape (series, groups) = ({len(series)}, {len(groups)}); "
            f"got {m.shape}."
        )
    s = None if stds is None else np.asarray(stds, dtype=float)
    if s is not None and s.shape != m.shape:
        raise TransferKitInputError(f"stds must have the shape of means {m.shape}; got {s.shape}.")
    fig = _figure(min(max(5.0, 0.3 * m.size + 1.5), 14.0), 3.8)
    ax = fig.subplots()
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for i, name in enumerate(series):
        err = None if s is None else np.nan_to_num(s[i])
        ax.bar(
            x + (i - (len(series) - 1) / 2) * width,
            np.nan_to_num(m[i]),
            width,
            yerr=err,
            capsize=2,
            color=cmap(i % 10),
            label=str(name),
        )
    ax.set_xticks(x)
    ax.set_xticklabels([str(g) for g in groups], fontsize=8, rotation=45 if len(groups) > 6 else 0)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, ncol=min(len(series), 4), loc="upper center", bbox_to_anchor=(0.5, -0.15))
    return fig


def heatmap(
    values: Any, row_labels: Sequence[str], col_labels: Sequence[str], label: str = ""
) -> Any:
    """A matrix as a coloured grid with its values written in the cells.

    Examples
    --------
    >>> fig = heatmap([[0.0, 0.2], [0.2, 0.0]], ["a", "b"], ["a", "b"], label="MMD²")
    >>> len(fig.axes)  # the grid and its colour bar
    2
    """
    v = np.asarray(values, dtype=float)
    if v.shape != (len(row_labels), len(col_labels)):
        raise TransferKitInputError(
            f"values must have shape ({len(row_labels)}, {len(col_labels)}); got {v.shape}."
        )
    fig = _figure(1.0 * len(col_labels) + 2.2, 0.8 * len(row_labels) + 1.2)
    ax = fig.subplots()
    image = ax.imshow(v, cmap="viridis")
    fig.colorbar(image, ax=ax, label=label)
    ax.set_xticks(np.arange(len(col_labels)))
    ax.set_xticklabels([str(c) for c in col_labels], fontsize=8, rotation=30)
    ax.set_yticks(np.arange(len(row_labels)))
    ax.set_yticklabels([str(r) for r in row_labels], fontsize=8)
    finite = v[np.isfinite(v)]
    middle = float(finite.min() + finite.max()) / 2 if finite.size else 0.0
    for (r, c), value in np.ndenumerate(v):
        if np.isfinite(value):
            ax.text(
                c,
                r,
                f"{value:.3g}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if value < middle else "black",
            )
    return fig


def confusion_matrices(
    panels: Sequence[tuple[str, Any]], class_names: Sequence[str], normalise: bool = True
) -> Any:
    """Confusion matrices side by side (rows: true class, columns: predicted class).

    Parameters
    ----------
    panels : sequence of (title, matrix)
        Count matrices of shape ``(n_classes, n_classes)``.
    class_names : sequence of str
    normalise : bool, default=True
        Show each row divided by its total (the recall of each class on the diagonal).

    Examples
    --------
    >>> fig = confusion_matrices([("SO", [[3, 1], [0, 4]])], ["a", "b"])
    >>> len(fig.axes)
    1
    """
    k = len(class_names)
    mats = [np.asarray(mat, dtype=float) for _, mat in panels]
    for (title, _), mat in zip(panels, mats, strict=True):
        if mat.shape != (k, k):
            raise TransferKitInputError(
                f"confusion matrix {title!r} has shape {mat.shape}; expected ({k}, {k}) for "
                f"{k} class names."
            )
    size = min(1.2 + 0.35 * k, 7.0)
    fig = _figure(size * len(panels) + 0.4, size + 0.6)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    for ax, (title, _), mat in zip(axes, panels, mats, strict=True):
        shown = mat
        if normalise:
            totals = mat.sum(axis=1, keepdims=True)
            shown = np.divide(mat, totals, out=np.zeros_like(mat), where=totals > 0)
        ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=1.0 if normalise else None)
        ax.set_title(str(title), fontsize=9)
        ticks = np.arange(k)
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        fontsize = 7 if k <= 12 else 5
        ax.set_xticklabels([str(c) for c in class_names], fontsize=fontsize, rotation=90)
        ax.set_yticklabels([str(c) for c in class_names], fontsize=fontsize)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true", fontsize=8)
        if k <= 12:
            for (r, c), value in np.ndenumerate(shown):
                if value > 0:
                    text = f"{value:.2f}" if normalise else f"{int(mat[r, c])}"
                    colour = "white" if value > (0.5 if normalise else shown.max() / 2) else "black"
                    ax.text(c, r, text, ha="center", va="center", fontsize=6, color=colour)
    return fig
