"""A real multi-node Ray cluster on this machine, for the ``--address`` tests.

Each node is its own ``ray start --block`` process group (head: GCS, raylet, agents;
worker: raylet and agents), as a user starts them on separate machines. The cluster
lives in a private temporary folder (sessions, logs and the ``ray_current_cluster``
address file), never in ``/tmp/ray``: a ``ray.init()`` elsewhere on the machine does
not find it. Every process carries a private token in its environment, by which
:meth:`LoopbackCluster.processes` finds them all.

Cleanup does not depend on the test process ending well: a small reaper process,
started first in its own session, holds a pipe from the test process; when the pipe
closes (:meth:`LoopbackCluster.stop`, or the test process dying however it dies) it
SIGKILLs every node's process group, then, by id, every process still carrying the
token (Ray's agents outlive a killed ``ray start``), and removes the folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

__all__ = ["LoopbackCluster"]

_TOKEN_VAR = "TRANSFERKIT_TEST_RAY_CLUSTER"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_REAPER = r"""
import os, shutil, signal, sys, time
needle = sys.argv[1].encode()
groups = [int(line) for line in sys.stdin]  # until the test process closes the pipe
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
def left():
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as fh:
                    if needle in fh.read():
                        out.append(int(entry))
            except OSError:
                pass
    return out
for _ in range(100):
    pids = left()
    if not pids:
        break
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    time.sleep(0.1)
shutil.rmtree(sys.argv[2], ignore_errors=True)
"""


class LoopbackCluster:
    """A Ray head and worker nodes, each a ``ray start --block`` process group.

    Parameters
    ----------
    env : dict
        Extra environment of every node (and so of every Ray worker process).
    health_check_ms : int
        How often the head checks the nodes; a killed node is declared dead after
        three missed checks.
    """

    def __init__(self, env: dict[str, str], health_check_ms: int = 500) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="tkray-", dir="/tmp"))  # short: sockets
        self.token = uuid.uuid4().hex
        self.env = {
            **os.environ,
            **env,
            _TOKEN_VAR: self.token,
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_health_check_period_ms": str(health_check_ms),
            "RAY_health_check_timeout_ms": str(2 * health_check_ms),
            "RAY_health_check_failure_threshold": "3",
        }
        self.env.pop("RAY_ADDRESS", None)
        self.port = _free_port()
        self.client_port = _free_port()
        self.head: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, f"{_TOKEN_VAR}={self.token}", str(self.folder)],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    @property
    def address(self) -> str:
        """``host:port`` of the head's GCS (what ``--address`` takes)."""
        return f"127.0.0.1:{self.port}"

    @property
    def client_address(self) -> str:
        """``ray://host:port`` of the head's Ray Client server."""
        return f"ray://127.0.0.1:{self.client_port}"

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "ray.scripts.scripts",
            "start",
            "--block",
            "--disable-usage-stats",
            "--dashboard-agent-listen-port=0",
            "--include-log-monitor=false",
            *args,
        ]
        log = open(self.folder / f"{name}.log", "wb")  # the child keeps its own copy
        try:
            return subprocess.Popen(
                command,
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()

    def _register(self, process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        assert self._reaper.stdin is not None
        self._reaper.stdin.write(f"{process.pid}\n".encode())  # its group: start_new_session
        self._reaper.stdin.flush()
        return process

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_head(self, *, num_cpus: int, resources: str, env: dict[str, str]) -> None:
        self.head = self._register(
            self._start(
                "head",
                [
                    "--head",
                    f"--port={self.port}",
                    f"--temp-dir={self.folder}",
                    f"--ray-client-server-port={self.client_port}",
                    "--no-monitor",  # no autoscaler
                    "--include-dashboard=false",
                    f"--num-cpus={num_cpus}",
                    "--object-store-memory=80000000",
                    f"--resources={resources}",
                ],
                env,
            )
        )

    def start_worker(
        self, name: str, *, num_cpus: int, resources: str, env: dict[str, str]
    ) -> None:
        self.workers[name] = self._register(
            self._start(
                name,
                [
                    f"--address={self.address}",
                    f"--num-cpus={num_cpus}",
                    "--object-store-memory=80000000",
                    f"--resources={resources}",
                ],
                env,
            )
        )

    def wait_for_nodes(self, count: int, timeout: float = 120.0) -> list[dict]:
        """Wait until ``count`` nodes are alive; return them (``ray.nodes()`` entries).

        Reads the GCS's node table without connecting this process to Ray.
        """
        from ray._private.state import GlobalState
        from ray._raylet import GcsClientOptions

        deadline = time.monotonic() + timeout
        while not (self.folder / "ray_current_cluster").exists():  # the GCS is up
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"no Ray head after {timeout} s:\n{self.log('head')}")
            time.sleep(0.2)
        state = GlobalState()
        options = GcsClientOptions.create(
            self.address, None, allow_cluster_id_nil=True, fetch_cluster_id_if_nil=False
        )
        state._initialize_global_state(options)
        try:
            while True:
                self._check_alive()
                nodes = [n for n in state.node_table() if n["Alive"]]
                if len(nodes) >= count:
                    return nodes
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(nodes)} of {count} Ray nodes alive after {timeout} s")
                time.sleep(0.2)
        finally:
            state.disconnect()

    def _check_alive(self) -> None:
        for name, process in [("head", self.head), *self.workers.items()]:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"Ray node {name} exited:\n{self.log(name)}")

    def kill(self, name: str) -> None:
        """SIGKILL node ``name`` (its ``ray start`` and every process of its group)."""
        process = self.workers.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def processes(self) -> list[int]:
        """Ids of the live processes that this cluster started (found by its token)."""
        needle = f"{_TOKEN_VAR}={self.token}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if needle in (entry / "environ").read_bytes():
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
        return found

    def stop(self) -> None:
        """Kill every node (the reaper does it when its pipe closes); remove the folder.

        (``ray start --block`` would stop gracefully on SIGTERM, but takes tens of
        seconds on a busy machine; the cluster holds nothing worth keeping.)
        """
        if self._reaper.stdin is not None and not self._reaper.stdin.closed:
            self._reaper.stdin.close()
        self._reaper.wait(timeout=60)
        for process in [*self.workers.values(), self.head]:
            if process is not None:
                process.wait(timeout=30)
        self.workers.clear()
        self.head = None
        shutil.rmtree(self.folder, ignore_errors=True)
