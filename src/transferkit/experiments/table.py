"""The tidy result table of a run: one row per (data, task, method, setting, grid, select,
labelled target budget).

Each row holds the mean and standard deviation (``ddof=0``, as ``transferkit bench``'s
reports) of the target accuracy and of the macro-F1 score over the seeds that finished
(both in %, on the same scored target samples), how many seeds finished or failed,
and the hyper-parameters each seed's selection rule chose. ``select == "oracle"`` rows
chose on the target labels: ``uses_target_labels`` marks them as an upper bound.
Timings are left out, so two runs of one config (sequential or on Ray) give identical
tables.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from transferkit.bench.storage import atomic_write

__all__ = ["TABLE_COLUMNS", "cell_rows", "summary_rows", "write_table"]

TABLE_COLUMNS = (
    "data",
    "task",
    "method",
    "setting",
    "grid",
    "select",
    "target_fraction",
    "target_per_class",
    "uses_target_labels",
    "n_seeds",
    "n_ok",
    "n_failed",
    "accuracy_mean",
    "accuracy_std",
    "macro_f1_mean",
    "macro_f1_std",
    "chosen_params",
)

_FLOATS = ("accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std")
_BUDGET = ("target_fraction", "target_per_class")


def _budget(key: dict[str, Any]) -> tuple[float | None, int | None]:
    """``(target_fraction, target_per_class)`` of a cell key (``None``: not that budget)."""
    budget = key.get("target_labels") or {}
    return budget.get("fraction"), budget.get("per_class")


def _stats(values: list[Any]) -> tuple[float | None, float | None]:
    """Mean and ``ddof=0`` std; ``None`` when there is no value or one is missing (a cell
    file written before the metric was recorded), never a mean over part of the seeds."""
    if not values or any(v is None for v in values):
        return None, None
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std())


def cell_rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per cell (its settings, budget, status, accuracy, macro-F1, chosen
    parameters); a cell file written before macro-F1 was recorded has ``macro_f1: None``."""
    rows = []
    for cell in cells:
        key = cell["key"]
        chosen = {k: v for k, v in cell.get("params", {}).items() if k not in key["params"]}
        fraction, per_class = _budget(key)
        rows.append(
            {
                "cell_id": cell["cell_id"],
                "data": key["data"],
                "task": key["task"],
                "method": key["method"],
                "setting": json.dumps(key["params"], sort_keys=True),
                "grid": "" if not key["grid"] else json.dumps(key["grid"], sort_keys=True),
                "select": key["select"],
                "target_fraction": fraction,
                "target_per_class": per_class,
                "seed": key["seed"],
                "status": cell["status"],
                "accuracy": cell.get("accuracy"),
                "macro_f1": cell.get("macro_f1"),
                "chosen_params": chosen,
                "error_type": cell.get("error_type"),
                "error": cell.get("error"),
            }
        )
    return rows


def summary_rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean +- std over seeds per (data, task, method, setting, grid, select, budget), in
    cell order.

    ``setting`` is the JSON of the fixed parameters, ``grid`` that of the candidates the
    selection rule chose among (empty for ``none``); ``target_fraction`` /
    ``target_per_class`` the labelled target budget (``None`` without one).
    ``macro_f1_mean``/``_std`` are ``None`` when a finished cell lacks the score (a cell
    file written before it was recorded; rerun with ``--no-resume`` to fill it).
    """
    from transferkit.bench.selection import SELECTORS

    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in cell_rows(cells):
        group = (
            row["data"],
            row["task"],
            row["method"],
            row["setting"],
            row["grid"],
            row["select"],
            row["target_fraction"],
            row["target_per_class"],
        )
        groups.setdefault(group, []).append(row)
    out = []
    for (data, task, method, setting, grid, select, fraction, per_class), rows in groups.items():
        ok = [r for r in rows if r["status"] == "ok"]
        acc_mean, acc_std = _stats([r["accuracy"] for r in ok])
        f1_mean, f1_std = _stats([r["macro_f1"] for r in ok])
        selector = SELECTORS.get(select)
        out.append(
            {
                "data": data,
                "task": task,
                "method": method,
                "setting": setting,
                "grid": grid,
                "select": select,
                "target_fraction": fraction,
                "target_per_class": per_class,
                "uses_target_labels": bool(selector and selector.uses_target_labels),
                "n_seeds": len(rows),
                "n_ok": len(ok),
                "n_failed": len(rows) - len(ok),
                "accuracy_mean": acc_mean,
                "accuracy_std": acc_std,
                "macro_f1_mean": f1_mean,
                "macro_f1_std": f1_std,
                "chosen_params": {str(r["seed"]): r["chosen_params"] for r in rows},
            }
        )
    return out


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TABLE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        numbers = {k: "" if row[k] is None else f"{row[k]:.4f}" for k in _FLOATS}
        budget = {k: "" if row[k] is None else row[k] for k in _BUDGET}
        writer.writerow(
            {
                **row,
                **numbers,
                **budget,
                "chosen_params": json.dumps(row["chosen_params"], sort_keys=True),
            }
        )
    return buffer.getvalue()


def write_table(
    output_dir: Path, cells: list[dict[str, Any]], meta: dict[str, Any]
) -> tuple[Path, Path]:
    """Write ``table.csv`` (summary rows) and ``table.json`` (meta, rows, cells)."""
    rows = summary_rows(cells)
    csv_path = Path(output_dir) / "table.csv"
    json_path = Path(output_dir) / "table.json"
    atomic_write(csv_path, _csv(rows))
    document = {**meta, "rows": rows, "cells": cell_rows(cells)}
    atomic_write(json_path, json.dumps(document, indent=1, default=repr) + "\n")
    return csv_path, json_path
