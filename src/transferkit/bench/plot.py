"""A plot of one results file: accuracy per task for every method, with its reference rows.

matplotlib is imported only here, when a plot is drawn (``pip install
"transferkit[report]"``); the figure is drawn on an Agg canvas, so no pyplot state or
backend of the user's session is touched.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.bench.published import get_published
from transferkit.bench.report import summarise

__all__ = ["plot_results"]


def plot_results(state: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Draw target accuracy per task (ours: filled, reference rows: hollow) into ``path``.

    Parameters
    ----------
    state : dict
        The content of a results JSON file (:func:`transferkit.bench.run_benchmark`).
    path : path
        Image file to write (the format follows the suffix, e.g. ``.png``).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ImportError
        If matplotlib is not installed; the message names the ``report`` extra.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            'plotting benchmark results needs matplotlib: pip install "transferkit[report]".'
        ) from exc
    tasks = list(state["tasks"])
    summary = summarise(state)
    x = np.arange(len(tasks))
    fig = Figure(figsize=(max(6.0, 0.7 * len(tasks) + 3.0), 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    order = list(state.get("methods", {}))
    methods = sorted(summary, key=lambda m: order.index(m) if m in order else len(order))
    handles, labels = [], []
    for i, method in enumerate(methods):
        s = summary[method]
        colour = f"C{i % 10}"
        means = [np.mean(s["per_task"].get(t) or [np.nan]) for t in tasks]
        stds = [
            np.std(v, ddof=1) if len(v := s["per_task"].get(t) or []) > 1 else 0.0 for t in tasks
        ]
        handles.append(ax.errorbar(x, means, yerr=stds, color=colour, marker="o", capsize=3))
        labels.append(f"{method} (ours)")
        refs = state.get("methods", {}).get(method, {}).get("published", [])
        for marker, ref in zip(("s", "^", "D", "v", "P", "X"), refs, strict=False):
            row = get_published(state["suite"], ref)
            values = [row.values.get(t, np.nan) for t in tasks]
            kind = "re-computed" if row.is_rerun else "published"
            (line,) = ax.plot(
                x,
                values,
                color=colour,
                marker=marker,
                markerfacecolor="none",
                linestyle=":",
                alpha=0.8,
            )
            handles.append(line)
            labels.append(f"  ↳ {row.ref} ({kind})")
    ax.set_xticks(x, tasks, rotation=45 if len(tasks) > 4 else 0)
    ax.set_ylabel("target accuracy (%)")
    select = state.get("select", "none")
    bound = " — UPPER BOUND (target labels)" if state.get("select_uses_target_labels") else ""
    ax.set_title(f"{state['suite']} (selection: {select}){bound}")
    ax.grid(alpha=0.3)
    ax.legend(handles, labels, fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    from transferkit.bench.storage import atomic_write

    out = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=110, format=out.suffix.lstrip(".") or "png")
    atomic_write(out, buffer.getvalue())
    return out
