"""Validation and small helpers shared by the distance functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from transferkit._validation import (
    DomainMismatchError,
    TransferKitInputError,
    check_matrix,
    check_option,
    check_positive,
)

__all__ = ["DistanceResult", "check_pair", "check_precision", "check_block"]


def check_pair(
    X: Any, Y: Any, *, min_samples: int = 2, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """Validate two samples ``X`` and ``Y`` drawn from the two domains.

    Both are 2-D, finite, with at least ``min_samples`` rows and the same number of
    columns. numpy arrays, lists and torch tensors are accepted; new arrays are returned.
    """
    Xa = check_matrix(X, "X", min_samples=min_samples, dtype=dtype)
    Ya = check_matrix(Y, "Y", min_samples=min_samples, dtype=dtype)
    if Xa.shape[1] != Ya.shape[1]:
        raise DomainMismatchError(
            f"X has {Xa.shape[1]} features but Y has {Ya.shape[1]}; distances compare two "
            "samples of one feature space, so both need the same columns."
        )
    return Xa, Ya


def check_precision(dtype: Any) -> np.dtype:
    """``"float64"``/``"float32"`` (or the numpy types) as a numpy dtype."""
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    check_option("dtype", name, ("float64", "float32"))
    return np.dtype(name)


def check_block(block_size: Any) -> int:
    """Validate a block size (a positive integer)."""
    check_positive("block_size", block_size, integer=True)
    return int(block_size)


@dataclass
class DistanceResult:
    """A distance (or score) between two domains with its uncertainty.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"mmd2_unbiased"``.
    value : float
        The estimate.
    p_value : float or None
        Permutation (or asymptotic) p-value of "both samples come from one distribution".
    ci_low, ci_high : float or None
        Bootstrap percentile interval.
    details : dict
        Settings used (kernel bandwidth, number of permutations, ...).
    """

    name: str
    value: float
    p_value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready dictionary."""
        return {
            "name": self.name,
            "value": float(self.value),
            "p_value": None if self.p_value is None else float(self.p_value),
            "ci_low": None if self.ci_low is None else float(self.ci_low),
            "ci_high": None if self.ci_high is None else float(self.ci_high),
            "details": self.details,
        }


def positive_or_raise(value: float, name: str, hint: str) -> float:
    """Raise a clear error when a scale estimate is zero."""
    if not np.isfinite(value) or value <= 0:
        raise TransferKitInputError(f"{name} is {value!r}; {hint}")
    return float(value)
