"""The FTL parties as separate processes: gRPC over mutually authenticated TLS.

Party B serves one RPC, ``/transferkit.ftl.Party/Exchange`` (bytes in, bytes out: one
:class:`~transferkit.federated.ftl.messages.Message` each way, no protobuf schema), and
party A calls it. Each party has its own self-signed certificate (made by
:func:`make_certificate`, for ``localhost``/``127.0.0.1`` or the names given); the
parties exchange the *certificate* files out of band and each pins the other's, so both
ends are authenticated and the traffic is encrypted by TLS on top of the protocol's own
encryption. Private keys of the certificates never leave their folder.

Failures are reported in words: a partner that is not running, crashed or closed the
connection is ``UNAVAILABLE``; one that did not answer in time is ``DEADLINE_EXCEEDED``;
both become :class:`~transferkit.federated.ftl.protocol.PartyUnreachableError` naming the
peer, the step and how to resume. On B's side, no message from A for ``idle_timeout``
seconds ends ``serve`` with the same error.

Why gRPC rather than Flower's Message API is explained in
:mod:`transferkit.federated.ftl.transport`.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Any

from transferkit._optional import require
from transferkit.federated.ftl.messages import Message, decode, encode
from transferkit.federated.ftl.protocol import PartyUnreachableError
from transferkit.federated.ftl.transport import Transcript

__all__ = ["make_certificate", "GrpcChannel", "serve", "METHOD"]

#: The one RPC of the protocol.
METHOD = "/transferkit.ftl.Party/Exchange"
_MAX_MESSAGE = 1 << 30
_OPTIONS = [
    ("grpc.max_send_message_length", _MAX_MESSAGE),
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
]


def _grpc() -> Any:
    return require("grpc", extra="federated", purpose="transferkit ftl over the network")


def make_certificate(
    folder: str | Path, *, hosts: tuple[str, ...] = ("localhost", "127.0.0.1"), days: int = 30
) -> tuple[Path, Path]:
    """Write a self-signed TLS certificate and its private key into ``folder``.

    Returns ``(cert.pem, key.pem)``; an existing pair is reused. The key file is readable
    by its owner only. Give ``cert.pem`` (never ``key.pem``) to the other party.

    Examples
    --------
    >>> import tempfile
    >>> cert, key = make_certificate(tempfile.mkdtemp())
    >>> cert.name, key.name
    ('cert.pem', 'key.pem')
    """
    folder = Path(folder)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    require("cryptography", extra="federated", purpose="TLS certificates for transferkit ftl")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    alt: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = _dt.datetime.now(_dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


class GrpcChannel:
    """Party A's side: calls party B at ``peer`` over mutually authenticated TLS.

    Parameters
    ----------
    peer : str
        ``host:port`` of party B.
    cert_dir : path
        A's certificate folder (:func:`make_certificate` fills it if empty).
    peer_cert : path
        B's ``cert.pem``.
    timeout : float, default=600
        Seconds to wait for each reply (a round's slowest step must fit).
    connect_timeout : float, default=60
        Seconds to wait for B to come up at the first message.
    """

    def __init__(
        self,
        peer: str,
        *,
        cert_dir: str | Path,
        peer_cert: str | Path,
        timeout: float = 600.0,
        connect_timeout: float = 60.0,
    ) -> None:
        grpc = _grpc()
        cert, key = make_certificate(cert_dir)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=Path(peer_cert).read_bytes(),
            private_key=key.read_bytes(),
            certificate_chain=cert.read_bytes(),
        )
        self.peer = peer
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._channel = grpc.secure_channel(peer, credentials, options=_OPTIONS)
        self._call = self._channel.unary_unary(METHOD)
        self.transcript = Transcript()
        self._connected = False

    def call(self, message: Message) -> Message:
        """Send one message to B and return its reply (or raise a clear error)."""
        grpc = _grpc()
        data = encode(message)
        self.transcript.record("a->b", message, data)
        wait = not self._connected
        try:
            reply = self._call(
                data,
                timeout=self.connect_timeout if wait else self.timeout,
                wait_for_ready=wait,
            )
        except grpc.RpcError as exc:
            code = exc.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED and wait:
                why = (
                    f"did not come up within {self.connect_timeout:g} s (not running, or it "
                    "refused our certificate)"
                )
            elif code == grpc.StatusCode.DEADLINE_EXCEEDED:
                why = f"did not answer within {self.timeout:g} s"
            elif code == grpc.StatusCode.UNAVAILABLE:
                why = "is not reachable (not running, crashed, or refused our certificate)"
            else:
                why = f"failed ({code.name}: {exc.details()})"
            raise PartyUnreachableError(
                f"party b at {self.peer} {why} at the {message.type!r} step of round "
                f"{message.round}. Restart `transferkit ftl serve` on its side and run "
                "`transferkit ftl train ... --resume` to continue from the last completed "
                "round."
            ) from None
        self._connected = True
        self.transcript.record("b->a", decode(reply), reply)
        return decode(reply)

    def close(self) -> None:
        """Close the connection."""
        self._channel.close()


def serve(
    party_b: Any,
    *,
    port: int,
    cert_dir: str | Path,
    peer_cert: str | Path,
    host: str = "127.0.0.1",
    idle_timeout: float = 600.0,
    ready: threading.Event | None = None,
) -> Transcript:
    """Run party B until A says ``bye``; returns the transcript of the session.

    Raises :class:`PartyUnreachableError` when A sends nothing for ``idle_timeout``
    seconds (A crashed or lost the connection); B's checkpoints stay, so A can resume.
    """
    grpc = _grpc()
    cert, key = make_certificate(cert_dir)
    transcript = Transcript()
    lock = threading.Lock()
    last = {"time": time.monotonic()}

    def exchange(request: bytes, context: Any) -> bytes:
        with lock:
            last["time"] = time.monotonic()
            message = decode(request)
            transcript.record("a->b", message, request)
            reply = party_b.handle(message)
            data = encode(reply)
            transcript.record("b->a", reply, data)
            last["time"] = time.monotonic()
            return data

    handler = grpc.method_handlers_generic_handler(
        "transferkit.ftl.Party",
        {"Exchange": grpc.unary_unary_rpc_method_handler(exchange)},
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), options=_OPTIONS)
    server.add_generic_rpc_handlers((handler,))
    credentials = grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=Path(peer_cert).read_bytes(),
        require_client_auth=True,
    )
    bound = server.add_secure_port(f"{host}:{port}", credentials)
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}; choose another --port.")
    server.start()
    if ready is not None:
        ready.set()
    try:
        while not party_b.finished:
            time.sleep(0.2)
            if not lock.locked() and time.monotonic() - last["time"] > idle_timeout:
                raise PartyUnreachableError(
                    f"party a sent nothing for {idle_timeout:g} s (round {party_b.round_}); "
                    "it may have crashed. Checkpoints are kept: start `transferkit ftl "
                    "serve` again and `transferkit ftl train ... --resume` on A's side."
                )
    finally:
        server.stop(grace=1.0)
    return transcript
