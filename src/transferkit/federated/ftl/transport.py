"""How the FTL parties talk: in process (tests) or over gRPC with TLS (real parties).

Why gRPC and not Flower's Message API: FTL is a fixed two-party protocol of five
request/reply steps between *peers* that each hold a secret key, with large binary
payloads (ciphertexts) and no server-side aggregation. gRPC gives exactly that, a
bidirectional authenticated TLS channel with deadlines and clear status codes
(``UNAVAILABLE``, ``DEADLINE_EXCEEDED``) to tell a crashed partner from a slow one, from a
single dependency (``grpcio``). Flower's Message API routes every message through a
SuperLink server that both parties would have to trust with the traffic's metadata and
would add Flower's scheduling (rounds of a server strategy over many clients) to a
protocol that has two symmetric parties and no strategy. The horizontal fine-tuning in
:mod:`transferkit.federated.horizontal` is a many-clients FedAvg and uses Flower.

Every channel records a transcript: one entry per message with its type, round,
direction and the kind and size of each field (``transcript``), and, for audits, the
raw bytes (``wire``) when ``keep_bytes=True``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from transferkit.federated.ftl.messages import Message, decode, encode
from transferkit.federated.ftl.protocol import PartyUnreachableError

__all__ = ["LocalChannel", "Transcript"]


class Transcript:
    """Message sizes and kinds per round, and optionally the raw bytes."""

    def __init__(self, keep_bytes: bool = False) -> None:
        self.entries: list[dict[str, Any]] = []
        self.keep_bytes = keep_bytes
        self.wire: list[bytes] = []

    def record(self, direction: str, message: Message, data: bytes) -> None:
        """Log one message."""
        self.entries.append(
            {
                "round": message.round,
                "direction": direction,
                "type": message.type,
                "bytes": len(data),
                "fields": message.sizes(),
                "time": time.time(),
            }
        )
        if self.keep_bytes:
            self.wire.append(data)

    def bytes_per_round(self) -> dict[int, int]:
        """Total bytes on the wire for each round."""
        out: dict[int, int] = {}
        for e in self.entries:
            out[e["round"]] = out.get(e["round"], 0) + e["bytes"]
        return out


class LocalChannel:
    """A channel to a :class:`~transferkit.federated.ftl.protocol.PartyB` in this process.

    Messages are encoded to bytes and decoded on the other side exactly as over the
    network, so tests see the same bytes a real peer would.

    Parameters
    ----------
    party_b : PartyB
        The answering party.
    keep_bytes : bool, default=False
        Keep every message's bytes in ``transcript.wire`` (for audits).
    fail_at : callable, optional
        ``fail_at(message) -> bool``; when true the call raises
        :class:`PartyUnreachableError` as if B had crashed (for tests).
    """

    def __init__(
        self,
        party_b: Any,
        *,
        keep_bytes: bool = False,
        fail_at: Callable[[Message], bool] | None = None,
    ) -> None:
        self.party_b = party_b
        self.transcript = Transcript(keep_bytes)
        self.fail_at = fail_at

    def call(self, message: Message) -> Message:
        """Send to B and return its reply."""
        data = encode(message)
        self.transcript.record("a->b", message, data)
        if self.fail_at is not None and self.fail_at(message):
            raise PartyUnreachableError(
                f"party b did not answer the {message.type!r} message of round "
                f"{message.round} (connection lost); restart it and resume training from "
                "the last completed round."
            )
        reply = self.party_b.handle(decode(data))
        reply_data = encode(reply)
        self.transcript.record("b->a", reply, reply_data)
        return decode(reply_data)
