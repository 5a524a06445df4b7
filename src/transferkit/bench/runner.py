"""Run every (task, method, seed) cell of a suite and record accuracy, time and memory.

Results are written to ``<output>/<suite>.json`` (``<suite>.select-<name>.json`` when
a selector other than ``"none"`` is used) **atomically after every cell**, so an
interrupted run (Ctrl-C) always leaves a valid, partial file; ``resume=True`` then skips
the cells that already finished. A markdown report (same name, ``.md``) is rewritten
with the JSON; see :mod:`transferkit.bench.report`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_option, check_positive
from transferkit.bench._measure import measure
from transferkit.bench.registry import MethodSpec, get_method
from transferkit.bench.selection import (
    SelectorInput,
    candidate_params,
    get_selector,
    run_selector,
)
from transferkit.bench.suites import Suite, get_suite

__all__ = ["CellResult", "run_benchmark", "result_paths", "load_results", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
MEMORY_MODES = ("both", "rss", "tracemalloc", "none")


@dataclass
class CellResult:
    """The outcome of one (task, method, seed) cell.

    ``accuracy`` is the target accuracy in %; ``fit_seconds`` the wall time of ``fit``
    of the selected configuration (selection time is in ``selection_seconds``);
    memory figures are described in :mod:`transferkit.bench._measure`.
    """

    task: str
    method: str
    seed: int
    status: str
    accuracy: float | None = None
    fit_seconds: float | None = None
    predict_seconds: float | None = None
    peak_traced_bytes: int | None = None
    peak_rss_delta_bytes: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    finished_at: str = ""

    @property
    def key(self) -> tuple[str, str, int]:
        """``(task, method, seed)``."""
        return (self.task, self.method, self.seed)


def result_paths(
    suite: str, output_dir: str | os.PathLike, select: str = "none"
) -> tuple[Path, Path]:
    """Paths of the JSON and markdown result files of ``suite`` under ``output_dir``."""
    stem = suite if select == "none" else f"{suite}.select-{select}"
    out = Path(output_dir)
    return out / f"{stem}.json", out / f"{stem}.md"


def load_results(path: str | os.PathLike) -> dict[str, Any]:
    """Read a results JSON file written by :func:`run_benchmark`."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("schema") != SCHEMA_VERSION:
        raise TransferKitInputError(
            f"{path} has schema {data.get('schema')!r}; this transferkit reads schema "
            f"{SCHEMA_VERSION}. Re-run the benchmark without --resume."
        )
    return data


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    }


def _methods_info(methods: Iterable[MethodSpec], suite: str) -> dict[str, Any]:
    return {
        m.name: {
            "description": m.description,
            "param_grid": {k: [_jsonable(v) for v in vs] for k, vs in (m.param_grid or {}).items()},
            "published": list(m.published.get(suite, ())),
        }
        for m in methods
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return repr(value)


def _run_cell(
    suite: Suite,
    task_name: str,
    data: tuple[np.ndarray, ...],
    method: MethodSpec,
    seed: int,
    select: str,
    memory: str,
) -> CellResult:
    Xs, ys, Xt, yt = data
    selector = get_selector(select)
    selection: dict[str, Any] = {"selector": select}
    try:
        candidates = candidate_params(method)
        if select == "none" or candidates == [{}]:
            params: dict[str, Any] = {}
            if select != "none":
                selection["note"] = "method has no param_grid: defaults used"
        else:
            problem = SelectorInput(
                method=method,
                candidates=candidates,
                X=Xs,
                y=ys,
                X_target=Xt,
                y_target=yt if selector.uses_target_labels else None,
                random_state=seed,
            )
            t0 = time.perf_counter()
            params, info = run_selector(selector, problem)
            selection.update(
                seconds=time.perf_counter() - t0,
                n_candidates=len(candidates),
                uses_target_labels=selector.uses_target_labels,
                info=_jsonable(info),
            )
        estimator = method.build(seed, params)
        with measure(
            trace_memory=memory in ("both", "tracemalloc"), rss=memory in ("both", "rss")
        ) as m:
            t0 = time.perf_counter()
            estimator.fit(Xs, ys, X_target=Xt)
            fit_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            predicted = np.asarray(estimator.predict(Xt))
            predict_seconds = time.perf_counter() - t0
        if predicted.shape != yt.shape:
            raise TransferKitInputError(
                f"{method.name}.predict returned shape {predicted.shape}; expected {yt.shape}."
            )
        accuracy = 100.0 * float(np.mean(predicted == yt))
        return CellResult(
            task=task_name,
            method=method.name,
            seed=seed,
            status="ok",
            accuracy=accuracy,
            fit_seconds=fit_seconds,
            predict_seconds=predict_seconds,
            peak_traced_bytes=m.peak_traced_bytes,
            peak_rss_delta_bytes=m.peak_rss_delta_bytes,
            params=_jsonable(params),
            selection=selection,
            finished_at=_now(),
        )
    except Exception as exc:  # one broken method must not stop the whole benchmark
        return CellResult(
            task=task_name,
            method=method.name,
            seed=seed,
            status="error",
            selection=selection,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=_now(),
        )


def run_benchmark(
    suite: str | Suite,
    methods: Sequence[str],
    *,
    seeds: int | Sequence[int] = 1,
    output_dir: str | os.PathLike = "benchmarks/results",
    resume: bool = False,
    select: str = "none",
    memory: str = "both",
    tasks: Sequence[str] | None = None,
    verbose: bool = True,
    write_markdown: bool = True,
) -> dict[str, Any]:
    """Run ``methods`` on every task of ``suite`` for every seed and save the results.

    Parameters
    ----------
    suite : str or Suite
        Suite name (``"office_caltech_surf"``, ``"digits"``, ``"coil"``, ``"amazon"``).
    methods : sequence of str
        Registered method names (see :func:`transferkit.bench.list_methods`).
    seeds : int or sequence of int
        ``N`` means seeds ``0 .. N-1``; each seed is passed as ``random_state``.
    output_dir : path
        Folder of the JSON and markdown files.
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

    Returns
    -------
    dict
        The content of the JSON file.
    """
    suite_obj = get_suite(suite) if isinstance(suite, str) else suite
    check_option("memory", memory, MEMORY_MODES)
    get_selector(select)
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        check_positive("seeds", int(seeds), integer=True)
        seed_list = list(range(int(seeds)))
    else:
        seed_list = [int(s) for s in seeds]
        if not seed_list:
            raise TransferKitInputError("seeds is empty; pass a count (e.g. 3) or a list.")
    if isinstance(methods, str):
        methods = [m for m in methods.split(",") if m]
    if not methods:
        raise TransferKitInputError("no methods given; pass e.g. methods=['source_only'].")
    specs = [get_method(name) for name in methods]
    for spec in specs:
        if not spec.applies_to(suite_obj.name):
            raise TransferKitInputError(
                f"method {spec.name!r} is registered for suites {list(spec.suites or [])}, "
                f"not {suite_obj.name!r}."
            )
    task_list = list(suite_obj.tasks) if tasks is None else [suite_obj.task(name) for name in tasks]
    json_path, md_path = result_paths(suite_obj.name, output_dir, select)

    cells: dict[tuple[str, str, int], dict[str, Any]] = {}
    previous_methods: dict[str, Any] = {}
    created = _now()
    if json_path.exists():
        old = load_results(json_path)
        if old.get("suite") != suite_obj.name or old.get("select") != select:
            raise TransferKitInputError(
                f"{json_path} holds results of suite {old.get('suite')!r} with select="
                f"{old.get('select')!r}; choose another --output folder."
            )
        for cell in old.get("cells", []):
            cells[(cell["task"], cell["method"], int(cell["seed"]))] = cell
        previous_methods = old.get("methods", {})
        created = old.get("created", created)

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
        "methods": {**previous_methods, **_methods_info(specs, suite_obj.name)},
        "environment": _environment(),
        "created": created,
        "updated": created,
        "complete": False,
        "cells": [],
    }

    def save(complete: bool) -> None:
        order = {t.name: i for i, t in enumerate(suite_obj.tasks)}
        state["cells"] = sorted(
            cells.values(), key=lambda c: (c["method"], order.get(c["task"], 1e9), c["seed"])
        )
        state["updated"] = _now()
        state["complete"] = complete
        _atomic_write(json_path, json.dumps(state, indent=1, sort_keys=False) + "\n")
        if write_markdown:
            from transferkit.bench.report import render_markdown

            _atomic_write(md_path, render_markdown(state))

    todo = [
        (task, spec, seed)
        for task in task_list
        for spec in specs
        for seed in seed_list
        if not (resume and cells.get((task.name, spec.name, seed), {}).get("status") == "ok")
    ]
    save(complete=not todo and _all_ok(cells, task_list, specs, seed_list))
    if not todo:
        return state

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not verbose, transient=False) as bar:
        job = bar.add_task(f"{suite_obj.name}", total=len(todo))
        loaded: tuple[str, tuple[np.ndarray, ...]] | None = None
        for task, spec, seed in todo:
            bar.update(job, description=f"{suite_obj.name} {task.name} {spec.name} seed {seed}")
            if loaded is None or loaded[0] != task.name:
                loaded = (task.name, tuple(np.asarray(a) for a in suite_obj.load(task)))
            result = _run_cell(suite_obj, task.name, loaded[1], spec, seed, select, memory)
            cells[result.key] = asdict(result)
            save(complete=False)
            bar.advance(job)
    save(complete=_all_ok(cells, task_list, specs, seed_list))
    return state


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
