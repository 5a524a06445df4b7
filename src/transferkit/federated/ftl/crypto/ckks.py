r"""CKKS encryption (TenSEAL), vectorised: whole blocks of rows per ciphertext.

Layout
    An ``(n, d)`` matrix is written row-major into the slots of as few ciphertexts as
    possible (``S = poly_modulus_degree / 2`` slots each; ``R = S // d`` rows per block).
    When the matrix is small (``n d <= S / 2``) the block holds ``t`` copies of it, so that
    one ciphertext can carry ``t`` output columns of a combination.

Combining without rotations
    Output column :math:`l` is :math:`\sum_i c_{il} x_i`. The partner multiplies each block
    slot-wise by the plaintext vector that repeats :math:`c_{il}` over the :math:`d` slots
    of row :math:`i` and adds the blocks: one plaintext multiplication per block and
    column, no Galois keys. The last sum, over the rows inside a block, is left to the
    key owner *after masking*: every slot gets an independent uniform mask
    :math:`r_s`, and the partner keeps only the per-output sums
    :math:`\rho = \sum_{\text{rows}} r_s`. The owner decrypts, adds up the rows of each
    block (still masked by :math:`\rho`) and returns that; only the partner can subtract
    :math:`\rho`. The owner sees each partial product hidden by its own mask.

Masks are real numbers of magnitude up to :math:`2^{24}`: they hide values statistically
only to about 24 bits relative to the values' scale (weaker than Paillier's 40-bit integer
masks), and CKKS decryption noise is itself a (small) leak (Li and Micciancio 2021).
"""

from __future__ import annotations

import secrets
import struct
from typing import Any

import numpy as np

from transferkit._optional import require
from transferkit._validation import TransferKitInputError
from transferkit.federated.ftl.crypto.base import (
    EncryptedCols,
    EncryptedRows,
    Masked,
    PublicKey,
    Scheme,
    SecretKey,
)

__all__ = ["CKKSScheme"]

_MASK_BOUND = 2.0**24


def _ts() -> Any:
    return require("tenseal", purpose="CKKS mode of transferkit.federated.ftl")


def _pack_blobs(head: tuple[int, ...], blobs: list[bytes]) -> bytes:
    out = [struct.pack(f"<{len(head)}I", *head), struct.pack("<I", len(blobs))]
    for b in blobs:
        out += [struct.pack("<Q", len(b)), b]
    return b"".join(out)


def _unpack_blobs(data: bytes, n_head: int) -> tuple[tuple[int, ...], list[bytes]]:
    head = struct.unpack(f"<{n_head}I", data[: 4 * n_head])
    pos = 4 * n_head
    (count,) = struct.unpack("<I", data[pos : pos + 4])
    pos += 4
    blobs = []
    for _ in range(count):
        (size,) = struct.unpack("<Q", data[pos : pos + 8])
        pos += 8
        blobs.append(data[pos : pos + size])
        pos += size
    return head, blobs


class _Rows(EncryptedRows):
    def __init__(self, vecs: list[Any], n_rows: int, dim: int, rows: int, copies: int) -> None:
        self.vecs, self.n_rows, self.dim = vecs, n_rows, dim
        self.rows_per_block, self.copies = rows, copies

    def to_bytes(self) -> bytes:
        head = (self.n_rows, self.dim, self.rows_per_block, self.copies)
        return _pack_blobs(head, [v.serialize() for v in self.vecs])


class _Cols(EncryptedCols):
    def __init__(self, vecs: list[Any], n_cols: int, dim: int, rows: int, copies: int) -> None:
        self.vecs, self.n_cols, self.dim = vecs, n_cols, dim
        self.rows_per_block, self.copies = rows, copies


class _Masked(Masked):
    def __init__(self, vecs: list[Any], n_cols: int, dim: int, rows: int, copies: int) -> None:
        self.vecs, self.n_cols, self.dim = vecs, n_cols, dim
        self.rows_per_block, self.copies = rows, copies

    def to_bytes(self) -> bytes:
        head = (self.n_cols, self.dim, self.rows_per_block, self.copies)
        return _pack_blobs(head, [v.serialize() for v in self.vecs])


class _Public(PublicKey):
    scheme = "ckks"

    def __init__(self, context: Any, context_bytes: bytes, degree: int) -> None:
        self.context = context
        self._bytes = context_bytes
        self.degree = degree
        self.slots = degree // 2

    def to_bytes(self) -> bytes:
        return struct.pack("<I", self.degree) + self._bytes

    def _layout(self, n: int, dim: int) -> tuple[int, int]:
        if dim > self.slots:
            raise TransferKitInputError(
                f"rows of {dim} values do not fit {self.slots} CKKS slots; use a larger "
                "poly_modulus_degree."
            )
        if 2 * n * dim <= self.slots:
            return n, self.slots // (n * dim)
        return self.slots // dim, 1

    def encrypt_rows(self, X: np.ndarray) -> EncryptedRows:
        ts = _ts()
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n, dim = X.shape
        rows, copies = self._layout(n, dim)
        vecs = []
        for start in range(0, n, rows):
            block = np.zeros((rows, dim))
            part = X[start : start + rows]
            block[: len(part)] = part
            vecs.append(ts.ckks_vector(self.context, np.tile(block.ravel(), copies).tolist()))
        return _Rows(vecs, n, dim, rows, copies)

    def rows_from_bytes(self, data: bytes) -> EncryptedRows:
        ts = _ts()
        (n, dim, rows, copies), blobs = _unpack_blobs(data, 4)
        return _Rows([ts.ckks_vector_from(self.context, b) for b in blobs], n, dim, rows, copies)

    def masked_from_bytes(self, data: bytes) -> Masked:
        ts = _ts()
        (m, dim, rows, copies), blobs = _unpack_blobs(data, 4)
        return _Masked([ts.ckks_vector_from(self.context, b) for b in blobs], m, dim, rows, copies)

    def combine(self, rows: EncryptedRows, coeffs: np.ndarray) -> EncryptedCols:
        assert isinstance(rows, _Rows)
        coeffs = np.atleast_2d(np.asarray(coeffs, dtype=float))
        if coeffs.shape[0] != rows.n_rows:
            raise TransferKitInputError(
                f"coeffs has {coeffs.shape[0]} rows for {rows.n_rows} encrypted rows."
            )
        R, t, d = rows.rows_per_block, rows.copies, rows.dim
        m = coeffs.shape[1]
        padded = np.zeros((len(rows.vecs) * R, m))
        padded[: rows.n_rows] = coeffs
        out = []
        for first in range(0, m, t):
            cols = list(range(first, min(first + t, m)))
            acc = None
            for b, vec in enumerate(rows.vecs):
                plain = np.zeros((t, R, d))
                for c, col in enumerate(cols):
                    plain[c] = padded[b * R : (b + 1) * R, col][:, None]
                if not plain.any():
                    continue
                term = vec * plain.ravel().tolist()
                acc = term if acc is None else acc + term
            if acc is None:  # every coefficient is zero: a fresh encryption of zeros
                acc = rows.vecs[0] * [0.0] * (t * R * d)
            out.append(acc)
        return _Cols(out, m, d, R, t)

    def mask(self, cols: EncryptedCols) -> tuple[Masked, Any]:
        assert isinstance(cols, _Cols)
        R, t, d = cols.rows_per_block, cols.copies, cols.dim
        rho = np.zeros((len(cols.vecs) * t, d))
        out = []
        for k, vec in enumerate(cols.vecs):
            r = np.array(
                [
                    (secrets.randbits(53) / 2.0**53 * 2.0 - 1.0) * _MASK_BOUND
                    for _ in range(t * R * d)
                ]
            ).reshape(t, R, d)
            rho[k * t : (k + 1) * t] = r.sum(axis=1)
            out.append(vec + r.ravel().tolist())
        return _Masked(out, cols.n_cols, d, R, t), rho[: cols.n_cols]

    def unmask(self, payload: np.ndarray, mask: Any) -> np.ndarray:
        return np.asarray(payload, dtype=float) - mask


class _Secret(SecretKey):
    def __init__(self, public: _Public, context: Any) -> None:
        self.public = public
        self._context = context

    def _own(self, vec: Any) -> Any:
        vec.link_context(self._context)
        return vec

    def decrypt(self, masked: Masked) -> np.ndarray:
        assert isinstance(masked, _Masked)
        R, t, d = masked.rows_per_block, masked.copies, masked.dim
        parts = [
            np.asarray(self._own(v).decrypt()).reshape(t, R, d).sum(axis=1) for v in masked.vecs
        ]
        return np.vstack(parts)[: masked.n_cols]

    def decrypt_rows(self, rows: EncryptedRows) -> np.ndarray:
        assert isinstance(rows, _Rows)
        R, d = rows.rows_per_block, rows.dim
        blocks = [np.asarray(self._own(v).decrypt())[: R * d].reshape(R, d) for v in rows.vecs]
        return np.vstack(blocks)[: rows.n_rows]


class CKKSScheme(Scheme):
    """CKKS through TenSEAL, with a scale of :math:`2^{40}` and one multiplicative level.

    Parameters
    ----------
    poly_modulus_degree : int, default=8192
        Ring degree; a ciphertext has half as many slots.

    Examples
    --------
    >>> sk = CKKSScheme().keygen()
    >>> rows = sk.public.encrypt_rows(np.array([[1.5, -2.0], [0.25, 4.0]]))
    >>> masked, m = sk.public.mask(sk.public.combine(rows, np.array([[2.0], [-4.0]])))
    >>> np.round(sk.public.unmask(sk.decrypt(masked), m), 4)
    array([[  2., -20.]])
    """

    name = "ckks"

    def __init__(self, poly_modulus_degree: int = 8192) -> None:
        self.poly_modulus_degree = poly_modulus_degree

    def keygen(self) -> SecretKey:
        ts = _ts()
        ctx = ts.context(
            ts.SCHEME_TYPE.CKKS,
            poly_modulus_degree=self.poly_modulus_degree,
            coeff_mod_bit_sizes=[60, 40, 40, 60],
        )
        ctx.global_scale = 2.0**40
        public_bytes = ctx.serialize(
            save_public_key=True,
            save_secret_key=False,
            save_galois_keys=False,
            save_relin_keys=False,
        )
        public = _Public(ts.context_from(public_bytes), public_bytes, self.poly_modulus_degree)
        return _Secret(public, ctx)

    def public_from_bytes(self, data: bytes) -> PublicKey:
        ts = _ts()
        (degree,) = struct.unpack("<I", data[:4])
        ctx = ts.context_from(data[4:])
        if ctx.has_secret_key():
            raise TransferKitInputError("the partner sent a CKKS context with its secret key.")
        return _Public(ctx, data[4:], degree)

    def describe(self) -> dict[str, Any]:
        return {"scheme": self.name, "poly_modulus_degree": self.poly_modulus_degree}
