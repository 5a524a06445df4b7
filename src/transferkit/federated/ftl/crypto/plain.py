"""The ``plain`` scheme: the same protocol and masks with no encryption (for testing).

Nothing here is secret: "ciphertexts" are the float arrays themselves. It exists so that
the protocol's algebra can be checked against :func:`~transferkit.federated.ftl.objective.
ftl_objective` exactly, and so that the cost of encryption can be measured against it.
"""

from __future__ import annotations

import io
import secrets
from typing import Any

import numpy as np

from transferkit.federated.ftl.crypto.base import (
    EncryptedCols,
    EncryptedRows,
    Masked,
    PublicKey,
    Scheme,
    SecretKey,
)

__all__ = ["PlainScheme"]


def _to_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a, dtype=float), allow_pickle=False)
    return buf.getvalue()


def _from_bytes(data: bytes) -> np.ndarray:
    return np.load(io.BytesIO(data), allow_pickle=False)


class _Rows(EncryptedRows):
    def __init__(self, X: np.ndarray) -> None:
        self.X = np.asarray(X, dtype=float)
        self.n_rows, self.dim = self.X.shape

    def to_bytes(self) -> bytes:
        return _to_bytes(self.X)


class _Cols(EncryptedCols):
    def __init__(self, Y: np.ndarray) -> None:
        self.Y = Y
        self.n_cols, self.dim = Y.shape


class _Masked(Masked):
    def __init__(self, Y: np.ndarray) -> None:
        self.Y = Y

    def to_bytes(self) -> bytes:
        return _to_bytes(self.Y)


class _Public(PublicKey):
    scheme = "plain"

    def to_bytes(self) -> bytes:
        return b"plain"

    def encrypt_rows(self, X: np.ndarray) -> EncryptedRows:
        return _Rows(X)

    def rows_from_bytes(self, data: bytes) -> EncryptedRows:
        return _Rows(_from_bytes(data))

    def combine(self, rows: EncryptedRows, coeffs: np.ndarray) -> EncryptedCols:
        assert isinstance(rows, _Rows)
        return _Cols(np.asarray(coeffs, dtype=float).T @ rows.X)

    def mask(self, cols: EncryptedCols) -> tuple[Masked, Any]:
        assert isinstance(cols, _Cols)
        # integer-valued masks keep the float sums exact up to rounding of the values
        mask = np.array(
            [[float(secrets.randbelow(2**20)) for _ in range(cols.dim)] for _ in range(cols.n_cols)]
        ).reshape(cols.Y.shape)
        return _Masked(cols.Y + mask), mask

    def masked_from_bytes(self, data: bytes) -> Masked:
        return _Masked(_from_bytes(data))

    def unmask(self, payload: np.ndarray, mask: Any) -> np.ndarray:
        return np.asarray(payload, dtype=float) - mask


class _Secret(SecretKey):
    def __init__(self) -> None:
        self.public = _Public()

    def decrypt(self, masked: Masked) -> np.ndarray:
        assert isinstance(masked, _Masked)
        return masked.Y

    def decrypt_rows(self, rows: EncryptedRows) -> np.ndarray:
        assert isinstance(rows, _Rows)
        return rows.X


class PlainScheme(Scheme):
    """No encryption; the protocol's messages carry plain float arrays.

    Examples
    --------
    >>> sk = PlainScheme().keygen()
    >>> cols = sk.public.combine(sk.public.encrypt_rows(np.eye(2)), np.array([[1.0], [2.0]]))
    >>> masked, m = sk.public.mask(cols)
    >>> sk.public.unmask(sk.decrypt(masked), m)
    array([[1., 2.]])
    """

    name = "plain"

    def keygen(self) -> SecretKey:
        return _Secret()

    def public_from_bytes(self, data: bytes) -> PublicKey:
        return _Public()
