"""The one operation the FTL protocol needs from a cryptosystem, and its masked return trip.

Each party encrypts a matrix of its own rows under its own key (:meth:`PublicKey.encrypt_rows`)
and sends it. The partner, holding only the public key, computes ``coeffs.T @ rows``
homomorphically (:meth:`PublicKey.combine`): each output row is a linear combination of
the encrypted rows with the partner's private plaintext coefficients. The partner then
adds fresh random masks (:meth:`PublicKey.mask`) and sends the result back; the key owner
decrypts it (:meth:`SecretKey.decrypt`) and returns the *masked* plaintext, from which only
the partner can remove the masks (:meth:`PublicKey.unmask`). So the key owner decrypts
only masked, aggregated values and the partner learns only the aggregate it asked for.

Schemes: :mod:`~transferkit.federated.ftl.crypto.plain` (no encryption, same flow),
:mod:`~transferkit.federated.ftl.crypto.paillier` and
:mod:`~transferkit.federated.ftl.crypto.ckks`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

__all__ = ["Scheme", "PublicKey", "SecretKey", "Masked", "EncryptedRows", "EncryptedCols"]


class EncryptedRows(ABC):
    """An ``(n, d)`` matrix encrypted row-wise under one party's key."""

    n_rows: int
    dim: int

    @abstractmethod
    def to_bytes(self) -> bytes:
        """Serialise (ciphertexts only, no key material)."""


class EncryptedCols(ABC):
    """The result ``coeffs.T @ rows`` of :meth:`PublicKey.combine`, still encrypted."""

    n_cols: int
    dim: int


class Masked(ABC):
    """Encrypted, masked values on their way to the key owner for decryption."""

    @abstractmethod
    def to_bytes(self) -> bytes:
        """Serialise (ciphertexts only)."""


class PublicKey(ABC):
    """What a party may give to its partner: encrypt, combine, mask, unmask."""

    scheme: str

    @abstractmethod
    def to_bytes(self) -> bytes:
        """Serialise the public part only."""

    @abstractmethod
    def encrypt_rows(self, X: np.ndarray) -> EncryptedRows:
        """Encrypt a real matrix row by row (each row packed)."""

    @abstractmethod
    def rows_from_bytes(self, data: bytes) -> EncryptedRows:
        """Read :meth:`EncryptedRows.to_bytes` under this key."""

    @abstractmethod
    def combine(self, rows: EncryptedRows, coeffs: np.ndarray) -> EncryptedCols:
        """Homomorphic ``coeffs.T @ rows`` with plaintext ``coeffs`` of shape (n, m)."""

    @abstractmethod
    def mask(self, cols: EncryptedCols) -> tuple[Masked, Any]:
        """Add fresh random masks (and re-randomise); return the masked values and the mask."""

    @abstractmethod
    def masked_from_bytes(self, data: bytes) -> Masked:
        """Read :meth:`Masked.to_bytes` under this key."""

    @abstractmethod
    def unmask(self, payload: np.ndarray, mask: Any) -> np.ndarray:
        """Remove the masks from the key owner's decryption; an ``(m, d)`` float array."""


class SecretKey(ABC):
    """What never leaves its owner."""

    public: PublicKey

    @abstractmethod
    def decrypt(self, masked: Masked) -> np.ndarray:
        """Decrypt masked values; the result is still masked (integers or floats)."""

    @abstractmethod
    def decrypt_rows(self, rows: EncryptedRows) -> np.ndarray:
        """Decrypt rows encrypted under this key (used for aggregated scalars only)."""


class Scheme(ABC):
    """A cryptosystem: makes key pairs and reads a partner's public key."""

    name: str

    @abstractmethod
    def keygen(self) -> SecretKey:
        """A fresh key pair (from the operating system's random source)."""

    @abstractmethod
    def public_from_bytes(self, data: bytes) -> PublicKey:
        """Read a partner's :meth:`PublicKey.to_bytes`."""

    def describe(self) -> dict[str, Any]:
        """Parameters both parties must agree on (sent in the handshake)."""
        return {"scheme": self.name}
