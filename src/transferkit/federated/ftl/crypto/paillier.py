r"""Paillier encryption (``phe`` keys, ``gmpy2`` arithmetic) with packing and fast masking.

Encoding
    A real value :math:`v` becomes the integer :math:`\mathrm{round}(v\,2^f)`
    (``precision_bits`` :math:`f`; plaintext coefficients use 16 fraction bits, which keeps
    the exponents of the homomorphic products short). Several values share one
    ciphertext: slot :math:`s` of a packed plaintext holds its integer times
    :math:`2^{ks}` (``slot_bits`` :math:`k`), so one 2048-bit ciphertext carries
    :math:`\lfloor 2047/k \rfloor` values. Signed slots are fine: every homomorphic
    operation is an integer linear combination, exact modulo :math:`n`.

Combining
    :math:`\sum_i c_{il} [\![x_i]\!]` is the multi-exponentiation
    :math:`\prod_i [\![x_i]\!]^{c_{il}} \bmod n^2`, computed with Pippenger's bucket method
    (about :math:`N` multiplications per window of 5 bits instead of one exponentiation
    per term); negative coefficients go to a second product that is inverted once.

Masking
    Before a combined ciphertext goes to the key owner, every slot gets a uniform random
    mask with 40 bits more than the largest value the slot can hold (statistical hiding,
    distance :math:`\le 2^{-40}`) and the ciphertext is re-randomised, so its randomness
    says nothing about the coefficients used. A public, data-independent bound on the
    encrypted values (``value_bound_bits``) and on the coefficients decides whether a
    result fits its slot; if not, :class:`PackingOverflowError` says what to change.

Fast randomness (Damgård, Jurik, Nielsen 2010)
    Each key publishes :math:`h_s = h^n \bmod n^2` for a random :math:`h = -x^2 \bmod n`;
    encryptions and re-randomisations use :math:`h_s^{\alpha}` with a fresh
    :math:`\alpha` of :math:`\lceil \log_2 n / 2\rceil` bits, computed from a fixed-base table.
    This is about ten times cheaper than :math:`r^n` with a full-size exponent.
"""

from __future__ import annotations

import json
import math
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

__all__ = ["PaillierScheme", "PackingOverflowError", "MASK_BITS"]

#: Statistical security parameter of the masks, in bits.
MASK_BITS = 40
_WINDOW = 8  # fixed-base table window (bits)
_COEFF_BITS = 16  # fixed-point fraction bits of the plaintext coefficients


class PackingOverflowError(TransferKitInputError):
    """A value or a combination does not fit the packed slot width."""


def _gmpy2() -> Any:
    return require("gmpy2", purpose="Paillier mode of transferkit.federated.ftl")


def _pack(values: list[int], k: int) -> int:
    total = 0
    for s, v in enumerate(values):
        total += v << (k * s)
    return total


class _Rows(EncryptedRows):
    def __init__(self, cts: list[list[Any]], n_rows: int, dim: int, width: int) -> None:
        self.cts, self.n_rows, self.dim, self._width = cts, n_rows, dim, width

    def to_bytes(self) -> bytes:
        head = struct.pack("<II", self.n_rows, self.dim)
        return head + b"".join(int(c).to_bytes(self._width, "big") for row in self.cts for c in row)


class _Cols(EncryptedCols):
    def __init__(self, cts: list[list[Any]], dim: int, scale_bits: int) -> None:
        self.cts, self.n_cols, self.dim, self.scale_bits = cts, len(cts), dim, scale_bits


class _Masked(Masked):
    def __init__(self, cts: list[list[Any]], n_cols: int, dim: int, width: int) -> None:
        self.cts, self.n_cols, self.dim, self._width = cts, n_cols, dim, width

    def to_bytes(self) -> bytes:
        head = struct.pack("<II", self.n_cols, self.dim)
        return head + b"".join(int(c).to_bytes(self._width, "big") for row in self.cts for c in row)


class _Public(PublicKey):
    scheme = "paillier"

    def __init__(
        self, n: int, hs: int, *, precision_bits: int, slot_bits: int, value_bound_bits: int
    ) -> None:
        gmpy2 = _gmpy2()
        self.n = gmpy2.mpz(n)
        self.n2 = self.n * self.n
        self.hs = gmpy2.mpz(hs)
        self.precision_bits = precision_bits
        self.coeff_bits = _COEFF_BITS
        self.slot_bits = slot_bits
        self.value_bound_bits = value_bound_bits
        self.slots = (int(self.n).bit_length() - 1) // slot_bits
        self.value_bits = slot_bits - MASK_BITS - 2
        self.alpha_bits = (int(self.n).bit_length() + 1) // 2
        self._width = (int(self.n2).bit_length() + 7) // 8
        self._table: list[list[Any]] | None = None
        self.n_jobs = 1  # worker processes for encryption and combination (set by the scheme)
        if self.slots < 1:
            raise PackingOverflowError(
                f"slot_bits={slot_bits} does not fit a {int(self.n).bit_length()}-bit key; "
                "use a larger key_bits or smaller slot_bits."
            )

    # -- randomness -------------------------------------------------------------------
    def _obfuscator(self) -> Any:
        if self._table is None:
            self._table = self._build_table()
        alpha = secrets.randbits(self.alpha_bits)
        acc = None
        mask = (1 << _WINDOW) - 1
        n2 = self.n2
        for row in self._table:
            digit = alpha & mask
            alpha >>= _WINDOW
            if digit:
                acc = row[digit] if acc is None else acc * row[digit] % n2
        return acc if acc is not None else self._table[0][1]

    def _build_table(self) -> list[list[Any]]:
        gmpy2 = _gmpy2()
        table = []
        base = self.hs
        for _ in range(math.ceil(self.alpha_bits / _WINDOW)):
            row = [gmpy2.mpz(1), base]
            for _ in range(2, 1 << _WINDOW):
                row.append(row[-1] * base % self.n2)
            table.append(row)
            base = row[-1] * base % self.n2
        return table

    def _encrypt_int(self, m: int) -> Any:
        nude = (1 + (m % self.n) * self.n) % self.n2
        return nude * self._obfuscator() % self.n2

    # -- serialisation ----------------------------------------------------------------
    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "scheme": "paillier",
                "n": format(int(self.n), "x"),
                "hs": format(int(self.hs), "x"),
                "precision_bits": self.precision_bits,
                "slot_bits": self.slot_bits,
                "value_bound_bits": self.value_bound_bits,
            }
        ).encode()

    def _read_cts(self, data: bytes) -> tuple[int, int, list[list[Any]]]:
        gmpy2 = _gmpy2()
        a, dim = struct.unpack("<II", data[:8])
        groups = math.ceil(dim / self.slots)
        w = self._width
        body = data[8:]
        if len(body) != a * groups * w:
            raise TransferKitInputError(
                f"a Paillier message has {len(body)} bytes where {a * groups * w} were "
                "expected; the partner uses different key parameters."
            )
        cts = [
            [
                gmpy2.mpz(
                    int.from_bytes(body[(r * groups + g) * w : (r * groups + g + 1) * w], "big")
                )
                for g in range(groups)
            ]
            for r in range(a)
        ]
        return a, dim, cts

    def rows_from_bytes(self, data: bytes) -> EncryptedRows:
        n_rows, dim, cts = self._read_cts(data)
        return _Rows(cts, n_rows, dim, self._width)

    def masked_from_bytes(self, data: bytes) -> Masked:
        n_cols, dim, cts = self._read_cts(data)
        return _Masked(cts, n_cols, dim, self._width)

    # -- the protocol's operations ----------------------------------------------------
    def encrypt_rows(self, X: np.ndarray) -> EncryptedRows:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        bound = 2.0**self.value_bound_bits
        if X.size and float(np.max(np.abs(X))) >= bound:
            # the message may travel to the partner: it names the bound, never the value
            raise PackingOverflowError(
                f"a value to encrypt is not below 2**value_bound_bits = {bound:.4g}; scale "
                "the features down (e.g. standardise them) or raise value_bound_bits."
            )
        ints = np.rint(X * 2.0**self.precision_bits).astype(np.int64).tolist()
        k, S = self.slot_bits, self.slots
        packed = [[_pack(row[g : g + S], k) for g in range(0, len(row), S)] for row in ints]
        if self.n_jobs > 1 and len(packed) >= 4 * self.n_jobs:
            flat = [m for row in packed for m in row]
            groups = len(packed[0])
            enc = [
                _gmpy2().mpz(c)
                for part in self._pool().map(_work_encrypt, _chunks(flat, self.n_jobs))
                for c in part
            ]
            cts = [enc[i * groups : (i + 1) * groups] for i in range(len(packed))]
        else:
            cts = [[self._encrypt_int(m) for m in row] for row in packed]
        return _Rows(cts, X.shape[0], X.shape[1], self._width)

    def _pool(self) -> Any:
        """Worker processes holding this public key (made once, reused every round)."""
        key = (self.to_bytes(), self.n_jobs)
        if key not in _POOLS:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            _POOLS[key] = ProcessPoolExecutor(
                max_workers=self.n_jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_work_init,
                initargs=(self.to_bytes(),),
            )
        return _POOLS[key]

    def combine(self, rows: EncryptedRows, coeffs: np.ndarray) -> EncryptedCols:
        assert isinstance(rows, _Rows)
        coeffs = np.atleast_2d(np.asarray(coeffs, dtype=float))
        if coeffs.shape[0] != rows.n_rows:
            raise TransferKitInputError(
                f"coeffs has {coeffs.shape[0]} rows for {rows.n_rows} encrypted rows."
            )
        C = np.rint(coeffs * 2.0**self.coeff_bits).astype(np.int64)
        worst = np.abs(C).astype(float).sum(axis=0) * 2.0 ** (
            self.value_bound_bits + self.precision_bits
        )
        if worst.size and float(worst.max()) >= 2.0**self.value_bits:
            raise PackingOverflowError(
                f"a combination can reach 2**{math.log2(float(worst.max())):.1f}, more than "
                f"the 2**{self.value_bits} a {self.slot_bits}-bit slot holds beside its "
                f"{MASK_BITS}-bit mask; raise slot_bits (fewer values per ciphertext), lower "
                "precision_bits or value_bound_bits, or use fewer samples per round."
            )
        groups = len(rows.cts[0]) if rows.cts else 0
        bases = [[r[g] for r in rows.cts] for g in range(groups)]
        if self.n_jobs > 1 and C.shape[1] >= 2:
            plain_bases = [[int(b) for b in group] for group in bases]
            jobs = [(plain_bases, part) for part in _chunks(list(C.T), self.n_jobs)]
            mpz = _gmpy2().mpz
            out = [
                [mpz(c) for c in col]
                for part in self._pool().map(_work_combine, jobs)
                for col in part
            ]
        else:
            out = [[self._signed_multi_exp(bases[g], col) for g in range(groups)] for col in C.T]
        return _Cols(out, rows.dim, self.precision_bits + self.coeff_bits)

    def _signed_multi_exp(self, bases: list[Any], exps: np.ndarray) -> Any:
        gmpy2 = _gmpy2()
        pos = [(b, int(e)) for b, e in zip(bases, exps, strict=True) if e > 0]
        neg = [(b, -int(e)) for b, e in zip(bases, exps, strict=True) if e < 0]
        result = _multi_exp(pos, self.n2)
        if neg:
            result = result * gmpy2.invert(_multi_exp(neg, self.n2), self.n2) % self.n2
        return result

    def mask(self, cols: EncryptedCols) -> tuple[Masked, Any]:
        assert isinstance(cols, _Cols)
        k, S, lo = self.slot_bits, self.slots, self.value_bits
        masks = np.empty((cols.n_cols, cols.dim), dtype=object)
        out = []
        for c_idx, col in enumerate(cols.cts):
            new = []
            for g, ct in enumerate(col):
                width = min(S, cols.dim - g * S)
                r = [(1 << lo) + secrets.randbits(lo + MASK_BITS - 1) for _ in range(width)]
                masks[c_idx, g * S : g * S + width] = r
                plain = (1 + _pack(r, k) * self.n) % self.n2
                new.append(ct * plain % self.n2 * self._obfuscator() % self.n2)
            out.append(new)
        return _Masked(out, cols.n_cols, cols.dim, self._width), (masks, cols.scale_bits)

    def unmask(self, payload: np.ndarray, mask: Any) -> np.ndarray:
        masks, scale_bits = mask
        diff = np.asarray(payload, dtype=object) - masks
        return np.vectorize(lambda v: float(int(v)) / 2.0**scale_bits, otypes=[float])(diff)


_POOLS: dict[tuple[bytes, int], Any] = {}
_WORKER: dict[str, Any] = {}


def _chunks(items: list[Any], n: int) -> list[list[Any]]:
    size = math.ceil(len(items) / n)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _work_init(public_bytes: bytes) -> None:
    _WORKER["key"] = PaillierScheme().public_from_bytes(public_bytes)


def _work_encrypt(packed: list[int]) -> list[int]:
    key = _WORKER["key"]
    return [int(key._encrypt_int(m)) for m in packed]


def _work_combine(job: tuple[list[list[int]], list[np.ndarray]]) -> list[list[int]]:
    key = _WORKER["key"]
    mpz = _gmpy2().mpz
    bases = [[mpz(b) for b in group] for group in job[0]]
    return [[int(key._signed_multi_exp(group, col)) for group in bases] for col in job[1]]


def _multi_exp(pairs: list[tuple[Any, int]], mod: Any) -> Any:
    """:math:`\\prod b^e \\bmod` ``mod`` by Pippenger's bucket method."""
    one = _gmpy2().mpz(1)
    if not pairs:
        return one
    max_bits = max(e.bit_length() for _, e in pairs)
    w = max(2, min(8, len(pairs).bit_length() - 5))
    digit_mask = (1 << w) - 1
    acc = one
    for window in reversed(range(math.ceil(max_bits / w))):
        if acc != 1:
            for _ in range(w):
                acc = acc * acc % mod
        buckets: list[Any] = [None] * (1 << w)
        shift = window * w
        for b, e in pairs:
            d = (e >> shift) & digit_mask
            if d:
                cur = buckets[d]
                buckets[d] = b if cur is None else cur * b % mod
        running = None
        total = None
        for d in range(digit_mask, 0, -1):
            if buckets[d] is not None:
                running = buckets[d] if running is None else running * buckets[d] % mod
            if running is not None:
                total = running if total is None else total * running % mod
        if total is not None:
            acc = acc * total % mod
    return acc


class _Secret(SecretKey):
    def __init__(self, public: _Public, private_key: Any) -> None:
        self.public = public
        self._private = private_key

    def _slots(self, ct: Any, width: int, signed: bool) -> list[int]:
        x = int(self._private.raw_decrypt(int(ct)))
        k = self.public.slot_bits
        n = int(self.public.n)
        if signed and x > n // 2:
            x -= n
        out = []
        for _ in range(width):
            v = x & ((1 << k) - 1)
            if signed and v >= 1 << (k - 1):
                v -= 1 << k
            out.append(v)
            x = (x - v) >> k
        if not signed and x != 0:
            raise PackingOverflowError("a decrypted packed value overflowed its slots.")
        return out

    def decrypt(self, masked: Masked) -> np.ndarray:
        assert isinstance(masked, _Masked)
        S = self.public.slots
        out = np.empty((masked.n_cols, masked.dim), dtype=object)
        for c, col in enumerate(masked.cts):
            for g, ct in enumerate(col):
                width = min(S, masked.dim - g * S)
                out[c, g * S : g * S + width] = self._slots(ct, width, signed=False)
        return out

    def decrypt_rows(self, rows: EncryptedRows) -> np.ndarray:
        assert isinstance(rows, _Rows)
        S = self.public.slots
        out = np.zeros((rows.n_rows, rows.dim))
        for r, row in enumerate(rows.cts):
            for g, ct in enumerate(row):
                width = min(S, rows.dim - g * S)
                vals = self._slots(ct, width, signed=True)
                out[r, g * S : g * S + width] = [v / 2.0**self.public.precision_bits for v in vals]
        return out


class PaillierScheme(Scheme):
    """Paillier with packed fixed-point slots.

    Parameters
    ----------
    key_bits : int, default=2048
        Modulus size (use 512 or 1024 only in tests).
    precision_bits : int, default=20
        Fixed-point fraction bits of values and coefficients.
    slot_bits : int, default=120
        Width of one packed slot (value + 40-bit mask + guard bits).
    value_bound_bits : int, default=10
        Public bound: encrypted values must satisfy :math:`|v| < 2^{b}`.
    n_jobs : int, default=1
        Worker processes (started once, reused every round) that share the encryptions
        and the multi-exponentiations of a round.

    Examples
    --------
    >>> sk = PaillierScheme(key_bits=512).keygen()
    >>> rows = sk.public.encrypt_rows(np.array([[1.5, -2.0], [0.25, 4.0]]))
    >>> masked, m = sk.public.mask(sk.public.combine(rows, np.array([[2.0], [-4.0]])))
    >>> sk.public.unmask(sk.decrypt(masked), m)
    array([[  2., -20.]])
    """

    name = "paillier"

    def __init__(
        self,
        key_bits: int = 2048,
        *,
        precision_bits: int = 20,
        slot_bits: int = 120,
        value_bound_bits: int = 10,
        n_jobs: int = 1,
    ) -> None:
        self.n_jobs = n_jobs
        self.key_bits = key_bits
        self.precision_bits = precision_bits
        self.slot_bits = slot_bits
        self.value_bound_bits = value_bound_bits

    def keygen(self) -> SecretKey:
        phe = require("phe", purpose="Paillier mode of transferkit.federated.ftl")
        gmpy2 = _gmpy2()
        pk, sk = phe.paillier.generate_paillier_keypair(n_length=self.key_bits)
        n = gmpy2.mpz(pk.n)
        x = gmpy2.mpz(secrets.randbelow(int(n) - 2) + 2)
        h = (-x * x) % n
        hs = gmpy2.powmod(h, n, n * n)
        public = _Public(
            int(n),
            int(hs),
            precision_bits=self.precision_bits,
            slot_bits=self.slot_bits,
            value_bound_bits=self.value_bound_bits,
        )
        public.n_jobs = self.n_jobs
        return _Secret(public, sk)

    def public_from_bytes(self, data: bytes) -> PublicKey:
        spec = json.loads(data.decode())
        if spec.get("scheme") != "paillier":
            raise TransferKitInputError(
                f"the partner's key is for scheme {spec.get('scheme')!r}, not 'paillier'; "
                "both parties must use the same --mode."
            )
        public = _Public(
            int(spec["n"], 16),
            int(spec["hs"], 16),
            precision_bits=int(spec["precision_bits"]),
            slot_bits=int(spec["slot_bits"]),
            value_bound_bits=int(spec["value_bound_bits"]),
        )
        public.n_jobs = self.n_jobs
        return public

    def describe(self) -> dict[str, Any]:
        return {
            "scheme": self.name,
            "key_bits": self.key_bits,
            "precision_bits": self.precision_bits,
            "slot_bits": self.slot_bits,
            "value_bound_bits": self.value_bound_bits,
        }
