"""A small vertically split problem shared by the FTL tests."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np


@dataclass
class Problem:
    X_a: np.ndarray
    y_a: np.ndarray
    ids_a: np.ndarray
    X_b: np.ndarray
    ids_b: np.ndarray
    y_b: np.ndarray
    overlap: np.ndarray


def make_problem(
    n_a: int = 50, n_b: int = 45, n_overlap: int = 30, p_a: int = 3, p_b: int = 4, seed: int = 0
) -> Problem:
    """A and B see different noisy views of one latent factor that decides the label."""
    rng = np.random.default_rng(seed)
    n_total = n_a + n_b - n_overlap
    z = rng.normal(size=n_total)
    y = np.where(z > 0, "pos", "neg")
    ids = rng.permutation(10_000)[:n_total] + 1000
    a_rows = np.arange(n_a)  # the first n_overlap are shared
    b_rows = np.concatenate([np.arange(n_overlap), np.arange(n_a, n_total)])
    X_a = z[a_rows, None] * rng.normal(size=p_a) + 0.5 * rng.normal(size=(n_a, p_a))
    X_b = z[b_rows, None] * rng.normal(size=p_b) + 0.5 * rng.normal(size=(n_b, p_b))
    # shuffle B's rows so that alignment is needed
    perm = rng.permutation(n_b)
    return Problem(
        X_a,
        y[a_rows],
        ids[a_rows],
        X_b[perm],
        ids[b_rows][perm],
        y[b_rows][perm],
        ids[:n_overlap],
    )


#: Values planted in each party's raw features; no message or log may carry them.
CANARY_A = 7.123456789012345
CANARY_B = -5.987654321098765
#: Label strings planted in party A's labels.
CANARY_LABELS = ("canary-label-yes", "canary-label-no")


def canary_forms(value: float) -> list[bytes]:
    """The byte forms a leaked float could take: IEEE single/double, text, fixed point."""
    forms = [
        struct.pack("<d", value),
        struct.pack(">d", value),
        struct.pack("<f", value),
        struct.pack(">f", value),
        repr(value).encode(),
        f"{value:.6f}".encode(),
    ]
    for bits in (16, 20, 40):
        fixed = round(value * 2**bits)
        for width in (8, 16):
            forms.append(fixed.to_bytes(width, "big", signed=True))
            forms.append(fixed.to_bytes(width, "little", signed=True))
    return forms
