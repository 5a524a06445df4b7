"""One JSON file per cell under ``OUTPUT/cells/``, in the benchmark results format.

Each file is a complete results document of :mod:`transferkit.bench.storage` (schema,
suite, select, ``cells`` with this one cell), so
:func:`transferkit.bench.load_results` reads it like a ``transferkit bench`` file. The
cell carries two more keys: ``cell_id`` (the hash of every setting, see
:mod:`transferkit.experiments.plan`) and ``key`` (those settings). Files are written
atomically as each cell finishes; a rerun reads them back and skips every cell whose
``cell_id`` finished with ``status == "ok"``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from transferkit.bench.storage import SCHEMA_VERSION, atomic_write, read_results
from transferkit.experiments.cell import CellResult, now
from transferkit.experiments.plan import Cell

__all__ = ["CELLS_DIR", "CellStore", "cell_file_name"]

#: Sub-folder of the output folder holding the per-cell files.
CELLS_DIR = "cells"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", text.replace("->", "-to-")).strip("_") or "x"


def cell_file_name(cell: Cell) -> str:
    """``<method>.<data>.<task>.<select>.seed<N>.<cell_id>.json`` (file-system safe)."""
    parts = [cell.method.name, cell.source.data, cell.source.task, cell.select]
    return ".".join(_slug(p) for p in parts) + f".seed{cell.seed}.{cell.cell_id}.json"


class CellStore:
    """Reads and writes the per-cell files of one output folder."""

    def __init__(self, output_dir: Path) -> None:
        self.folder = Path(output_dir) / CELLS_DIR

    def path(self, cell: Cell) -> Path:
        """Where the file of ``cell`` lives."""
        return self.folder / cell_file_name(cell)

    def finished(self, cells: Any = None) -> dict[str, dict[str, Any]]:
        """``cell_id -> cell`` of every cell file already in the folder."""
        out: dict[str, dict[str, Any]] = {}
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob("*.json")):
            data = read_results(path)  # a damaged file stops the run, naming it
            for cell in data["cells"]:
                if "cell_id" in cell:
                    out[cell["cell_id"]] = cell
        return out

    def save(self, cell: Cell, result: CellResult) -> tuple[dict[str, Any], Path]:
        """Write the file of ``cell`` and return its JSON cell and path."""
        from transferkit.bench.selection import get_selector

        record = {**result.to_dict(), "cell_id": cell.cell_id, "key": cell.key}
        selector = get_selector(cell.select)
        source = cell.source
        document = {
            "schema": SCHEMA_VERSION,
            "suite": source.data,
            "dataset": source.dataset,
            "protocol": source.protocol,
            "tasks": [source.task],
            "select": cell.select,
            "select_description": selector.description,
            "select_uses_target_labels": selector.uses_target_labels,
            "memory": cell.memory,
            "methods": {
                cell.method.name: {
                    "description": cell.method.spec.description,
                    "param_grid": record["key"]["grid"] or {},
                    "published": list(cell.method.spec.published.get(source.suite or "", ())),
                }
            },
            "created": result.finished_at or now(),
            "updated": result.finished_at or now(),
            "complete": result.status == "ok",
            "cells": [record],
        }
        path = self.path(cell)
        atomic_write(path, json.dumps(document, indent=1, default=repr) + "\n")
        return record, path
