"""Run every (task, method, seed) cell of a suite and record accuracy, time and memory.

Results are written to ``<output>/<suite>.json`` (``<suite>.select-<name>.json`` when
a selector other than ``"none"`` is used) **atomically after every cell**, so an
interrupted run (Ctrl-C) always leaves a valid, partial file; ``resume=True`` then skips
the cells that already finished. A markdown report (same name, ``.md``) is rewritten
with the JSON (see :mod:`transferkit.bench.report`) and a plot (``.png``) is drawn at the
end of the run (see :mod:`transferkit.bench.plot`). Every write happens under a file
lock and merges the cells already in the file, so two runs writing the same folder keep
each other's cells (see :mod:`transferkit.bench.storage`).

``run_benchmark`` is the one-suite case of ``transferkit run``: it builds the equivalent
experiment config (:mod:`transferkit.experiments.config`) and runs its cells with the
same runner (:func:`transferkit.experiments.runner.run_plan`); only where the cells are
stored differs (one file per suite and selector here, one file per cell there).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_option
from transferkit.bench.registry import MethodSpec, get_method
from transferkit.bench.selection import get_selector
from transferkit.bench.storage import (
    SCHEMA_VERSION,
    atomic_write,
    check_not_committed,
    check_output_dir,
    read_results,
    results_lock,
)
from transferkit.bench.suites import SUITES, Suite, get_suite
from transferkit.experiments.cell import CellResult, jsonable, now

__all__ = [
    "DEFAULT_OUTPUT",
    "MAX_SEEDS",
    "CellResult",
    "run_benchmark",
    "result_paths",
    "load_results",
    "SCHEMA_VERSION",
]

MEMORY_MODES = ("both", "rss", "tracemalloc", "none")
#: Default results folder, relative to the current directory.
DEFAULT_OUTPUT = Path("transferkit_results")
#: Largest number of seeds one run accepts (``seeds=N`` runs seeds 0 .. N-1).
MAX_SEEDS = 1000
_MAX_SEED_VALUE = 2**32 - 1


def result_paths(
    suite: str, output_dir: str | os.PathLike, select: str = "none"
) -> tuple[Path, Path]:
    """Paths of the JSON and markdown result files of ``suite`` under ``output_dir``.

    The plot of a run is the JSON path with the suffix ``.png``.
    """
    stem = suite if select == "none" else f"{suite}.select-{select}"
    out = Path(output_dir)
    return out / f"{stem}.json", out / f"{stem}.md"


def load_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read a results JSON file written by :func:`run_benchmark`.

    A truncated, empty or foreign file raises
    :class:`~transferkit._validation.TransferKitInputError` with one clear message.
    """
    return read_results(path)


def _git_commit() -> str | None:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):  # pragma: no cover
        return None


def _thread_settings() -> dict[str, Any]:
    """The thread settings in force: environment, native thread pools, torch."""
    names = (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS",
        "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS",
    )
    out: dict[str, Any] = {"env": {k: os.environ[k] for k in names if k in os.environ}}
    try:
        from threadpoolctl import threadpool_info

        out["threadpools"] = [
            {
                k: info.get(k)
                for k in ("user_api", "internal_api", "num_threads", "version", "threading_layer")
                if k in info
            }
            for info in threadpool_info()
        ]
    except Exception as exc:  # pragma: no cover - threadpoolctl ships with scikit-learn
        out["threadpools"] = f"unavailable: {type(exc).__name__}"
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = {
            "num_threads": int(torch.get_num_threads()),
            "num_interop_threads": int(torch.get_num_interop_threads()),
        }
    return out


def _environment() -> dict[str, Any]:
    import scipy
    import sklearn

    import transferkit

    return {
        "transferkit": getattr(transferkit, "__version__", "unknown"),
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "threads_env": {
            k: os.environ[k]
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if k in os.environ
        },
        "threads": _thread_settings(),
    }


def _methods_info(methods: Iterable[MethodSpec], suite: str) -> dict[str, Any]:
    return {
        m.name: {
            "description": m.description,
            "param_grid": {k: [jsonable(v) for v in vs] for k, vs in (m.param_grid or {}).items()},
            "published": list(m.published.get(suite, ())),
        }
        for m in methods
    }


def _check_seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, bool):
        raise TransferKitInputError(f"seeds must be a count or a list of ints; got {seeds!r}.")
    if isinstance(seeds, int | np.integer):
        if not 1 <= int(seeds) <= MAX_SEEDS:
            raise TransferKitInputError(
                f"seeds={int(seeds)} is out of range; the allowed range is 1..{MAX_SEEDS} "
                "(seeds 0 .. N-1 are run)."
            )
        return list(range(int(seeds)))
    seed_list = [int(s) for s in seeds]
    if not seed_list:
        raise TransferKitInputError("seeds is empty; pass a count (e.g. 3) or a list.")
    if len(seed_list) > MAX_SEEDS:
        raise TransferKitInputError(
            f"{len(seed_list)} seeds is too many; at most {MAX_SEEDS} per run."
        )
    bad = [s for s in seed_list if not 0 <= s <= _MAX_SEED_VALUE]
    if bad:
        raise TransferKitInputError(
            f"seed {bad[0]} is out of range; seeds must lie in 0..{_MAX_SEED_VALUE}."
        )
    return seed_list


def _cell_key(cell: dict[str, Any]) -> tuple[str, str, int]:
    return (cell["task"], cell["method"], int(cell["seed"]))


def _read_matching(json_path: Path, suite: str, select: str) -> dict[str, Any] | None:
    """The results already in ``json_path`` (None if absent); refuse another suite's file."""
    if not json_path.exists():
        return None
    old = read_results(json_path)
    if old.get("suite") != suite or old.get("select", "none") != select:
        raise TransferKitInputError(
            f"{json_path} holds results of suite {old.get('suite')!r} with select="
            f"{old.get('select')!r}; choose another --output folder."
        )
    return old


def run_benchmark(
    suite: str | Suite,
    methods: Sequence[str],
    *,
    seeds: int | Sequence[int] = 1,
    output_dir: str | os.PathLike = DEFAULT_OUTPUT,
    resume: bool = False,
    select: str = "none",
    memory: str = "both",
    tasks: Sequence[str] | None = None,
    verbose: bool = True,
    write_markdown: bool = True,
    plot: bool = True,
    force: bool = False,
) -> dict[str, Any]:
    """Run ``methods`` on every task of ``suite`` for every seed and save the results.

    Parameters
    ----------
    suite : str or Suite
        Suite name (``"office_caltech_surf"``, ``"digits"``, ``"coil"``, ``"amazon"``).
    methods : sequence of str
        Registered method names (see :func:`transferkit.bench.list_methods`).
    seeds : int or sequence of int
        ``N`` (1 .. :data:`MAX_SEEDS`) means seeds ``0 .. N-1``; each seed is passed as
        ``random_state``.
    output_dir : path, default="transferkit_results"
        Folder of the JSON, markdown and plot files (created if needed; an unwritable
        folder is refused before any cell runs).
    resume : bool
        Skip cells already finished (``status == "ok"``) in the existing JSON file.
        Without it, the requested cells are recomputed; cells of other methods, tasks or
        seeds already in the file are kept either way.
    select : str
        Hyper-parameter selector: ``"none"`` (defaults), ``"oracle"`` (target labels,
        an upper bound) or a registered label-free selector.
    memory : {"both", "rss", "tracemalloc", "none"}
        Which peak-memory figures to record (tracemalloc slows Python-heavy code).
    tasks : sequence of str, optional
        A subset of the suite's tasks (default: all, in the suite's order).
    verbose : bool
        Show a progress bar (rich).
    write_markdown : bool
        Also write the markdown report.
    plot : bool
        Also draw ``<stem>.png`` (accuracy per task with the reference rows) at the end
        of the run; needs matplotlib (``transferkit[report]``), else a warning says so.
    force : bool
        Allow overwriting result files that are committed in a git checkout (e.g.
        ``benchmarks/results``); refused otherwise.

    Returns
    -------
    dict
        The content of the JSON file.

    Notes
    -----
    Every write takes an exclusive lock on ``.<stem>.json.lock`` in ``output_dir``,
    re-reads the file and merges this run's cells into it, so concurrent runs on the
    same folder keep all their cells. A damaged results file is never overwritten: the
    run stops with an error naming it.
    """
    suite_obj = get_suite(suite) if isinstance(suite, str) else suite
    check_option("memory", memory, MEMORY_MODES)
    get_selector(select)
    seed_list = _check_seeds(seeds)
    if isinstance(methods, str):
        methods = [m for m in methods.split(",") if m]
    if not methods:
        raise TransferKitInputError("no methods given; pass e.g. methods=['source_only'].")
    specs = [get_method(name) for name in methods]
    for spec in specs:
        if spec.multi_source and not suite_obj.multi_source:
            raise TransferKitInputError(
                f"method {spec.name!r} combines several source domains and suite "
                f"{suite_obj.name!r} has one source per task; run it on a multi-source "
                "suite (e.g. office_caltech_surf_multi, amazon_multi)."
            )
        if not spec.applies_to(suite_obj.name):
            raise TransferKitInputError(
                f"method {spec.name!r} is registered for suites {list(spec.suites or [])}, "
                f"not {suite_obj.name!r}."
            )
    task_list = list(suite_obj.tasks) if tasks is None else [suite_obj.task(name) for name in tasks]
    if SUITES.get(suite_obj.name) is not suite_obj:
        raise TransferKitInputError(
            f"suite {suite_obj.name!r} is not the registered suite of that name; register it "
            "first with transferkit.bench.register_suite(suite, replace=True)."
        )
    json_path, md_path = result_paths(suite_obj.name, output_dir, select)
    plot_path = json_path.with_suffix(".png")
    check_not_committed([json_path, md_path, plot_path], force=force)
    check_output_dir(json_path.parent)

    with results_lock(json_path):
        old = _read_matching(json_path, suite_obj.name, select)
    cells: dict[tuple[str, str, int], dict[str, Any]] = {}
    if old is not None:
        cells = {_cell_key(c): c for c in old["cells"]}
    mine: dict[tuple[str, str, int], dict[str, Any]] = {}

    selector = get_selector(select)
    state: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "suite": suite_obj.name,
        "dataset": suite_obj.dataset,
        "protocol": suite_obj.protocol,
        "tasks": [t.name for t in suite_obj.tasks],
        "select": select,
        "select_description": selector.description,
        "select_uses_target_labels": selector.uses_target_labels,
        "memory": memory,
        "methods": _methods_info(specs, suite_obj.name),
        "environment": _environment(),
        "created": now(),
        "updated": now(),
        "complete": False,
        "cells": [],
    }

    def save(final: bool) -> None:
        # Under the lock: re-read what other runs wrote, add this run's cells, write.
        with results_lock(json_path):
            current = _read_matching(json_path, suite_obj.name, select)
            merged: dict[tuple[str, str, int], dict[str, Any]] = {}
            methods_info: dict[str, Any] = {}
            if current is not None:
                merged = {_cell_key(c): c for c in current["cells"]}
                methods_info = dict(current.get("methods", {}))
                state["created"] = current.get("created", state["created"])
            merged.update(mine)
            cells.clear()
            cells.update(merged)
            state["methods"] = {**methods_info, **_methods_info(specs, suite_obj.name)}
            order = {t.name: i for i, t in enumerate(suite_obj.tasks)}
            state["cells"] = sorted(
                merged.values(), key=lambda c: (c["method"], order.get(c["task"], 1e9), c["seed"])
            )
            state["updated"] = now()
            state["complete"] = final and _all_ok(merged, task_list, specs, seed_list)
            atomic_write(json_path, json.dumps(state, indent=1, sort_keys=False) + "\n")
            if write_markdown:
                from transferkit.bench.report import render_markdown

                atomic_write(md_path, render_markdown(state))
            if final and plot:
                _draw(state, plot_path)

    from transferkit.experiments.config import parse_config
    from transferkit.experiments.plan import make_plan
    from transferkit.experiments.runner import run_plan

    config = parse_config(
        {
            "name": suite_obj.name,
            "data": [{"suite": suite_obj.name, "tasks": [t.name for t in task_list]}],
            "methods": list(methods),
            "selection": [select],
            "seeds": seed_list,
            "memory": memory,
        },
        source="the benchmark settings",
    )
    plan = make_plan(config)
    store = _SuiteFileStore(cells, mine, lambda: save(final=False), json_path)
    finished = store.finished(plan.cells)
    if resume and all(finished.get(c.cell_id, {}).get("status") == "ok" for c in plan.cells):
        save(final=True)
        return state
    save(final=False)
    run_plan(plan, store, {}, resume=resume, verbose=verbose)
    save(final=True)
    return state


class _SuiteFileStore:
    """The cells of one suite file (``<suite>[.select-<name>].json``) as a result store.

    A cell is found by ``(task, method, seed)`` (the file holds one selector); saving one
    merges it into the file under the lock and rewrites the markdown report.
    """

    def __init__(
        self,
        cells: dict[tuple[str, str, int], dict[str, Any]],
        mine: dict[tuple[str, str, int], dict[str, Any]],
        write: Any,
        json_path: Path,
    ) -> None:
        self.cells, self.mine, self.write, self.json_path = cells, mine, write, json_path

    def finished(self, cells: Sequence[Any]) -> dict[str, dict[str, Any]]:
        out = {}
        for cell in cells:
            stored = self.cells.get((cell.source.task, cell.method.name, cell.seed))
            if stored is not None:
                out[cell.cell_id] = stored
        return out

    def save(self, cell: Any, result: CellResult) -> tuple[dict[str, Any], Path]:
        record = result.to_dict()
        self.mine[result.key] = record
        self.write()
        return record, self.json_path


def _draw(state: dict[str, Any], path: Path) -> None:
    try:
        from transferkit.bench.plot import plot_results

        plot_results(state, path)
    except ImportError as exc:
        warnings.warn(f"no plot written: {exc}", RuntimeWarning, stacklevel=3)


def _all_ok(
    cells: dict[tuple[str, str, int], dict[str, Any]],
    tasks: Sequence[Any],
    specs: Sequence[MethodSpec],
    seeds: Sequence[int],
) -> bool:
    return all(
        cells.get((t.name, s.name, seed), {}).get("status") == "ok"
        for t in tasks
        for s in specs
        for seed in seeds
    )
