"""Fixtures of the FTL tests over gRPC: the problem, both parties' certificates, a free
port, and party B served in a thread."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from ._problem import make_problem


@pytest.fixture
def problem():
    return make_problem()


@pytest.fixture
def certs(tmp_path):
    """``(dir_a, dir_b)``: each party's self-signed certificate and key."""
    from transferkit.federated.ftl.grpc_transport import make_certificate

    make_certificate(tmp_path / "a")
    make_certificate(tmp_path / "b")
    return tmp_path / "a", tmp_path / "b"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port():
    return free_port()


@dataclass
class ServedB:
    """Party B serving in a thread: its transcript, or the errors it raised."""

    thread: threading.Thread
    errors: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def join(self, timeout: float = 10.0) -> None:
        self.thread.join(timeout)


@pytest.fixture
def serve_b(certs, port):
    """``serve_b(party_b, **serve_kwargs)``: serve B on ``port`` (A's certificate pinned)
    in a thread, once it listens; the thread is joined when the test ends."""
    from transferkit.federated.ftl import PartyUnreachableError
    from transferkit.federated.ftl.grpc_transport import serve

    dir_a, dir_b = certs
    started: list[ServedB] = []

    def start(party_b, **kwargs) -> ServedB:
        ready = threading.Event()
        served = ServedB(threading.Thread(daemon=True))

        def run():
            try:
                served.result["transcript"] = serve(
                    party_b,
                    port=port,
                    cert_dir=dir_b,
                    peer_cert=dir_a / "cert.pem",
                    ready=ready,
                    **kwargs,
                )
            except PartyUnreachableError as exc:
                served.errors.append(str(exc))

        served.thread = threading.Thread(target=run, daemon=True)
        served.thread.start()
        ready.wait(10)
        started.append(served)
        return served

    yield start
    for served in started:
        served.join(20)
