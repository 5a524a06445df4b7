"""Find and read the results files of a ``transferkit bench`` or ``transferkit run`` folder.

A ``transferkit bench`` folder holds one JSON file per suite (``<suite>.json``, or
``<suite>.select-<name>.json``); a ``transferkit run`` folder holds ``config.yaml`` and one
JSON file per cell under ``cells/``. Both use the benchmark runner's per-cell format
(read by :func:`transferkit.bench.load_results`). The files of one data set and selector
are merged into one :class:`ResultsFile`; where a run swept a method's parameters, its
cells are labelled ``method[k=v, ...]`` so that settings are not averaged together.
Other JSON files (the tidy table, a configuration) are skipped; a JSON file that cannot
be parsed, a missing or empty folder, and results without one finished cell are refused
with one clear :class:`~transferkit._validation.TransferKitInputError`.
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
    run_dir: Path | None = None  # the ``transferkit run`` output folder, if it is one

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
    return isinstance(data, dict) and "schema" in data and "cells" in data


#: Sub-folder of a ``transferkit run`` output folder with one results file per cell.
RUN_CELLS = "cells"


def _label(cell: dict[str, Any], sweeps: set[str]) -> str:
    """``method``, with its sweep setting and its labelled target budget when it has one
    (``tradaboost[n_estimators=5, per_class=5]``): cells of different settings or budgets
    are never averaged together as if they were seeds."""
    key = cell.get("key") or {}
    name = str(key.get("method", cell["method"]))
    fixed = key.get("params") or {}
    parts = [f"{k}={v}" for k, v in sorted(fixed.items())] if name in sweeps else []
    parts += [f"{k}={v}" for k, v in sorted((key.get("target_labels") or {}).items())]
    return f"{name}[{', '.join(parts)}]" if parts else name


def _merge(files: list[ResultsFile], root: Path, run_dir: Path | None) -> list[ResultsFile]:
    """One ResultsFile per (suite, select); sweep settings of a method get their own label."""
    groups: dict[tuple[str, str], list[ResultsFile]] = {}
    for f in files:
        groups.setdefault((f.state["suite"], f.state.get("select", "none")), []).append(f)
    out = []
    for group in groups.values():
        if len(group) == 1 and run_dir is None:
            out.append(group[0])
            continue
        cells = [c for f in group for c in f.state["cells"]]
        settings: dict[str, set[str]] = {}
        for c in cells:
            key = c.get("key") or {}
            name = str(key.get("method", c["method"]))
            fixed = json.dumps(key.get("params") or {}, sort_keys=True)
            settings.setdefault(name, set()).add(fixed)
        sweeps = {name for name, seen in settings.items() if len(seen) > 1}
        state = dict(group[0].state)
        tasks: list[str] = []
        methods: dict[str, Any] = {}
        merged = []
        for f in group:
            tasks += [t for t in f.state["tasks"] if t not in tasks]
            for c in f.state["cells"]:
                label = _label(c, sweeps)
                info = f.state.get("methods", {}).get(c["method"], {})
                methods.setdefault(label, info)
                merged.append({**c, "method": label})
        state.update(
            tasks=tasks,
            methods=methods,
            cells=merged,
            complete=all(f.state.get("complete", False) for f in group),
            updated=max(str(f.state.get("updated", "")) for f in group),
        )
        path = run_dir if run_dir is not None else root
        out.append(ResultsFile(path, state, run_dir))
    return out


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
    run_dir = root if root.is_dir() and (root / RUN_CELLS).is_dir() else None
    if root.is_file():
        paths = [root]
    elif run_dir is not None:  # transferkit run: only the per-cell files
        paths = sorted(p for p in (root / RUN_CELLS).glob("*.json") if p.is_file())
    else:
        paths = _candidates(root)
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
    usable = [f for f in _merge(files, root, run_dir) if f.finished]
    if not usable:
        failed = sum(len(f.state["cells"]) for f in files)
        raise TransferKitInputError(
            f"RESULTS {str(root)!r} has no finished cell ({failed} cell"
            f"{'s' if failed != 1 else ''}, none with status 'ok'); run the experiment "
            "(again) before making its report."
        )
    return usable
