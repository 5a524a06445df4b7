"""A real multi-node Ray cluster on this machine, for the ``--address`` tests.

Each node is its own ``ray start --block`` process (head: GCS, raylet, agents; worker:
raylet and agents), as a user starts them on separate machines. Everything a node
starts shares its fate: ``ray start --block`` kills its processes when it ends, and it
is itself killed by the kernel when the process that started it dies
(``PR_SET_PDEATHSIG``), so a crashed test run leaves no Ray behind. The cluster lives in
a private temporary folder (sessions, logs and the ``ray_current_cluster`` address
file), never in ``/tmp/ray``: a ``ray.init()`` elsewhere on the machine does not find
it. Every process carries a private token in its environment, which lets
:meth:`LoopbackCluster.processes` find all of them, by id, to check that none is left.
"""

from __future__ import annotations

import contextlib
import ctypes
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


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


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
        self.head: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def address(self) -> str:
        """``host:port`` of the head's GCS (what ``--address`` takes)."""
        return f"127.0.0.1:{self.port}"

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
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_head(self, *, num_cpus: int, resources: str, env: dict[str, str]) -> None:
        self.head = self._start(
            "head",
            [
                "--head",
                f"--port={self.port}",
                f"--temp-dir={self.folder}",
                f"--ray-client-server-port={_free_port()}",
                "--include-dashboard=false",
                f"--num-cpus={num_cpus}",
                "--object-store-memory=80000000",
                f"--resources={resources}",
            ],
            env,
        )

    def start_worker(
        self, name: str, *, num_cpus: int, resources: str, env: dict[str, str]
    ) -> None:
        self.workers[name] = self._start(
            name,
            [
                f"--address={self.address}",
                f"--num-cpus={num_cpus}",
                "--object-store-memory=80000000",
                f"--resources={resources}",
            ],
            env,
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
        """Stop every node (SIGTERM, then SIGKILL), then any process left; remove the folder."""
        nodes = [p for p in [*self.workers.values(), self.head] if p is not None]
        for process in nodes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in nodes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        deadline = time.monotonic() + 20
        while (left := self.processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in left:  # started by this cluster (its token), killed by id
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.workers.clear()
        self.head = None
        shutil.rmtree(self.folder, ignore_errors=True)
