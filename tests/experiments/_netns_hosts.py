"""Separate "hosts" on one Linux machine: each its own PID, network, UTS and mount namespace.

The closest stand-in for a second machine that a root process gets without a container
runtime (``unshare``, ``nsenter`` and ``ip`` of util-linux and iproute2):

* **network**: a host has its own network stack (its own loopback, ports, routes); the
  hosts of a :class:`HostNetwork` reach each other only over veth pairs to a bridge in
  the first host, with addresses ``10.77.0.1``, ``.2``, ... (``/24``). Nothing is added
  to the machine's own network namespace: every device lives and dies with the hosts.
* **hostname** (UTS namespace) and ``/etc/hosts`` (its own name and address only).
* **processes** (PID namespace, with its own ``/proc``): a host's processes see only
  each other; killing the host's init (PID 1 inside) kills every one of them.
* **files** (mount namespace, mounts private): a host made with ``private_tmp`` gets its
  own ``/tmp`` (a folder of the machine, bind-mounted; the test writes there what would
  be copied to that machine) and its own ``/dev/shm`` (Ray's object store); ``hide``
  lists folders replaced by an empty read-only tmpfs inside the host (the checkout,
  the data home: what the other machine would not have).

What stays shared, because it is one kernel on one machine: the CPUs and memory, the
Python executable and the installed packages (the virtual environment is visible to
every host, read-write as on the machine), every folder not hidden, and the clock.

Cleanup does not depend on the caller ending well: each host's ``unshare`` gets SIGKILL
when the process that started it dies (``PR_SET_PDEATHSIG``), which kills the host's
init (``--kill-child``), which makes the kernel kill every process of the host; the
network namespace, its veth ends and the bridge then disappear with their last process.
A small reaper process, in its own session, holds a pipe from the caller: when it
closes (:meth:`HostNetwork.close`, or the caller dying however it dies) it SIGKILLs
every host's init too and removes the folder of the hosts.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["Host", "HostNetwork", "NamespaceError"]

SUBNET = "10.77.0"
_BRIDGE = "tkbr0"


class NamespaceError(RuntimeError):
    """The namespaces or the network of the hosts could not be made (and why)."""


_INIT = r"""
import json, os, socket, subprocess, sys, time
spec = json.loads(sys.argv[1])
def run(*cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.stdout.write(f"failed: {' '.join(cmd)}: {done.stderr.strip()}\n")
        sys.stdout.flush()
        sys.exit(1)
socket.sethostname(spec["hostname"])
run("mount", "--bind", spec["hosts"], "/etc/hosts")
for folder in spec["hide"]:
    if os.path.isdir(folder):
        run("mount", "-t", "tmpfs", "-o", "ro,size=64k,mode=0755", "tkhidden", folder)
for folder in spec["share"]:  # the same folder of the machine, at the same path
    inside = spec["tmp"] + folder[4:] if spec["tmp"] and folder.startswith("/tmp/") else folder
    os.makedirs(inside, exist_ok=True)
    run("mount", "--bind", folder, inside)
if spec["tmp"]:
    run("mount", "--rbind", spec["tmp"], "/tmp")
    run("mount", "-t", "tmpfs", "-o", "size=256m,mode=1777", "tkshm", "/dev/shm")
run("ip", "link", "set", "lo", "up")
sys.stdout.write("ready\n")
sys.stdout.flush()
sys.stdout.close()
while True:  # PID 1 of the host: reap orphans until killed
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.5)
"""


def _die_with_parent() -> None:  # in the child, before exec: SIGKILL when the parent dies
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise NamespaceError(f"{what} failed: `{' '.join(command)}`: {done.stderr.strip()}")
    return done.stdout


_REAPER = r"""
import os, shutil, signal, sys, time
pids = [int(line) for line in sys.stdin]  # until the caller closes the pipe
for pid in pids:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
deadline = time.monotonic() + 30
while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
    time.sleep(0.1)
shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


class Host:
    """One host: a process tree in its own namespaces (see the module docstring)."""

    def __init__(
        self,
        name: str,
        ip: str,
        folder: Path,
        *,
        private_tmp: bool,
        hide: tuple[Path, ...],
        share: tuple[Path, ...] = (),
    ) -> None:
        self.name = name
        self.hostname = f"tk-{name}"
        self.ip = ip
        self.tmp = folder / f"{name}-tmp" if private_tmp else None
        if self.tmp is not None:
            self.tmp.mkdir(mode=0o1777)
        hosts = folder / f"{name}.hosts"
        hosts.write_text(f"127.0.0.1 localhost\n{ip} {self.hostname}\n")
        spec = {
            "hostname": self.hostname,
            "tmp": None if self.tmp is None else str(self.tmp),
            "hide": [str(p) for p in hide],
            "share": [str(Path(p).resolve()) for p in share],
            "hosts": str(hosts),
        }
        command = ["unshare", "--pid", "--net", "--uts", "--mount", "--fork"]
        command += ["--mount-proc", "--propagation=private", "--kill-child=SIGKILL"]
        try:
            self.unshare = subprocess.Popen(
                [*command, sys.executable, "-c", _INIT, json.dumps(spec)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=_die_with_parent,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise NamespaceError(
                f"cannot start host {name}: {exc.filename} is missing (util-linux's unshare "
                "and nsenter, iproute2's ip are needed)"
            ) from None
        assert self.unshare.stdout is not None
        line = self.unshare.stdout.readline().strip()
        if line != "ready":
            self.unshare.kill()
            _, err = self.unshare.communicate(timeout=30)
            if line.startswith("failed:"):
                raise NamespaceError(f"setting up host {name} {line}")
            raise NamespaceError(
                f"cannot make host {name}: `unshare` of PID, network, UTS and mount "
                "namespaces was refused (this needs root with CAP_SYS_ADMIN and a kernel "
                f"that allows these namespaces): {err.strip() or 'no reason given'}"
            )
        children = Path(f"/proc/{self.unshare.pid}/task/{self.unshare.pid}/children")
        self.pid = int(children.read_text().split()[0])  # the host's init, outside numbering

    def command(self, args: list[str]) -> list[str]:
        """``args`` run inside this host (its namespaces; working folder ``/``)."""
        spaces = ["--net", "--uts", "--mount", "--pid"]
        return ["nsenter", f"--target={self.pid}", *spaces, "--wdns=/", *args]

    def run(self, args: list[str], what: str) -> str:
        return _run(self.command(args), f"{what} on host {self.name}")

    def iproute(self, *args: str) -> None:
        """``ip ARGS`` in this host's network namespace (process ids: the machine's)."""
        command = ["nsenter", f"--target={self.pid}", "--net", "ip", *args]
        _run(command, f"`ip` on host {self.name}")

    def popen(self, args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
        """Start ``args`` in this host, output to ``log`` (a file of the machine)."""
        with open(log, "ab") as out:
            return subprocess.Popen(
                self.command(args),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_processes(self) -> None:
        """SIGKILL every process of the host but its init (a power cut of its programs)."""
        with contextlib.suppress(NamespaceError):  # kill -1 fails if nothing was left
            self.run(["kill", "-9", "-1"], "killing every process")

    def close(self) -> None:
        """Kill the host (its init, hence every process in it) and wait for it."""
        if self.unshare.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.unshare.kill()
        self.unshare.wait(timeout=30)
        for stream in (self.unshare.stdout, self.unshare.stderr):
            if stream is not None:
                stream.close()

    def processes(self) -> list[int]:
        """Process ids (outside numbering) of the live processes of this host."""
        mine = (
            os.readlink(f"/proc/{self.pid}/ns/pid") if Path(f"/proc/{self.pid}").exists() else None
        )
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if os.readlink(entry / "ns/pid") == mine:
                        found.append(int(entry.name))
        return found


class HostNetwork:
    """Hosts on one private network (a bridge in the first host, a veth pair each).

    ``HostNetwork(folder)`` then :meth:`add` per host; the first host added is the hub.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or tempfile.mkdtemp(prefix="tkhosts-", dir="/tmp"))
        self.hosts: dict[str, Host] = {}
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, str(self.folder)],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    def add(
        self,
        name: str,
        *,
        private_tmp: bool = False,
        hide: tuple[Path, ...] = (),
        share: tuple[Path, ...] = (),
    ) -> Host:
        ip = f"{SUBNET}.{len(self.hosts) + 1}"
        host = Host(name, ip, self.folder, private_tmp=private_tmp, hide=hide, share=share)
        try:
            if not self.hosts:  # the hub: a bridge holding the network's first address
                host.iproute("link", "add", _BRIDGE, "type", "bridge")
                host.iproute("addr", "add", f"{ip}/24", "dev", _BRIDGE)
                host.iproute("link", "set", _BRIDGE, "up")
            else:
                hub = next(iter(self.hosts.values()))
                port = f"tkp{len(self.hosts)}"
                hub.iproute(
                    "link",
                    "add",
                    port,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    "eth0",
                    "netns",
                    str(host.pid),
                )
                hub.iproute("link", "set", port, "master", _BRIDGE)
                hub.iproute("link", "set", port, "up")
                host.iproute("addr", "add", f"{ip}/24", "dev", "eth0")
                host.iproute("link", "set", "eth0", "up")
        except BaseException:
            host.close()
            raise
        self.hosts[name] = host
        assert self._reaper.stdin is not None
        self._reaper.stdin.write(f"{host.pid}\n".encode())
        self._reaper.stdin.flush()
        return host

    def wait_reachable(self, source: str, target: str, port: int, timeout: float = 30.0) -> None:
        """Wait until ``source`` can open a TCP connection to ``target``'s ``port``."""
        code = (
            "import socket,sys\n"
            "socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()"
        )
        host, ip = self.hosts[source], self.hosts[target].ip
        deadline = time.monotonic() + timeout
        while True:
            done = subprocess.run(
                host.command([sys.executable, "-c", code, ip, str(port)]),
                capture_output=True,
                text=True,
            )
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise NamespaceError(
                    f"host {source} cannot reach {ip}:{port} after {timeout} s: {done.stderr}"
                )
            time.sleep(0.5)

    def close(self) -> None:
        """Kill every host (last added first), then remove the folder."""
        for host in reversed(list(self.hosts.values())):
            host.close()
        self.hosts.clear()
        if self._reaper.stdin is not None and not self._reaper.stdin.closed:
            self._reaper.stdin.close()
        self._reaper.wait(timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)
