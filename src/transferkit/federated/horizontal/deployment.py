"""Flower's deployment runtime on this machine: a SuperLink and N SuperNodes on loopback.

:class:`LocalFederation` starts ``flower-superlink`` and one ``flower-supernode`` per
client as separate OS processes (insecure, or TLS with a throw-away certificate
authority made here), submits a Flower App with ``flwr run`` (through a Flower
configuration of its own, ``FLWR_HOME`` in the work folder) and stops every process it
started when the ``with`` block ends. On real machines the same App runs unchanged: start
``flower-superlink`` on the server and ``flower-supernode --superlink HOST:PORT
--node-config 'client-dir="..." partition-id=K'`` on each client, then ``flwr run``.

Runtime installation of App dependencies (``uv sync``) is switched off: the SuperLink and
the SuperNodes run the transferkit installed beside them.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import transferkit
from transferkit.federated.horizontal import _deps  # noqa: F401 - names the extras
from transferkit.federated.horizontal.server import (
    SERVER_BODY_FILE,
    SERVER_ERROR_FILE,
    ClientFailureError,
)

__all__ = ["DeploymentError", "LocalFederation", "make_tls_files", "write_flower_app"]

HOST = "127.0.0.1"


class DeploymentError(RuntimeError):
    """A Flower process failed to start, died, or the run did not finish in time."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))


def write_flower_app(app_dir: str | Path, run_config: dict[str, Any]) -> Path:
    """Write a Flower App (a ``pyproject.toml``) whose components are transferkit's.

    Parameters
    ----------
    app_dir : str or Path
        Created if missing.
    run_config : dict
        ``[tool.flwr.app.config]``: TOML scalars (str, int, float, bool).
    """
    folder = Path(app_dir)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "[build-system]",
        'requires = ["hatchling"]',
        'build-backend = "hatchling.build"',
        "",
        "[project]",
        'name = "transferkit-federated-finetune"',
        f'version = "{transferkit.__version__}"',
        'description = "Federated fine-tuning of a shared body with client-local heads"',
        'license = "Apache-2.0"',
        "dependencies = []",
        "",
        "[tool.flwr.app]",
        'publisher = "transferkit"',
        "",
        "[tool.flwr.app.components]",
        'serverapp = "transferkit.federated.horizontal.app:server_app"',
        'clientapp = "transferkit.federated.horizontal.app:client_app"',
        "",
        "[tool.flwr.app.config]",
        *(f'"{k}" = {_toml_value(v)}' for k, v in run_config.items()),
        "",
    ]
    (folder / "pyproject.toml").write_text("\n".join(lines))
    return folder


def make_tls_files(folder: str | Path) -> dict[str, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1/localhost (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "transferkit test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    files = {"ca": folder / "ca.crt", "cert": folder / "server.pem", "key": folder / "server.key"}
    files["ca"].write_bytes(ca.public_bytes(pem))
    files["cert"].write_bytes(cert.public_bytes(pem))
    files["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


class LocalFederation:
    """A SuperLink and ``n_clients`` SuperNodes as OS processes on 127.0.0.1.

    Parameters
    ----------
    client_dirs : list of Path
        SuperNode ``k`` gets ``--node-config 'client-dir="client_dirs[k]" partition-id=k
        num-partitions=n'``.
    workdir : Path
        Logs (``logs/*.log``), the Flower configuration (``flwr-home``), TLS files.
    tls : bool, default=False
        TLS between every process (a CA made for this run), else ``--insecure``.
    start_timeout : float
        Seconds for the SuperLink to accept connections.

    Use as a context manager; leaving the block stops every process it started.
    """

    def __init__(
        self,
        client_dirs: list[Path],
        workdir: str | Path,
        *,
        tls: bool = False,
        start_timeout: float = 120.0,
    ) -> None:
        self.client_dirs = [Path(d) for d in client_dirs]
        self.workdir = Path(workdir)
        self.tls = bool(tls)
        self.start_timeout = float(start_timeout)
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list[Any] = []

    # ------------------------------------------------------------------ processes
    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        src = str(Path(transferkit.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
        env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
        env["FLWR_HOME"] = str(self.workdir / "flwr-home")
        env.setdefault("FLWR_TELEMETRY_ENABLED", "0")
        env.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env.setdefault(name, "1")
        return env

    def _tool(self, name: str) -> str:
        path = Path(sys.executable).parent / name
        found = str(path) if path.exists() else shutil.which(name)
        if found is None:
            raise DeploymentError(
                f"{name} is not installed beside {sys.executable}; install "
                '"transferkit[federated]" (it brings flwr).'
            )
        return found

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.workdir / "logs" / f"{name}.log", "w")
        self._logs.append(log)
        self.processes[name] = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, env=self._env(), cwd=self.workdir
        )

    def log(self, name: str) -> str:
        """What process ``name`` (``superlink``, ``supernode-K``, ``flwr-run``) printed."""
        path = self.workdir / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _wait_port(self, port: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            self._check_alive()
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                if s.connect_ex((HOST, port)) == 0:
                    return
            time.sleep(0.2)
        raise DeploymentError(
            f"the SuperLink did not listen on {HOST}:{port} within {self.start_timeout:.0f} s; "
            f"its log:\n{self.log('superlink')[-2000:]}"
        )

    def _check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise DeploymentError(
                    f"{name} exited with status {proc.returncode}; its log:\n"
                    f"{self.log(name)[-2000:]}"
                )

    def __enter__(self) -> LocalFederation:
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        home = self.workdir / "flwr-home"
        home.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        server_security: list[str] = ["--insecure"]
        client_security: list[str] = ["--insecure"]
        connection = f'address = "{HOST}:{self.port}"\ninsecure = true\n'
        if self.tls:
            files = make_tls_files(self.workdir / "tls")
            server_security = [
                "--ssl-ca-certfile",
                str(files["ca"]),
                "--ssl-certfile",
                str(files["cert"]),
                "--ssl-keyfile",
                str(files["key"]),
            ]
            client_security = ["--root-certificates", str(files["ca"])]
            connection = f'address = "{HOST}:{self.port}"\nroot-certificates = "{files["ca"]}"\n'
        (home / "config.toml").write_text(
            f'[superlink]\ndefault = "transferkit"\n\n[superlink.transferkit]\n{connection}'
        )
        try:
            self._start(
                "superlink",
                [
                    self._tool("flower-superlink"),
                    *server_security,
                    "--host",
                    HOST,
                    "--port",
                    str(self.port),
                    "--disable-runtime-dependency-installation",
                ],
            )
            self._wait_port(self.port)
            n = len(self.client_dirs)
            for k, client_dir in enumerate(self.client_dirs):
                node_config = f'client-dir="{client_dir}" partition-id={k} num-partitions={n}'
                self._start(
                    f"supernode-{k}",
                    [
                        self._tool("flower-supernode"),
                        *client_security,
                        "--superlink",
                        f"{HOST}:{self.port}",
                        "--host",
                        HOST,
                        "--port",
                        str(_free_port()),
                        "--node-config",
                        node_config,
                    ],
                )
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every process this federation started (SIGTERM, then SIGKILL)."""
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()
        self._logs.clear()

    # ------------------------------------------------------------------ a run
    def run(self, app_dir: str | Path, server_dir: str | Path, timeout: float = 600.0) -> str:
        """``flwr run`` the App and wait until the server wrote its body (or failed).

        Returns the run id. Raises :class:`ClientFailureError` when the server stopped
        because of a client, :class:`DeploymentError` for anything else.
        """
        server_dir = Path(server_dir)
        submitted = subprocess.run(
            [self._tool("flwr"), "run", str(app_dir), "transferkit", "--format", "json"],
            capture_output=True,
            text=True,
            env=self._env(),
            cwd=self.workdir,
            timeout=120,
            check=False,
        )
        (self.workdir / "logs" / "flwr-run.log").write_text(submitted.stdout + submitted.stderr)
        try:
            run_id = str(json.loads(submitted.stdout)["run-id"])
        except (ValueError, KeyError):
            raise DeploymentError(
                f"flwr run failed (status {submitted.returncode}): "
                f"{(submitted.stdout + submitted.stderr)[-2000:]}"
            ) from None
        deadline = time.monotonic() + float(timeout)
        while time.monotonic() < deadline:
            if (server_dir / SERVER_ERROR_FILE).exists():
                message = (server_dir / SERVER_ERROR_FILE).read_text()
                cls = ClientFailureError if message.startswith("ClientFailureError") else None
                if cls is not None:
                    raise cls(message.split(": ", 1)[1])
                raise DeploymentError(f"the ServerApp of run {run_id} failed: {message}")
            if (server_dir / SERVER_BODY_FILE).exists():
                return run_id
            self._check_alive()
            time.sleep(0.5)
        raise DeploymentError(
            f"run {run_id} did not finish within {timeout:.0f} s; see the logs in "
            f"{self.workdir / 'logs'}."
        )
