"""The tidy result table of a run: one row per (data, task, method, setting, grid, select).

Each row holds the mean and standard deviation (``ddof=0``, as ``transferkit bench``'s
reports) of the target accuracy over the seeds that finished, how many seeds finished
or failed, and the hyper-parameters each seed's selection rule chose. ``select ==
"oracle"`` rows chose on the target labels: ``uses_target_labels`` marks them as an
upper bound. Timings are left out, so two runs of one config (sequential or on Ray)
give identical tables.
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
    "uses_target_labels",
    "n_seeds",
    "n_ok",
    "n_failed",
    "accuracy_mean",
    "accuracy_std",
    "chosen_params",
)


def cell_rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per cell (its settings, status, accuracy, chosen parameters)."""
    rows = []
    for cell in cells:
        key = cell["key"]
        chosen = {k: v for k, v in cell.get("params", {}).items() if k not in key["params"]}
        rows.append(
            {
                "cell_id": cell["cell_id"],
                "data": key["data"],
                "task": key["task"],
                "method": key["method"],
                "setting": json.dumps(key["params"], sort_keys=True),
                "grid": "" if not key["grid"] else json.dumps(key["grid"], sort_keys=True),
                "select": key["select"],
                "seed": key["seed"],
                "status": cell["status"],
                "accuracy": cell.get("accuracy"),
                "chosen_params": chosen,
                "error_type": cell.get("error_type"),
                "error": cell.get("error"),
            }
        )
    return rows


def summary_rows(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean +- std over seeds per (data, task, method, setting, grid, select), in cell order.

    ``setting`` is the JSON of the fixed parameters, ``grid`` that of the candidates the
    selection rule chose among (empty for ``none``).
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
        )
        groups.setdefault(group, []).append(row)
    out = []
    for (data, task, method, setting, grid, select), rows in groups.items():
        ok = [r for r in rows if r["status"] == "ok"]
        acc = np.array([r["accuracy"] for r in ok], dtype=float)
        selector = SELECTORS.get(select)
        out.append(
            {
                "data": data,
                "task": task,
                "method": method,
                "setting": setting,
                "grid": grid,
                "select": select,
                "uses_target_labels": bool(selector and selector.uses_target_labels),
                "n_seeds": len(rows),
                "n_ok": len(ok),
                "n_failed": len(rows) - len(ok),
                "accuracy_mean": float(acc.mean()) if len(acc) else None,
                "accuracy_std": float(acc.std()) if len(acc) else None,
                "chosen_params": {str(r["seed"]): r["chosen_params"] for r in rows},
            }
        )
    return out


def _csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=TABLE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "accuracy_mean": ""
                if row["accuracy_mean"] is None
                else f"{row['accuracy_mean']:.4f}",
                "accuracy_std": "" if row["accuracy_std"] is None else f"{row['accuracy_std']:.4f}",
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
