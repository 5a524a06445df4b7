"""``--address``: a sweep on a real multi-node Ray cluster gives the sequential results.

The cluster (:mod:`experiments._ray_cluster`) is a head and a worker node, each its own
``ray start`` process group with one CPU, on this machine, in a private temporary
folder. Its nodes see the tests folder (for :mod:`experiments._cluster_methods`) and a
``TRANSFERKIT_DATA`` that does not exist: the data is read where the run starts and
reaches the nodes through Ray's object store. The runner connects and disconnects by
itself; this process is never left connected.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import transferkit
from transferkit.bench import register_method, unregister_method
from transferkit.experiments import parse_config, run_experiment
from transferkit.experiments.engine import ray_is_running

from . import _cluster_methods
from ._ray_cluster import LoopbackCluster

pytestmark = pytest.mark.slow  # a two-node cluster: 40 s to a few minutes, with the load

TESTS = Path(__file__).resolve().parents[1]
SRC = Path(transferkit.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A head and a worker node (``w1``), one CPU each; every process ends afterwards."""
    missing = tmp_path_factory.mktemp("node_data") / "missing"
    env = {
        "PYTHONPATH": os.pathsep.join([str(SRC), str(TESTS)]),
        "TRANSFERKIT_DATA": str(missing),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    ray_cluster = LoopbackCluster(env)
    try:
        ray_cluster.start_head(
            num_cpus=1, resources='{"head": 1}', env={_cluster_methods.NODE_VAR: "head"}
        )
        ray_cluster.start_worker(
            "w1", num_cpus=1, resources='{"w1": 1}', env={_cluster_methods.NODE_VAR: "w1"}
        )
        nodes = ray_cluster.wait_for_nodes(2)
        ray_cluster.node_ids = {  # type: ignore[attr-defined]
            next(r for r in n["Resources"] if r in ("head", "w1")): n["NodeID"] for n in nodes
        }
        yield ray_cluster
    finally:
        ray_cluster.stop()
    assert ray_cluster.processes() == []
    assert not ray_cluster.folder.exists()


def _process_state():
    return (
        dict(os.environ),
        signal.getsignal(signal.SIGINT),
        signal.getsignal(signal.SIGTERM),
        list(sys.path),
    )


def _blobs(path: Path) -> Path:
    rng = np.random.default_rng(0)
    ys = np.repeat([0, 1, 2], 20)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    Xs = centres[ys] + rng.normal(size=(60, 2))
    yt = np.repeat([0, 1, 2], 15)
    Xt = centres[yt] + rng.normal(size=(45, 2)) + 0.8
    np.savez(path, X_source=Xs, y_source=ys, X_target=Xt, y_target=yt)
    return path


def _config(tmp_path: Path, method: str) -> dict:
    return {
        "name": "cluster",
        "data": [{"arrays": str(_blobs(tmp_path / "blobs.npz"))}],
        "methods": [{"name": method, "sweep": {"estimator__n_neighbors": [1, 3, 5, 9]}}],
        "seeds": 1,
        "memory": "none",
    }


def _ran_on(folder: Path) -> dict[str, str]:
    """``cell_id -> node id`` from the cell files."""
    out = {}
    for path in (folder / "cells").glob("*.json"):
        (cell,) = json.loads(path.read_text())["cells"]
        out[cell["cell_id"]] = cell.get("ran_on", {}).get("node_id")
    return out


@pytest.fixture
def coordinated(tmp_path):
    """Register ``cluster_<mode>`` methods (marker folder per test); unregister after."""
    names = []

    def register(mode: str, nodes=()) -> str:
        name = "cluster_" + mode.replace(":", "_")
        markers = tmp_path / f"markers_{name}"
        markers.mkdir()
        register_method(
            name,
            _cluster_methods.factory(markers, mode, nodes),
            description=f"1-NN source only, cells coordinated across nodes ({mode})",
            replace=True,
        )
        names.append(name)
        return name

    yield register
    for name in names:
        unregister_method(name)


def test_address_runs_cells_on_both_nodes_with_the_sequential_table(tmp_path, cluster, coordinated):
    config = parse_config(_config(tmp_path, coordinated("meet", nodes=("head", "w1"))))
    sequential = run_experiment(config, output_dir=tmp_path / "seq", verbose=False)
    before = _process_state()
    on_cluster = run_experiment(
        config, output_dir=tmp_path / "cluster", address=cluster.address, verbose=False
    )
    # the runner connected, ran and disconnected, leaving this process as it was
    assert not ray_is_running()
    assert _process_state() == before
    assert on_cluster.n_failed == sequential.n_failed == 0
    assert on_cluster.n_cells == 4
    assert (tmp_path / "cluster" / "table.csv").read_text() == (
        tmp_path / "seq" / "table.csv"
    ).read_text()
    assert on_cluster.rows == sequential.rows
    # every cell says where it ran; the two nodes both ran cells; sequential cells don't
    nodes = _ran_on(tmp_path / "cluster")
    assert set(nodes.values()) == set(cluster.node_ids.values())
    assert set(_ran_on(tmp_path / "seq").values()) == {None}
    # a rerun on the cluster resumes every cell
    again = run_experiment(
        config, output_dir=tmp_path / "cluster", address=cluster.address, verbose=False
    )
    assert again.n_resumed == 4 and again.n_run == 0 and again.rows == sequential.rows


def test_cli_address_gives_the_sequential_table_without_data_on_the_nodes(
    tmp_path, cluster, data_home
):
    (tmp_path / "digits.yaml").write_text(
        "name: digits_cluster\n"
        "data: [{suite: digits, tasks: [U->M]}]\n"
        "methods: [source_only, {name: pca, sweep: {transfer__n_components: [20, 100]}}]\n"
        "memory: none\n"
    )
    sequential = run_experiment(
        tmp_path / "digits.yaml", output_dir=tmp_path / "seq", verbose=False
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "TRANSFERKIT_DATA": str(data_home),
    }
    env.pop("RAY_ADDRESS", None)
    command = [sys.executable, "-m", "transferkit.cli", "run", str(tmp_path / "digits.yaml")]
    command += ["--output", str(tmp_path / "cli"), "--address", cluster.address, "--no-progress"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 cells: 3 run, 0 resumed, 0 failed" in done.stderr
    assert (tmp_path / "cli" / "table.csv").read_text() == (
        tmp_path / "seq" / "table.csv"
    ).read_text()
    assert [round(r["accuracy_mean"], 2) for r in sequential.rows] == [44.7, 45.35, 44.95]
    # the cells ran on the cluster's nodes, whose TRANSFERKIT_DATA does not exist
    assert set(_ran_on(tmp_path / "cli").values()) <= set(cluster.node_ids.values())
    assert None not in _ran_on(tmp_path / "cli").values()


def test_a_node_killed_mid_sweep_its_cell_is_rerun_on_the_head(tmp_path, cluster, coordinated):
    """Kill node w1 while it runs a cell: Ray reruns the cell on the head; nothing fails."""
    config = parse_config(_config(tmp_path, coordinated("die_on:w1")))
    sequential = run_experiment(config, output_dir=tmp_path / "seq", verbose=False)
    markers = tmp_path / "markers_cluster_die_on_w1"
    killed: list[float] = []

    def kill_when_w1_runs_a_cell() -> None:
        deadline = time.monotonic() + 120
        while not (markers / "running-on-w1").exists():
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)
        cluster.kill("w1")
        killed.append(time.monotonic())

    watcher = threading.Thread(target=kill_when_w1_runs_a_cell, daemon=True)
    watcher.start()
    summary = run_experiment(
        config, output_dir=tmp_path / "cluster", address=cluster.address, verbose=False
    )
    watcher.join(timeout=5)
    assert killed, "no cell ran on w1"
    assert summary.n_failed == 0 and summary.n_run == 4
    assert summary.rows == sequential.rows
    assert (tmp_path / "cluster" / "table.csv").read_text() == (
        tmp_path / "seq" / "table.csv"
    ).read_text()
    # every cell finished on the head, including the one w1 was running when it died
    assert set(_ran_on(tmp_path / "cluster").values()) == {cluster.node_ids["head"]}
    assert not ray_is_running()
