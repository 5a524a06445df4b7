"""Find and read the results files of a ``transferkit bench`` or ``transferkit run`` folder.

A results folder holds one JSON file per suite (``<suite>.json``, or
``<suite>.select-<name>.json``), each written by the benchmark runner with its per-cell
format (read by :func:`transferkit.bench.load_results`). Other JSON files (a tidy table,
a configuration) are skipped; a JSON file that cannot be parsed, a missing or empty
folder, and results without one finished cell are refused with one clear
:class:`~transferkit._validation.TransferKitInputError`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transferkit._validation import TransferKitInputError

__all__ = ["ResultsFile", "find_results"]

#: How deep below RESULTS results files are looked for (RESULTS/*.json, RESULTS/*/*.json).
MAX_DEPTH = 2
_HOW = (
    "give the --output folder of `transferkit bench` or `transferkit run` (or one of its "
    "JSON results files)"
)


@dataclass(frozen=True)
class ResultsFile:
    """One results file: its path and content (see ``transferkit.bench.load_results``)."""

    path: Path
    state: dict[str, Any]

    @property
    def finished(self) -> list[dict[str, Any]]:
        """The cells whose status is ``"ok"``."""
        return [c for c in self.state["cells"] if c.get("status") == "ok"]


def _candidates(root: Path) -> list[Path]:
    found: list[Path] = []
    for depth in range(1, MAX_DEPTH + 1):
        pattern = "/".join(["*"] * depth) + ".json"
        found += sorted(p for p in root.glob(pattern) if p.is_file())
    return found


def _looks_like_results(data: Any) -> bool:
    return isinstance(data, dict) and ("schema" in data or "cells" in data)


def find_results(results: str | os.PathLike[str]) -> list[ResultsFile]:
    """The results files under ``results`` (a folder) or ``results`` itself (a JSON file).

    Parameters
    ----------
    results : path
        A results folder of ``transferkit bench``/``transferkit run`` or one results file.

    Returns
    -------
    list of ResultsFile
        In path order; only files with at least one finished cell.

    Raises
    ------
    TransferKitInputError
        The path does not exist; the folder holds no results file; a JSON file is
        damaged (truncated, empty, not JSON) or is a results file of another schema; no
        cell finished.

    Examples
    --------
    >>> find_results("no/such/folder")
    Traceback (most recent call last):
    ...
    transferkit._validation.TransferKitInputError: RESULTS 'no/such/folder' does not exist; ...
    """
    from transferkit.bench.storage import read_results

    root = Path(results)
    if not root.exists():
        raise TransferKitInputError(f"RESULTS {str(root)!r} does not exist; {_HOW}.")
    paths = [root] if root.is_file() else _candidates(root)
    files: list[ResultsFile] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text)
        except (UnicodeDecodeError, json.JSONDecodeError):
            read_results(path)  # raises the runner's message: empty, truncated, not JSON
            raise  # pragma: no cover - read_results always raises on such a file
        if root.is_file() or _looks_like_results(data):
            files.append(ResultsFile(path, read_results(path)))
    if not files:
        raise TransferKitInputError(
            f"RESULTS {str(root)!r} holds no results file (looked for *.json with the "
            f"cells of a run, {MAX_DEPTH} folder levels deep); {_HOW}."
        )
    usable = [f for f in files if f.finished]
    if not usable:
        failed = sum(len(f.state["cells"]) for f in files)
        raise TransferKitInputError(
            f"RESULTS {str(root)!r} has no finished cell ({failed} cells, none with status "
            "'ok'); run the experiment (again) before making its report."
        )
    return usable
