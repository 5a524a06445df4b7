"""The messages the two FTL parties exchange, and their byte encoding.

A :class:`Message` has a type, a round number and named fields. Every field declares its
*kind*, which the message audit checks:

- ``"ciphertext"``: bytes of values encrypted under one party's key (masked or not);
- ``"masked"``: plaintext values hidden by the partner's random masks;
- ``"public_key"``: a public key (never key material of a secret key);
- ``"control"``: protocol metadata (configuration, round, shapes, a digest of the
  overlap ids); never data values.

The encoding is a length-prefixed JSON header followed by the binary fields: no pickle,
so a message from the network can never run code.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError

__all__ = ["Message", "KINDS", "encode", "decode", "payload_to_bytes", "payload_from_bytes"]

#: The kinds a message field may have.
KINDS = ("ciphertext", "masked", "public_key", "control")


@dataclass
class Message:
    """One message between the parties."""

    type: str
    round: int = 0
    fields: dict[str, tuple[str, Any]] = field(default_factory=dict)

    def add(self, name: str, kind: str, value: Any) -> Message:
        """Add a field (``bytes`` for every kind but ``control``, which is JSON)."""
        if kind not in KINDS:
            raise ValueError(f"unknown field kind {kind!r}")
        if kind != "control" and not isinstance(value, bytes):
            raise TypeError(f"field {name!r} of kind {kind!r} must be bytes")
        self.fields[name] = (kind, value)
        return self

    def get(self, name: str) -> Any:
        """The value of a field; a clear error when the partner did not send it."""
        try:
            return self.fields[name][1]
        except KeyError:
            raise TransferKitInputError(
                f"the partner's {self.type!r} message has no field {name!r}; both parties "
                "must run the same transferkit version."
            ) from None

    def sizes(self) -> dict[str, dict[str, Any]]:
        """``{field: {"kind", "bytes"}}`` for transcripts."""
        return {
            name: {
                "kind": kind,
                "bytes": len(value) if isinstance(value, bytes) else len(json.dumps(value)),
            }
            for name, (kind, value) in self.fields.items()
        }


def encode(message: Message) -> bytes:
    """Bytes of a message.

    Examples
    --------
    >>> m = Message("hello", 0).add("config", "control", {"d": 2}).add("k", "public_key", b"xy")
    >>> decode(encode(m)).fields == m.fields
    True
    """
    header: dict[str, Any] = {"type": message.type, "round": message.round, "fields": []}
    blobs = []
    for name, (kind, value) in message.fields.items():
        if kind == "control":
            header["fields"].append([name, kind, value])
        else:
            header["fields"].append([name, kind, len(value)])
            blobs.append(value)
    head = json.dumps(header).encode()
    return struct.pack("<I", len(head)) + head + b"".join(blobs)


def decode(data: bytes) -> Message:
    """Read :func:`encode`'s bytes."""
    try:
        (size,) = struct.unpack("<I", data[:4])
        header = json.loads(data[4 : 4 + size].decode())
        pos = 4 + size
        message = Message(str(header["type"]), int(header["round"]))
        for name, kind, value in header["fields"]:
            if kind == "control":
                message.add(name, kind, value)
            else:
                message.add(name, kind, data[pos : pos + int(value)])
                pos += int(value)
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise TransferKitInputError(
            f"a message from the partner could not be read ({exc}); is the peer a "
            "transferkit FTL party of the same version?"
        ) from None
    return message


def payload_to_bytes(values: np.ndarray) -> bytes:
    """Bytes of a masked plaintext payload: big integers (Paillier) or floats.

    Examples
    --------
    >>> a = np.array([[2**100, 3]], dtype=object)
    >>> bool((payload_from_bytes(payload_to_bytes(a)) == a).all())
    True
    """
    values = np.asarray(values)
    if values.dtype == object:
        ints = [int(v) for v in values.ravel()]
        width = max(1, max((v.bit_length() for v in ints), default=1) + 7) // 8 + 1
        head = b"I" + struct.pack("<III", values.shape[0], values.shape[1], width)
        return head + b"".join(v.to_bytes(width, "big", signed=True) for v in ints)
    buf = io.BytesIO()
    np.save(buf, values.astype(float), allow_pickle=False)
    return b"F" + buf.getvalue()


def payload_from_bytes(data: bytes) -> np.ndarray:
    """Read :func:`payload_to_bytes`."""
    if data[:1] == b"I":
        rows, cols, width = struct.unpack("<III", data[1:13])
        body = data[13:]
        vals = [
            int.from_bytes(body[i * width : (i + 1) * width], "big", signed=True)
            for i in range(rows * cols)
        ]
        out = np.empty(rows * cols, dtype=object)
        out[:] = vals
        return out.reshape(rows, cols)
    return np.load(io.BytesIO(data[1:]), allow_pickle=False)
