"""Execute cells one after the other or in parallel on Ray, reporting each as it ends.

:func:`execute` is the one loop of ``transferkit run`` and ``transferkit bench``: it
loads each task's data once, runs :func:`~transferkit.experiments.cell.run_cell` for
every cell and hands every result to ``on_result`` as soon as it exists (the caller
saves it at once, so an interrupted run keeps what finished). With ``backend="ray"``
the data of each task is read here, put in the object store once, and cells run as Ray
tasks (on any node of the cluster), at most ``max_parallel`` at a time; each result
says where it ran (``ran_on``). A cell whose worker process or node dies is retried
once, then recorded as failed with the Ray error; the others go on. The Ray
connection is left as it was found: a Ray already initialised in the process is used
and kept; one started here is shut down, and what ``ray.init`` changed in the process
(``PYTHONBREAKPOINT``, the SIGTERM handler) is put back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.experiments.cell import CellResult, now, run_cell
from transferkit.experiments.plan import Cell

__all__ = ["execute", "ray_is_running"]

OnResult = Callable[[Cell, CellResult], None]

#: How many times Ray reruns a cell whose worker process or node died.
_RETRIES = 1

#: Connection attempts to a Ray Client server (``ray://``) whose session server dies.
_CLIENT_ATTEMPTS = 3

#: What the Ray Client server answers when the session server it started has died.
_CLIENT_SERVER_DIED = ("Starting Ray client server failed", "Proxy failed to Connect to backend")


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
                cell.target_labels,
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
    target_labels: dict[str, Any] | None = None,
) -> CellResult:
    # One BLAS thread per cell: the cells are the parallelism.
    import os
    import socket

    import ray
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        result = run_cell(task_name, data, spec, seed, select, memory, params, target_labels)
    result.ran_on = {
        "node_id": ray.get_runtime_context().get_node_id(),
        "ip": ray.util.get_node_ip_address(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    return result


_SIGNALS = ("SIGINT", "SIGTERM")

_State = tuple[dict[str, str], dict[int, Any]]


def _process_state() -> _State:
    """What ``ray.init`` changes in the caller's process: environment, signal handlers."""
    import os
    import signal
    import threading

    handlers: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in _SIGNALS:
            number = getattr(signal, name, None)
            if number is not None:
                handlers[number] = signal.getsignal(number)
    return dict(os.environ), handlers


def _restore(before: _State, after: _State) -> None:
    """Undo what changed from ``before`` to ``after`` (``ray.init``'s changes:
    ``PYTHONBREAKPOINT``, the SIGTERM handler) where it is still as ``after`` left it."""
    import os
    import signal

    for name in set(before[0]) | set(after[0]):
        old, new = before[0].get(name), after[0].get(name)
        if old != new and os.environ.get(name) == new:
            if old is None:
                del os.environ[name]
            else:
                os.environ[name] = old
    for number, old in before[1].items():
        new = after[1].get(number)
        if old is not None and old is not new and signal.getsignal(number) is new:
            signal.signal(number, old)


def _host_port(address: str) -> tuple[str, int] | None:
    host, _, port = address.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None


def _is_local(host: str) -> bool:
    """Whether ``host`` is this machine (loopback, its name's or Ray's address of it)."""
    import ipaddress
    import socket

    import ray

    try:
        ip = socket.gethostbyname(host)
        own = set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        return False
    own.add(ray.util.get_node_ip_address())
    return ipaddress.ip_address(ip).is_loopback or ip in own


def _same_cluster(address: str, connected: str) -> bool:
    """Whether ``address`` (``host:port``) names the GCS at ``connected`` (``ip:port``)."""
    import socket

    wanted, current = _host_port(address), _host_port(connected)
    if wanted is None or current is None:
        return True  # not comparable (a ray:// client address): trust the caller
    if wanted[1] != current[1]:
        return False
    try:
        if socket.gethostbyname(wanted[0]) == socket.gethostbyname(current[0]):
            return True
    except OSError:
        return False
    return _is_local(wanted[0]) and _is_local(current[0])


def _connected_address(ray: Any) -> str | None:
    """The GCS address this process is connected to (``None`` if Ray cannot say, as
    through a Ray Client connection)."""
    try:
        address = ray.get_runtime_context().gcs_address
    except Exception:  # any failure only means "unknown"
        return None
    return address if isinstance(address, str) else None


def _connect(ray: Any, address: str, **options: Any) -> None:
    """``ray.init(address=address, **options)``; a ``ray://`` connection is retried when
    the head's Ray Client server failed to start its session.

    For each connection the head's Ray Client server forks a session server while its
    own gRPC threads run; the fork crashes that server now and then (gRPC's
    ``Check failed: next_worker->state == KICKED``, ray-project/ray#63202: 8 of 94
    connections with Ray 2.55 on a loaded machine, docs/experiments.md). The client gets
    ``ConnectionAbortedError`` ("Starting Ray client server failed") after about 40 s;
    a new connection gets a new session server, so up to ``_CLIENT_ATTEMPTS`` are made.
    A ``host:port`` address works only from a machine that runs a Ray node of the
    cluster (Ray connects a driver through its own machine's raylet): elsewhere Ray
    gives up after 60 s with "Failed to connect to Ray cluster", which becomes an error
    saying so and what to use instead. Any other error is raised at once.
    """
    import warnings

    attempts = _CLIENT_ATTEMPTS if address.startswith("ray://") else 1
    for attempt in range(1, attempts + 1):
        try:
            ray.init(address=address, **options)
            return
        except ConnectionAbortedError as exc:
            if attempts == 1 or not any(text in str(exc) for text in _CLIENT_SERVER_DIED):
                raise
            ray.shutdown()
            if attempt == attempts:
                raise ConnectionError(
                    f"address={address!r}: the Ray Client server of the head failed to "
                    f"start a session {attempts} times in a row (Ray's error: 'Starting "
                    "Ray client server failed'; the head's logs/ray_client_server_*.err "
                    "say why, a known crash is 'Check failed: next_worker->state == "
                    "KICKED', ray-project/ray#63202). Run the command again, or run "
                    "transferkit run on a node of the cluster with --address "
                    "HEAD_IP:6379 (no Ray Client server involved)"
                ) from exc
            warnings.warn(
                f"address={address!r}: the head's Ray Client server failed to start a "
                f"session (a known Ray crash, ray-project/ray#63202); connecting again "
                f"({attempt + 1} of {attempts}).",
                RuntimeWarning,
                stacklevel=2,
            )
        except ConnectionError as exc:
            if attempts > 1 or "No node info found" not in str(exc.__cause__):
                raise
            raise ConnectionError(
                f"address={address!r}: this machine runs no Ray node of that cluster, and "
                "Ray connects a program to a cluster through a node on the program's own "
                "machine. Run transferkit run on a machine of the cluster (one that ran "
                "`ray start`), or start a node here first (`ray start --address "
                f"{address}`), or go through the head's Ray Client server: --address "
                "ray://HEAD_IP:10001"  # no final stop: the CLI adds one to OSError texts
            ) from exc


def _start_ray(
    address: str | None, num_cpus: int | None, object_store_mb: int
) -> Callable[[], None] | None:
    """Connect to Ray (start a local instance unless ``address``).

    Returns ``None`` when Ray was already initialised in this process (it is used as
    it is and left running), else the function that disconnects and restores what
    ``ray.init`` changed in the process (environment variables, signal handlers).
    A local instance's workers get this process's ``sys.path`` as their ``PYTHONPATH``,
    so that they import the same transferkit and the modules that registered methods.
    """
    import os
    import sys
    import warnings

    from transferkit._optional import require

    ray = require("ray", extra="ray", purpose="transferkit run with backend ray")
    if ray.is_initialized():
        connected = _connected_address(ray) if address not in (None, "auto") else None
        if connected is not None and not _same_cluster(address, connected):
            raise TransferKitInputError(
                f"address={address!r}: this process is already connected to the Ray "
                f"cluster at {connected}, which the run would use. Call ray.shutdown() "
                "first, or leave address unset to run on the connected cluster."
            )
        return None
    before = _process_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # Ray's accelerator notice
            if address is not None:
                _connect(
                    ray,
                    address,
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
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
    except BaseException:
        after = _process_state()
        if ray.is_initialized():
            ray.shutdown()
        _restore(before, after)
        raise
    after = _process_state()

    def stop() -> None:
        try:
            ray.shutdown()
        finally:
            _restore(before, after)

    return stop


def _ray_error(cell: Cell, exc: BaseException) -> CellResult:
    """The record of a cell whose Ray task failed outside the method (worker died, ...)."""
    import re

    cause = getattr(exc, "cause", None)
    kind = type(cause).__name__ if isinstance(cause, BaseException) else type(exc).__name__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip()
    missing = re.search(r"No module named '([^']+)'", text)
    if missing:  # the worker could not unpickle the cell: a node lacks a module
        where = re.search(r"\(pid=\d+, ip=([^)\s]+)\)", text)
        node = f"the Ray node at {where.group(1)}" if where else "a Ray node"
        text = (
            f"{node} cannot import {missing.group(1)!r}, which this cell needs. Install "
            "the same transferkit, and the packages and modules of the methods "
            "(a module that registers a method too), on every node of the cluster; "
            "rerun to retry the failed cells."
        )
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
    stop = _start_ray(address, num_cpus, object_store_mb)
    import ray

    try:
        # A cell whose worker or node dies is retried once (on any node); a method's
        # exception is not (run_cell records it).
        remote = ray.remote(num_cpus=1, max_retries=_RETRIES)(_ray_cell)
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
                        cell.target_labels,
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
        if stop is not None:
            stop()


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
