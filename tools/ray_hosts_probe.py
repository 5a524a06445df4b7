"""Measure ``transferkit run --address`` across separate hosts, and ``ray://`` connections.

Needs root on Linux (``unshare``, ``nsenter``, ``ip``), the shared benchmark data and a
checkout (it uses the namespace hosts of ``tests/experiments/_netns_hosts.py`` and the
Ray cluster of ``tests/experiments/test_ray_hosts.py``): a head host (Ray head), a worker
host (Ray worker node, transferkit copied to its private ``/tmp``, no data home) and a
client host that runs no Ray node. Then, for a digits config (``source_only`` and a
``pca`` sweep, 3 cells) whose sequential ``table.csv`` is computed first:

* ``transferkit run --address 10.77.0.1:6379`` on the head host;
* the same on the client host (not a node of the cluster);
* ``transferkit run --address ray://10.77.0.1:10001`` on the client host;
* ``--connections`` bare ``ray.init("ray://...")`` connections from the client host (one
  attempt each, a fresh process each), classified by the head's session-server logs.

Writes ``benchmarks/results/ray_hosts_probe.md`` (``--output`` to change). Takes about
5 minutes with 20 connections on 2 busy cores. Everything it starts is killed at the end
(see ``_netns_hosts``), also when it is interrupted::

    sudo env TRANSFERKIT_DATA=/path/to/data python tools/ray_hosts_probe.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

CONFIG = (
    "name: digits_hosts\n"
    "data: [{suite: digits, tasks: [U->M]}]\n"
    "methods: [source_only, {name: pca, sweep: {transfer__n_components: [20, 100]}}]\n"
    "memory: none\n"
)

# One bare Ray Client connection: connect, run one task, disconnect; one line out.
CLIENT = r"""
import sys, time
t = time.monotonic()
import ray
try:
    ray.init(sys.argv[1], log_to_driver=False)
    assert ray.get(ray.remote(lambda: 1).remote()) == 1
    ray.shutdown()
    print("ok", round(time.monotonic() - t, 1))
except Exception as exc:
    print("failed", round(time.monotonic() - t, 1), type(exc).__name__,
          "session-server" if "Starting Ray client server failed" in str(exc) else str(exc)[:200])
"""


def _cells(folder: Path) -> list[dict]:
    return [json.loads(p.read_text())["cells"][0] for p in sorted(folder.glob("cells/*.json"))]


def _session_servers(temp_dir: Path) -> tuple[int, list[tuple[str, str]]]:
    """Session servers the head's Ray Client server started, and those that died at start
    (port, last line of their ``.err``, ``(empty)`` when they wrote nothing)."""
    import re

    logs = next(iter(temp_dir.glob("session_2*/logs")), None)
    if logs is None or not (logs / "ray_client_server.err").exists():
        return 0, []
    proxy = (logs / "ray_client_server.err").read_text(errors="replace").splitlines()
    started = [re.search(r"started on port: (\d+)", line) for line in proxy]
    ports = [m.group(1) for m in started if m]
    deaths = []
    for i, line in enumerate(proxy):
        if "SpecificServer startup failed" in line:
            port = next((m.group(1) for m in started[i:] if m), "?")
            err = logs / f"ray_client_server_{port}.err"
            lines = err.read_text(errors="replace").strip().splitlines() if err.exists() else []
            crash = [x for x in lines if "Check failed" in x] or lines[-1:] or ["(empty)"]
            deaths.append((port, crash[0]))
    return len(ports), deaths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument(
        "--output", type=Path, default=ROOT / "benchmarks" / "results" / "ray_hosts_probe.md"
    )
    args = parser.parse_args(argv)

    import ray

    from experiments.test_ray_hosts import HostsCluster
    from transferkit.datasets import get_data_home
    from transferkit.experiments import run_experiment

    work = Path(tempfile.mkdtemp(prefix="tkprobe-", dir="/tmp"))
    (work / "markers").mkdir()
    config = work / "digits.yaml"
    config.write_text(CONFIG)
    run_experiment(config, output_dir=work / "seq", verbose=False)
    expected = (work / "seq" / "table.csv").read_text()
    rows: list[str] = []
    started = time.monotonic()
    cluster = HostsCluster(work / "markers", get_data_home(), installed=True)
    try:
        cluster.wait_for_nodes()
        client = cluster.net.add("client")
        print(f"hosts and nodes up in {time.monotonic() - started:.0f} s", flush=True)

        def transferkit_run(host, address: str, name: str) -> None:
            command = [sys.executable, "-m", "transferkit.cli", "run", str(config)]
            command += ["--output", str(work / name), "--address", address, "--no-progress"]
            t0 = time.monotonic()
            done = subprocess.run(
                host.command(command),
                env=cluster.head_env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            seconds = time.monotonic() - t0
            table = work / name / "table.csv"
            same = table.exists() and table.read_text() == expected
            hosts = sorted({c.get("ran_on", {}).get("host", "?") for c in _cells(work / name)})
            retries = done.stderr.count("connecting again")
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            outcome = "ok" if done.returncode == 0 else f"exit {done.returncode}: {last}"
            rows.append(
                f"| `--address {address}` on {host.hostname} | {outcome} | {seconds:.0f} | "
                f"{'yes' if same else 'no'} | {', '.join(hosts) or '-'} | {retries} |"
            )
            print(rows[-1], flush=True)

        transferkit_run(cluster.head, cluster.address, "gcs_on_head")
        transferkit_run(client, cluster.address, "gcs_on_client")
        transferkit_run(client, f"ray://{cluster.head.ip}:10001", "client_on_client")

        outcomes = []
        for i in range(args.connections):
            done = subprocess.run(
                client.command([sys.executable, "-c", CLIENT, f"ray://{cluster.head.ip}:10001"]),
                env=cluster.head_env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            line = (done.stdout.strip().splitlines() or [f"failed ? {done.stderr[-200:]}"])[-1]
            outcomes.append(line)
            print(f"connection {i + 1}: {line}", flush=True)
        sessions, deaths = _session_servers(cluster.net.folder / "ray")
    finally:
        cluster.close()
        shutil.rmtree(work, ignore_errors=True)
    failed = [o for o in outcomes if not o.startswith("ok")]
    ok_seconds = sorted(float(o.split()[1]) for o in outcomes if o.startswith("ok"))
    fail_seconds = sorted(float(o.split()[1]) for o in failed if o.split()[1] != "?")
    load = os.getloadavg()[0]
    text = [
        "# `transferkit run --address` across separate hosts, and `ray://` connections",
        "",
        f"Written by `tools/ray_hosts_probe.py` on {dt.date.today()} (Ray {ray.__version__}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.1f} at the end).",
        "Hosts: Linux namespaces on one machine (see `tests/experiments/_netns_hosts.py`:",
        "own network, hostname, processes and mounts; one kernel, CPUs and Python install).",
        "Head host 10.77.0.1 (Ray head), worker host 10.77.0.2 (Ray worker node, its own",
        "`/tmp` with a copy of transferkit, no data home), client host 10.77.0.3 (no Ray node).",
        "Config: digits U->M, `source_only` and a `pca` sweep (3 cells).",
        "",
        "| command | outcome | seconds | table = sequential | cells ran on | ray:// retries |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Bare `ray.init('ray://10.77.0.1:10001')` from the client host, one attempt each: "
        f"{len(outcomes) - len(failed)} of {len(outcomes)} connected, {len(failed)} failed "
        f"({', '.join(o.split(' ', 2)[2] for o in failed) or 'none'}).",
        f"Seconds per connection (connect, one task, disconnect): ok "
        f"{ok_seconds[0] if ok_seconds else '-'}-{ok_seconds[-1] if ok_seconds else '-'}, "
        f"failed {fail_seconds or '-'}.",
        f"Head's Ray Client server log, all runs above: {sessions} session servers started, "
        f"{len(deaths)} died at start (`SpecificServer startup failed`); the last line of "
        "each one's `ray_client_server_<port>.err`:",
        "",
        *(f"* port {port}: `{last}`" for port, last in deaths),
        "",
    ]
    args.output.write_text("\n".join(text))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
