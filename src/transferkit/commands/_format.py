"""Small formatting helpers shared by the command bodies."""

from __future__ import annotations

import math

__all__ = ["fmt_number"]


def fmt_number(value: float | None) -> str:
    """Four significant digits, or ``-`` for a missing / NaN value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"
