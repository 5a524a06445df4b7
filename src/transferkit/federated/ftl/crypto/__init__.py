"""Cryptosystems for the FTL protocol: ``plain``, ``paillier`` and ``ckks``."""

from __future__ import annotations

from transferkit.federated.ftl.crypto.base import PublicKey, Scheme, SecretKey

__all__ = ["PublicKey", "Scheme", "SecretKey", "make_scheme", "SCHEMES"]

#: The modes of the protocol.
SCHEMES = ("plain", "paillier", "ckks")


def make_scheme(mode: str, *, key_bits: int | None = None, n_jobs: int = 1) -> Scheme:
    """The :class:`Scheme` of a mode name.

    Examples
    --------
    >>> make_scheme("plain").name
    'plain'
    """
    from transferkit._validation import TransferKitInputError

    if mode == "plain":
        from transferkit.federated.ftl.crypto.plain import PlainScheme

        return PlainScheme()
    if mode == "paillier":
        from transferkit.federated.ftl.crypto.paillier import PaillierScheme

        return PaillierScheme(key_bits or 2048, n_jobs=n_jobs)
    if mode == "ckks":
        from transferkit.federated.ftl.crypto.ckks import CKKSScheme

        return CKKSScheme(poly_modulus_degree=key_bits or 8192)
    raise TransferKitInputError(f"mode must be one of {SCHEMES}; got {mode!r}.")
