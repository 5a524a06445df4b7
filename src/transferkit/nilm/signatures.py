r"""Electrical signatures of a steady mains cycle: power factor, harmonics, crest factor.

For one (or a whole number of) mains cycle(s) of voltage :math:`v` and current
:math:`i` sampled uniformly,

.. math::
    P = \overline{v\,i},\qquad
    \mathrm{PF} = \frac{P}{V_{rms} I_{rms}},\qquad
    \mathrm{CF} = \frac{\max |i|}{I_{rms}},\qquad
    r_h = \frac{|I_h|}{|I_1|},

where :math:`I_h` is the :math:`h`-th harmonic of the current (DFT bin :math:`h` times
the number of cycles). These are the quantities appliance data sets are described by
(PLAID, HFHAD-C) and the ones the simulator is calibrated against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_matrix, check_positive

__all__ = ["Signature", "cycle_signature", "cycle_signatures"]


@dataclass(frozen=True)
class Signature:
    """Signature of one steady cycle (see the module docstring)."""

    power: float
    power_factor: float
    crest_factor: float
    current_rms: float
    harmonics: tuple[float, ...]  # r_2, r_3, ... r_{n}

    def harmonic(self, h: int) -> float:
        """:math:`|I_h| / |I_1|` for ``h >= 2``."""
        return self.harmonics[h - 2]


def cycle_signatures(voltage: Any, current: Any, n_cycles: int = 1, max_harmonic: int = 7):
    """Signatures of every row of ``voltage``/``current`` (each row: ``n_cycles`` cycles).

    Returns
    -------
    list of Signature

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    >>> s = cycle_signatures(np.sin(t)[None], np.sin(t - np.pi / 3)[None])[0]
    >>> round(s.power_factor, 6), round(s.crest_factor, 4), round(s.harmonic(3), 6)
    (0.5, 1.4142, 0.0)
    """
    check_positive("n_cycles", n_cycles, integer=True)
    check_positive("max_harmonic", max_harmonic, integer=True)
    V = check_matrix(np.atleast_2d(voltage), "voltage", min_samples=1)
    I = check_matrix(np.atleast_2d(current), "current", min_samples=1)  # noqa: E741
    if V.shape != I.shape:
        raise TransferKitInputError(
            f"voltage and current must have the same shape; got {V.shape} and {I.shape}."
        )
    if V.shape[1] < 2 * n_cycles * (max_harmonic + 1):
        raise TransferKitInputError(
            f"{V.shape[1]} samples are too few for harmonic {max_harmonic} over {n_cycles} "
            f"cycle(s): give at least {2 * n_cycles * (max_harmonic + 1)} samples per row."
        )
    out = []
    for v, i in zip(V, I, strict=True):
        v = v - v.mean()
        p = float(np.mean(v * i))
        vr, ir = float(np.sqrt(np.mean(v**2))), float(np.sqrt(np.mean(i**2)))
        spec = np.abs(np.fft.rfft(i))
        first = max(spec[n_cycles], np.finfo(float).tiny)
        ratios = tuple(float(spec[h * n_cycles] / first) for h in range(2, max_harmonic + 1))
        tiny = np.finfo(float).tiny
        out.append(
            Signature(
                power=p,
                power_factor=p / max(vr * ir, tiny),
                crest_factor=float(np.abs(i).max()) / max(ir, tiny),
                current_rms=ir,
                harmonics=ratios,
            )
        )
    return out


def cycle_signature(voltage: Any, current: Any, n_cycles: int = 1) -> Signature:
    """:func:`cycle_signatures` of one record (1-D arrays).

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    >>> round(cycle_signature(np.sin(t), np.sin(t)).power_factor, 6)
    1.0
    """
    return cycle_signatures(np.ravel(voltage)[None], np.ravel(current)[None], n_cycles)[0]
