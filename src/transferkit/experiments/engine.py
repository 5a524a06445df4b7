"""Execute cells one after the other or in parallel on Ray, reporting each as it ends.

:func:`execute` is the one loop of ``transferkit run`` and ``transferkit bench``: it
loads each task's data once, runs :func:`~transferkit.experiments.cell.run_cell` for
every cell and hands every result to ``on_result`` as soon as it exists (the caller
saves it at once, so an interrupted run keeps what finished). With ``backend="ray"``
the data of each task is put in the object store once and cells run as Ray tasks, at
most ``max_parallel`` at a time; a cell whose worker dies is recorded as failed with
the Ray error, and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from transferkit.experiments.cell import CellResult, now, run_cell
from transferkit.experiments.plan import Cell

__all__ = ["execute", "ray_is_running"]

OnResult = Callable[[Cell, CellResult], None]


def _progress(total: int, title: str, verbose: bool) -> Any:
    from rich.progress import Progress

    from transferkit._progress import progress_columns

    bar = Progress(*progress_columns(), disable=not verbose, transient=False)
    return bar


def _load(cell: Cell) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a) for a in cell.source.load())


def _sequential(cells: Sequence[Cell], on_result: OnResult, title: str, verbose: bool) -> None:
    with _progress(len(cells), title, verbose) as bar:
        job = bar.add_task(title, total=len(cells))
        loaded: tuple[tuple[str, str], tuple[np.ndarray, ...]] | None = None
        for cell in cells:
            bar.update(job, description=f"{title} {_describe(cell)}")
            where = (cell.source.data, cell.source.task)
            if loaded is None or loaded[0] != where:
                loaded = (where, _load(cell))
            result = run_cell(
                cell.source.task,
                loaded[1],
                cell.method.spec,
                cell.seed,
                cell.select,
                cell.memory,
                cell.method.params,
            )
            on_result(cell, result)
            bar.advance(job)


def _describe(cell: Cell) -> str:
    setting = "" if not cell.method.params else f" {cell.method.setting}"
    select = "" if cell.select == "none" else f" select={cell.select}"
    return f"{cell.source.task} {cell.method.name}{setting}{select} seed {cell.seed}"


def ray_is_running() -> bool:
    """Whether this process is connected to Ray (without importing Ray)."""
    import sys

    ray = sys.modules.get("ray")
    return bool(ray is not None and ray.is_initialized())


def _ray_cell(
    task_name: str,
    data: tuple[np.ndarray, ...],
    spec: Any,
    seed: int,
    select: str,
    memory: str,
    params: dict[str, Any],
) -> CellResult:
    # One BLAS thread per cell: the cells are the parallelism.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return run_cell(task_name, data, spec, seed, select, memory, params)


def _start_ray(address: str | None, num_cpus: int | None, object_store_mb: int) -> bool:
    """Connect to Ray (start a local instance unless ``address``); True if we started it.

    A local instance's workers get this process's ``sys.path`` as their ``PYTHONPATH``,
    so that they import the same transferkit and the modules that registered methods.
    """
    import os
    import sys
    import warnings

    from transferkit._optional import require

    ray = require("ray", extra="ray", purpose="transferkit run with backend ray")
    if ray.is_initialized():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Ray's accelerator-variable notice
        if address is not None:
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        else:
            path = os.pathsep.join(p for p in sys.path if p)
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                object_store_memory=object_store_mb * 1024 * 1024,
                log_to_driver=False,
                configure_logging=False,
                runtime_env={"env_vars": {"PYTHONPATH": path}},
            )
    return True


def _ray_error(cell: Cell, exc: BaseException) -> CellResult:
    """The record of a cell whose Ray task failed outside the method (worker died, ...)."""
    import re

    cause = getattr(exc, "cause", None)
    kind = type(cause).__name__ if isinstance(cause, BaseException) else type(exc).__name__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    return CellResult(
        task=cell.source.task,
        method=cell.method.name,
        seed=cell.seed,
        status="error",
        params=dict(cell.method.params),
        selection={"selector": cell.select},
        error=f"{kind}: {text}",
        error_type=kind,
        finished_at=now(),
    )


def _on_ray(
    cells: Sequence[Cell],
    on_result: OnResult,
    title: str,
    verbose: bool,
    *,
    address: str | None,
    max_parallel: int | None,
    num_cpus: int | None,
    object_store_mb: int,
) -> None:
    started = _start_ray(address, num_cpus, object_store_mb)
    import ray

    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(_ray_cell)
        limit = max_parallel or max(1, int(ray.available_resources().get("CPU", 1)))
        data_refs: dict[tuple[str, str], Any] = {}
        pending: dict[Any, Cell] = {}
        todo = list(cells)
        with _progress(len(cells), title, verbose) as bar:
            job = bar.add_task(title, total=len(cells))
            while todo or pending:
                while todo and len(pending) < limit:
                    cell = todo.pop(0)
                    where = (cell.source.data, cell.source.task)
                    if where not in data_refs:
                        data_refs[where] = ray.put(_load(cell))
                    ref = remote.remote(
                        cell.source.task,
                        data_refs[where],
                        cell.method.spec,
                        cell.seed,
                        cell.select,
                        cell.memory,
                        cell.method.params,
                    )
                    pending[ref] = cell
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    cell = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except Exception as exc:  # the worker died or could not unpickle
                        result = _ray_error(cell, exc)
                    on_result(cell, result)
                    bar.update(job, description=f"{title} {_describe(cell)}")
                    bar.advance(job)
    finally:
        if started:
            ray.shutdown()


def execute(
    cells: Sequence[Cell],
    on_result: OnResult,
    *,
    backend: str = "sequential",
    title: str = "run",
    verbose: bool = True,
    address: str | None = None,
    max_parallel: int | None = None,
    num_cpus: int | None = None,
    object_store_mb: int = 100,
) -> None:
    """Run ``cells`` and call ``on_result(cell, result)`` for each, as it finishes.

    ``backend="sequential"`` runs them in order in this process; ``"ray"`` connects to
    the Ray instance already running in this process, else to ``address``, else starts
    a local one (``num_cpus``, ``object_store_mb``; no dashboard) and shuts down what it
    started.
    """
    if not cells:
        return
    if backend == "ray":
        _on_ray(
            cells,
            on_result,
            title,
            verbose,
            address=address,
            max_parallel=max_parallel,
            num_cpus=num_cpus,
            object_store_mb=object_store_mb,
        )
    else:
        _sequential(cells, on_result, title, verbose)
