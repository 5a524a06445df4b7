"""``--address`` on a Ray cluster whose worker node is another "host" (Linux namespaces).

The head host runs the Ray head and ``transferkit run``; the worker host runs a Ray
worker node. Each host is its own PID, network, UTS and mount namespace
(:mod:`experiments._netns_hosts`): its own network stack, reached only over a veth pair
(head ``10.77.0.1``, worker ``10.77.0.2``), its own hostname, its own processes. The
worker host also has its own ``/tmp`` and ``/dev/shm``, and does not see the checkout,
the editable install's sources or the data home (empty read-only mounts over them); its
``TRANSFERKIT_DATA`` is an empty folder of its own, and its ``PYTHONPATH`` a folder of its
own ``/tmp`` into which the test copies transferkit (as one would install it on that
machine). The one folder it shares with the head host is the test method's marker
folder (:mod:`experiments._cluster_methods`: it makes the first cells wait until both
nodes have started one, so that cells land on both hosts). It is one kernel on one
machine: CPUs, memory, the Python executable and the installed packages are shared.

The run, from the first ``transferkit run --address`` to the last:

1. The worker host lacks transferkit: the cells it takes fail, each recorded with an
   error naming the node's address and the fix; the head's cells finish.
2. transferkit is copied to the worker host and its Ray node restarted; the same
   command reruns only the failed cells, and ``table.csv`` is the sequential one.
3. A fresh run puts cells on both hosts (``ran_on``: both hostnames and addresses) and
   writes the sequential ``table.csv``; nothing was read from the worker's data home.

Needs root (``unshare``, ``nsenter``, ``ip``); when the namespaces are refused the test
fails with the reason (under ``CI=true`` too), locally it is skipped with it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import transferkit
from transferkit.experiments import run_experiment
from transferkit.experiments.engine import ray_is_running

from . import _cluster_methods
from ._netns_hosts import HostNetwork, NamespaceError

pytestmark = pytest.mark.slow  # two Ray nodes in namespaces: about a minute

TESTS = Path(__file__).resolve().parents[1]
SRC = Path(transferkit.__file__).resolve().parents[1]
GCS_PORT = 6379  # each host has its own network stack: fixed ports cannot clash
METHOD = "cluster_hosts_meet"

_WAIT_NODES = r"""
import json, sys, time
from ray._private.state import GlobalState
from ray._raylet import GcsClientOptions
address, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
dead = set(sys.argv[4:])  # ids of nodes killed before: wait for their successors
deadline = time.monotonic() + timeout
state, nodes, error = None, [], ""
while time.monotonic() < deadline:
    try:
        if state is None:
            state = GlobalState()
            state._initialize_global_state(GcsClientOptions.create(
                address, None, allow_cluster_id_nil=True, fetch_cluster_id_if_nil=False))
        nodes = [n for n in state.node_table() if n["Alive"] and n["NodeID"] not in dead]
        if len(nodes) >= count:
            print(json.dumps([{"ip": n["NodeManagerAddress"], "id": n["NodeID"]} for n in nodes]))
            sys.exit(0)
    except Exception as exc:
        state, error = None, repr(exc)
    time.sleep(0.3)
sys.exit(f"{len(nodes)} of {count} nodes alive after {timeout} s {error}")
"""

_DRIVER = r"""
import sys
from experiments import _cluster_methods
from transferkit.bench import register_method
name, markers, mode, nodes = sys.argv[1:5]
register_method(name, _cluster_methods.factory(markers, mode, nodes.split(",")),
                description="1-NN source only, coordinated across hosts", replace=True)
from transferkit.cli import app
sys.argv = ["transferkit", *sys.argv[5:]]
app()
"""


def _ray_start(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ray.scripts.scripts",
        "start",
        "--block",
        "--disable-usage-stats",
        "--include-log-monitor=false",
        "--dashboard-agent-listen-port=0",
        "--num-cpus=1",
        "--object-store-memory=80000000",
        *args,
    ]


class HostsCluster:
    """A Ray head on host ``head`` and a Ray worker node on host ``worker``."""

    def __init__(self, markers: Path, data_home: Path, *, installed: bool = False) -> None:
        self.installed = installed
        self.markers = markers
        self.net = HostNetwork()
        self.data_home = data_home
        health = {  # a killed node is declared dead after three missed checks of 0.5 s
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_health_check_period_ms": "500",
            "RAY_health_check_timeout_ms": "1000",
            "RAY_health_check_failure_threshold": "3",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
        self.head_env = {
            **base,
            **health,
            "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]),
            "TRANSFERKIT_DATA": str(data_home),
            _cluster_methods.NODE_VAR: "head",
        }
        # what a fresh login on the other machine has: no variable of this one
        self.worker_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
            **health,
            "PYTHONPATH": "/tmp/site",
            "TRANSFERKIT_DATA": "/tmp/data",
            _cluster_methods.NODE_VAR: "worker",
        }
        try:
            self._start(markers, data_home)
        except BaseException:
            self.net.close()
            raise

    def _start(self, markers: Path, data_home: Path) -> None:
        # The Python environment stays visible to the worker host, also where it lies
        # under /tmp (which the worker host replaces by its own).
        python = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
        shared = (markers, *sorted(p for p in python if p.is_relative_to("/tmp")))
        hidden = {SRC, TESTS, data_home.resolve()}
        hidden |= {Path(p).resolve() for p in _default_import_roots()}
        self.head = self.net.add("head")
        self.worker = self.net.add(
            "worker", private_tmp=True, hide=tuple(sorted(hidden)), share=shared
        )
        assert self.worker.tmp is not None
        (self.worker.tmp / "data").mkdir()
        (self.worker.tmp / "site").mkdir()
        if self.installed:
            self._copy_to_worker()
        self.address = f"{self.head.ip}:{GCS_PORT}"
        self.head_log = self.net.folder / "head.log"
        self.worker_log = self.net.folder / "worker.log"
        self.head.popen(
            _ray_start(
                "--head",
                f"--node-ip-address={self.head.ip}",
                f"--port={GCS_PORT}",
                f"--temp-dir={self.net.folder / 'ray'}",
                "--no-monitor",
                "--include-dashboard=false",
            ),
            env=self.head_env,
            log=self.head_log,
        )
        self.start_worker()

    def start_worker(self) -> None:
        self.worker.popen(
            _ray_start(f"--address={self.address}", f"--node-ip-address={self.worker.ip}"),
            env=self.worker_env,
            log=self.worker_log,
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in (self.head_log, self.worker_log)
            if p.exists()
        )

    def wait_for_nodes(self, timeout: float = 150.0, dead: tuple[str, ...] = ()) -> list[dict]:
        """Wait (from the head host) until two nodes not in ``dead`` are alive; their
        ``ip`` and ``id``."""
        command = [sys.executable, "-c", _WAIT_NODES, self.address, "2", str(timeout), *dead]
        done = subprocess.run(
            self.head.command(command),
            env=self.head_env,
            capture_output=True,
            text=True,
            timeout=timeout + 30,
        )
        if done.returncode:
            raise RuntimeError(f"{done.stderr}\n{self.logs()}")
        return json.loads(done.stdout)

    def _copy_to_worker(self) -> None:
        """Copy transferkit and the test methods to the worker host's ``/tmp/site``."""
        site = self.worker.tmp / "site"  # type: ignore[operator]
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(SRC / "transferkit", site / "transferkit", ignore=ignore)
        (site / "experiments").mkdir()
        for name in ("__init__.py", "_cluster_methods.py"):
            shutil.copy(TESTS / "experiments" / name, site / "experiments" / name)

    def install_on_worker(self) -> None:
        """Copy transferkit and the test methods to the worker host; restart its node."""
        self._copy_to_worker()
        self.worker.kill_processes()
        time.sleep(3)  # the head declares the old node dead (3 missed checks of 0.5 s)
        self.start_worker()

    def on_worker(self, code: str) -> subprocess.CompletedProcess[str]:
        """Run Python ``code`` on the worker host, with its node's environment."""
        return subprocess.run(
            self.worker.command([sys.executable, "-c", code]),
            env=self.worker_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def transferkit_run(self, *args: str, mode: str) -> subprocess.CompletedProcess[str]:
        """``transferkit run ARGS --address HEAD`` on the head host, with ``METHOD``."""
        command = [sys.executable, "-c", _DRIVER, METHOD, str(self.markers), mode]
        command += ["head,worker", "run", *args, "--address", self.address, "--no-progress"]
        return subprocess.run(
            self.head.command(command),
            env=self.head_env,
            capture_output=True,
            text=True,
            timeout=240,
        )

    def close(self) -> None:
        self.net.close()


def _default_import_roots() -> list[str]:
    """Folders from which this Python imports transferkit without ``PYTHONPATH``."""
    code = "import transferkit, pathlib; print(pathlib.Path(transferkit.__file__).parents[1])"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/"
    )
    return [done.stdout.strip()] if done.returncode == 0 else []


@pytest.fixture(scope="module")
def hosts(tmp_path_factory, data_home):
    markers = tmp_path_factory.mktemp("host_markers")
    try:
        cluster = HostsCluster(markers, data_home)
    except NamespaceError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the separate-host Ray test cannot run here: {exc}")
        pytest.skip(f"no separate hosts: {exc}")
    try:
        cluster.nodes = cluster.wait_for_nodes()  # type: ignore[attr-defined]
        yield cluster
    finally:
        processes = cluster.head.processes() + cluster.worker.processes()
        cluster.close()
    assert processes, "the hosts had no processes"
    assert not cluster.net.folder.exists()
    assert [pid for pid in processes if _alive(pid)] == []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_refused_namespaces_say_why():
    """Without CAP_SYS_ADMIN (dropped from the bounding set) the hosts cannot be made."""
    code = textwrap.dedent("""
        from _netns_hosts import HostNetwork, NamespaceError
        net = HostNetwork()
        try:
            net.add("x")
        except NamespaceError as exc:
            print(exc)
        finally:
            net.close()
        """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run(
        ["setpriv", "--bounding-set=-sys_admin", sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "cannot make host x: `unshare` of PID, network, UTS and mount namespaces" in done.stdout
    assert "needs root with CAP_SYS_ADMIN" in done.stdout
    assert "Operation not permitted" in done.stdout


def _cells(folder: Path) -> list[dict]:
    return [
        json.loads(p.read_text())["cells"][0] for p in sorted((folder / "cells").glob("*.json"))
    ]


def test_worker_host_lacks_transferkit_then_gets_it(tmp_path, hosts):
    # the worker host sees neither this checkout, nor the data, nor this /tmp
    probe = hosts.on_worker(
        textwrap.dedent(f"""
        import os, socket
        print(socket.gethostname())
        data = {str(hosts.data_home)!r}
        print(
            os.path.exists({str(SRC / "transferkit")!r}),
            sorted(os.listdir(data)) if os.path.isdir(data) else [],
        )
        print(os.path.exists({str(tmp_path)!r}), os.environ["TRANSFERKIT_DATA"])
        import transferkit
        """)
    )
    lines = probe.stdout.splitlines()
    assert lines == ["tk-worker", "False []", "False /tmp/data"], probe.stdout + probe.stderr
    assert "No module named 'transferkit'" in probe.stderr
    assert sorted(n["ip"] for n in hosts.nodes) == ["10.77.0.1", "10.77.0.2"]

    config = tmp_path / "hosts.yaml"
    config.write_text(
        "name: hosts\n"
        "data: [{suite: digits, tasks: [U->M]}]\n"
        f"methods: [{{name: {METHOD}, sweep: {{estimator__n_neighbors: [1, 3, 5, 9]}}}}]\n"
        "memory: none\n"
    )
    from transferkit.bench import register_method, unregister_method

    mode = "meet_within:8"  # the first cells wait (8 s at most) for a cell on each host
    register_method(
        METHOD,
        _cluster_methods.factory(hosts.markers, mode, ("head", "worker")),
        description="1-NN source only, coordinated across hosts",
        replace=True,
    )
    try:
        sequential = run_experiment(config, output_dir=tmp_path / "seq", verbose=False)
    finally:
        unregister_method(METHOD)
    assert sequential.n_failed == 0 and sequential.n_cells == 4
    expected = (tmp_path / "seq" / "table.csv").read_text()

    # 1. the worker host lacks transferkit: its cells fail, named; the head's finish
    first = hosts.transferkit_run(str(config), "--output", str(tmp_path / "a"), mode=mode)
    assert first.returncode == 1, first.stdout + first.stderr + hosts.logs()
    cells = _cells(tmp_path / "a")
    failed = [c for c in cells if c["status"] != "ok"]
    assert failed, first.stderr
    for cell in failed:
        assert "the Ray node at 10.77.0.2 cannot import" in cell["error"], cell["error"]
        assert "on every node of the cluster; rerun to retry" in cell["error"]
    assert {c["ran_on"]["host"] for c in cells if c["status"] == "ok"} == {"tk-head"}
    assert "the Ray node at 10.77.0.2 cannot import" in first.stderr

    # 2. installed on the worker host: the same command reruns the failed cells only
    hosts.install_on_worker()
    old_worker = tuple(n["id"] for n in hosts.nodes if n["ip"] == hosts.worker.ip)
    hosts.nodes = hosts.wait_for_nodes(dead=old_worker)
    check = hosts.on_worker("import transferkit; print(transferkit.__file__)")
    assert check.stdout.strip() == "/tmp/site/transferkit/__init__.py", check.stderr
    second = hosts.transferkit_run(str(config), "--output", str(tmp_path / "a"), mode=mode)
    assert second.returncode == 0, second.stdout + second.stderr + hosts.logs()
    assert f"4 cells: {len(failed)} run, {4 - len(failed)} resumed, 0 failed" in second.stderr
    assert (tmp_path / "a" / "table.csv").read_text() == expected

    # 3. a fresh run: cells on both hosts, the sequential table
    third = hosts.transferkit_run(str(config), "--output", str(tmp_path / "b"), mode=mode)
    assert third.returncode == 0, third.stdout + third.stderr + hosts.logs()
    assert (tmp_path / "b" / "table.csv").read_text() == expected
    ran_on = [c["ran_on"] for c in _cells(tmp_path / "b")]
    assert {(r["host"], r["ip"]) for r in ran_on} == {
        ("tk-head", "10.77.0.1"),
        ("tk-worker", "10.77.0.2"),
    }, ran_on
    assert {r["node_id"] for r in ran_on} == {n["id"] for n in hosts.nodes}
    assert not ray_is_running()
