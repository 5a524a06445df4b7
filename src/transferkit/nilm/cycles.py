r"""Steady-state mains cycles: zero crossings, a steady window, averaging and resampling.

V-I images and recurrence graphs describe *one* mains cycle of an appliance in steady
state. :func:`steady_cycles` gets it from a :class:`~transferkit.nilm.WaveformRecord`:

1. **Zero crossings.** The voltage, minus its mean, crosses zero upwards between samples
   :math:`k-1` and :math:`k` when :math:`v[k-1] < 0 \le v[k]`; the crossing time is
   interpolated linearly, :math:`t = k - 1 + v[k-1] / (v[k-1] - v[k])` (in samples).
   Crossings closer than half a nominal cycle :math:`T_0 = f_s / f_0` to the previous one
   are noise and are dropped. A crossing less than one sample before the first sample
   (rows cut at a crossing, as in PLAID) counts too.
2. **Cycles.** Consecutive crossings :math:`t_c, t_{c+1}` bound cycle :math:`c` when their
   distance is within 10 % of :math:`T_0`; the last crossing opens one more cycle of length
   :math:`T_0` when the record covers it but for at most 5 % of a cycle, which is then
   read one period earlier, :math:`x(t) = x(t - T_0)` (so a row that holds exactly one
   cycle, cut at a crossing as in PLAID, gives that cycle).
3. **Resampling.** Cycle :math:`c` is read at :math:`N` equally spaced phases,
   :math:`x_c[j] = x(t_c + (t_{c+1} - t_c)\, j / N)`, :math:`j = 0..N-1`, by linear
   interpolation. Every cycle, whatever :math:`f_s` and :math:`f_0`, thus has the same
   :math:`N` points starting at a rising voltage zero crossing: a 50 Hz and a 60 Hz record
   of the same load give the same cycle. (The interpolation error of a sine is below
   :math:`(\pi / M)^2 / 2` of its amplitude, :math:`M` samples per cycle.)
4. **Steady window.** With :math:`r_c` the RMS current of cycle :math:`c`, the appliance is
   on from the first cycle with :math:`r_c \ge \rho \max_c r_c` (``on_fraction``
   :math:`\rho`). Skipping ``skip_cycles`` cycles of turn-on transient, the window is the
   first run of ``n_cycles`` consecutive cycles whose relative RMS spread
   :math:`(\max r - \min r) / \bar r` is at most ``tolerance``; if none is, the run with the
   smallest spread. A record shorter than that uses its last ``n_cycles`` cycles (all of
   them if it has fewer).
5. **Averaging.** The window's resampled cycles are averaged sample by sample (they are
   phase-aligned at the crossings), which lowers uncorrelated noise by
   :math:`\sqrt{n_\text{cycles}}`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_matrix, check_positive
from transferkit.nilm.waveforms import WaveformRecord

__all__ = [
    "CycleInfo",
    "resample_cycles",
    "rising_zero_crossings",
    "steady_cycles",
    "steady_cycles_batch",
]

_PERIOD_TOLERANCE = 0.1
_END_SLACK = 0.05  # the last cycle may run this fraction of a period past the end


@dataclass(frozen=True)
class CycleInfo:
    """Where :func:`steady_cycles` took its cycles from (with ``return_info=True``).

    Attributes
    ----------
    n_cycles_found : int
        Whole cycles found in the record.
    onset : int
        First cycle in which the appliance is on.
    start : int
        First averaged cycle.
    n_averaged : int
        Number of averaged cycles.
    spread : float
        Relative RMS-current spread :math:`(\\max r - \\min r) / \\bar r` of the window.
    steady : bool
        Whether the window met ``tolerance``.
    start_time : float
        Start of the first averaged cycle, in seconds from the first sample.
    """

    n_cycles_found: int
    onset: int
    start: int
    n_averaged: int
    spread: float
    steady: bool
    start_time: float


def rising_zero_crossings(voltage: Any, sampling_rate: float, mains_frequency: float) -> np.ndarray:
    """Interpolated times (in samples) at which the voltage crosses zero upwards.

    Parameters
    ----------
    voltage : array-like of shape (n_samples,)
    sampling_rate, mains_frequency : float
        In Hz; crossings closer than half a nominal cycle to the previous one are dropped.

    Returns
    -------
    numpy.ndarray of float
        Crossing times in samples (fractional), increasing.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(1000) / 10_000.0
    >>> rising_zero_crossings(np.sin(2 * np.pi * 50 * t - 0.5), 10_000, 50).round(2).tolist()
    [15.92, 215.92, 415.92, 615.92, 815.92]
    """
    v = np.asarray(voltage, dtype=np.float64)
    v = v - v.mean()
    period = float(sampling_rate) / float(mains_frequency)
    k = np.flatnonzero((v[:-1] < 0) & (v[1:] >= 0)) + 1
    t = (k - 1) + v[k - 1] / (v[k - 1] - v[k])
    if v.size > 1 and v[0] >= 0 and v[1] > v[0] and v[0] < v[1] - v[0]:
        t = np.concatenate([[-v[0] / (v[1] - v[0])], t])  # crossing within a sample before
    kept: list[float] = []
    for x in t:
        if not kept or x - kept[-1] >= 0.5 * period:
            kept.append(float(x))
    return np.asarray(kept)


def _cycle_bounds(v: np.ndarray, fs: float, f0: float, n_points: int) -> np.ndarray:
    period = fs / f0
    t = rising_zero_crossings(v, fs, f0)
    bounds = [
        (a, b) for a, b in itertools.pairwise(t) if abs((b - a) / period - 1) <= _PERIOD_TOLERANCE
    ]
    if t.size:
        a = t[-1]
        if a + period * (n_points - 1) / n_points <= v.size - 1 + _END_SLACK * period:
            bounds.append((a, a + period))
    return np.asarray(bounds, dtype=np.float64).reshape(-1, 2)


def _resample(x: np.ndarray, bounds: np.ndarray, n_points: int, period: float) -> np.ndarray:
    phase = np.arange(n_points) / n_points
    pos = bounds[:, :1] + (bounds[:, 1:] - bounds[:, :1]) * phase
    # past the last sample (the last cycle of a row cut at a crossing), read one period back
    late = (pos > x.size - 1) & (pos - period >= 0)
    pos = np.where(late, pos - period, pos)
    return np.interp(pos, np.arange(x.size), x)


def _check_record(record: Any, name: str = "record") -> WaveformRecord:
    if not isinstance(record, WaveformRecord):
        raise TransferKitInputError(
            f"{name} must be a WaveformRecord; got {type(record).__name__}. Wrap arrays with "
            "WaveformRecord(voltage, current, sampling_rate, mains_frequency)."
        )
    return record


def _check_fraction(name: str, value: Any, *, closed_low: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise TransferKitInputError(f"{name} must be a number; got {value!r}.")
    value = float(value)
    ok = (0 <= value if closed_low else 0 < value) and value <= 1 and np.isfinite(value)
    if not ok:
        raise TransferKitInputError(
            f"{name} must be in {'[0' if closed_low else '(0'}, 1]; got {value!r}."
        )
    return value


def steady_cycles(
    record: WaveformRecord,
    n_points: int = 256,
    n_cycles: int = 10,
    *,
    skip_cycles: int = 2,
    on_fraction: float = 0.1,
    tolerance: float = 0.05,
    return_info: bool = False,
) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, CycleInfo]:
    """One averaged steady-state mains cycle of voltage and current, at ``n_points`` phases.

    See the module docstring for the maths (crossings, window, averaging, resampling).

    Parameters
    ----------
    record : WaveformRecord
    n_points : int, default=256
        Points per cycle of the output (whatever the record's samples per cycle).
    n_cycles : int, default=10
        Cycles averaged.
    skip_cycles : int, default=2
        Cycles skipped after the turn-on (transient, inrush).
    on_fraction : float in (0, 1], default=0.1
        A cycle counts as "on" when its RMS current is at least this fraction of the
        record's largest.
    tolerance : float in [0, 1], default=0.05
        Largest relative spread of the RMS current within a steady window.
    return_info : bool, default=False
        Also return a :class:`CycleInfo`.

    Returns
    -------
    voltage_cycle, current_cycle : numpy.ndarray of shape (n_points,)
        Starting at a rising voltage zero crossing.
    info : CycleInfo
        Only with ``return_info=True``.

    Raises
    ------
    TransferKitInputError
        The voltage has no full mains cycle near the nominal period (wrong
        ``mains_frequency`` or ``sampling_rate``, or a voltage channel holding current).

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.nilm import WaveformRecord
    >>> fs, f0 = 10_000, 50
    >>> t = np.arange(4000) / fs                                   # 20 cycles
    >>> on = t >= 0.1                                   # switched on during cycle 4
    >>> rec = WaveformRecord(325 * np.sin(2 * np.pi * f0 * t + 1.0),
    ...                      on * 2 * np.sin(2 * np.pi * f0 * t + 1.0), fs, f0)
    >>> v, i, info = steady_cycles(rec, n_points=100, n_cycles=4, return_info=True)
    >>> v.shape, (info.onset, info.start, info.n_averaged)
    ((100,), (4, 6, 4))
    >>> bool(np.allclose(i, 2 * np.sin(2 * np.pi * np.arange(100) / 100), atol=1e-2))
    True
    """
    rec = _check_record(record)
    check_positive("n_points", n_points, integer=True)
    check_positive("n_cycles", n_cycles, integer=True)
    check_positive("skip_cycles", skip_cycles, integer=True, strict=False)
    if n_points < 4:
        raise TransferKitInputError(f"n_points must be at least 4; got {n_points}.")
    on_fraction = _check_fraction("on_fraction", on_fraction, closed_low=False)
    tolerance = _check_fraction("tolerance", tolerance, closed_low=True)

    bounds = _cycle_bounds(rec.voltage, rec.sampling_rate, rec.mains_frequency, n_points)
    if bounds.shape[0] == 0:
        raise TransferKitInputError(
            f"the voltage of {rec!r} has no full mains cycle of about "
            f"{rec.samples_per_cycle:.1f} samples between rising zero crossings; check "
            "mains_frequency and sampling_rate, and that the voltage channel is not the "
            "current (or all zeros)."
        )
    period = rec.samples_per_cycle
    V = _resample(rec.voltage, bounds, n_points, period)
    I = _resample(rec.current, bounds, n_points, period)  # noqa: E741
    rms = np.sqrt(np.mean(I**2, axis=1))
    n_found = rms.size
    top = float(rms.max())
    onset = int(np.argmax(rms >= on_fraction * top)) if top > 0 else 0
    first = onset + int(skip_cycles)
    width = int(n_cycles)

    def spread(s: int, w: int) -> float:
        r = rms[s : s + w]
        mean = r.mean()
        return float((r.max() - r.min()) / mean) if mean > 0 else 0.0

    if n_found - first >= width:
        spreads = np.array([spread(s, width) for s in range(first, n_found - width + 1)])
        ok = np.flatnonzero(spreads <= tolerance)
        start = first + int(ok[0] if ok.size else np.argmin(spreads))
    else:
        width = min(width, n_found)
        start = n_found - width
    s = spread(start, width)
    v_cycle = V[start : start + width].mean(axis=0)
    i_cycle = I[start : start + width].mean(axis=0)
    if not return_info:
        return v_cycle, i_cycle
    info = CycleInfo(
        n_cycles_found=int(n_found),
        onset=onset,
        start=int(start),
        n_averaged=int(width),
        spread=s,
        steady=bool(s <= tolerance),
        start_time=float(bounds[start, 0] / rec.sampling_rate),
    )
    return v_cycle, i_cycle, info


def steady_cycles_batch(
    records: Iterable[WaveformRecord], n_points: int = 256, n_cycles: int = 10, **kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`steady_cycles` of many records, stacked.

    Parameters
    ----------
    records : iterable of WaveformRecord (e.g. a :class:`~transferkit.nilm.WaveformSet`)
    n_points, n_cycles, **kwargs
        As for :func:`steady_cycles` (``return_info`` is not accepted here).

    Returns
    -------
    voltage_cycles, current_cycles : numpy.ndarray of shape (n_records, n_points)

    Examples
    --------
    >>> import numpy as np
    >>> from transferkit.nilm import WaveformRecord
    >>> def sine(fs, f0):
    ...     t = np.arange(int(fs // f0) * 12) / fs
    ...     return WaveformRecord(np.sin(2 * np.pi * f0 * t), np.sin(2 * np.pi * f0 * t), fs, f0)
    >>> V, I = steady_cycles_batch([sine(6400, 50), sine(30_000, 60)], n_points=64)
    >>> V.shape, bool(np.abs(V[0] - V[1]).max() < 1e-3)     # 50 Hz and 60 Hz: same cycle
    ((2, 64), True)
    """
    if "return_info" in kwargs:
        raise TransferKitInputError(
            "steady_cycles_batch does not take return_info; call steady_cycles per record."
        )
    recs = list(records)
    if not recs:
        raise TransferKitInputError("records is empty; pass at least one WaveformRecord.")
    out_v = np.empty((len(recs), int(n_points)))
    out_i = np.empty((len(recs), int(n_points)))
    for k, rec in enumerate(recs):
        _check_record(rec, f"records[{k}]")
        try:
            out_v[k], out_i[k] = steady_cycles(rec, n_points, n_cycles, **kwargs)  # type: ignore[misc]
        except TransferKitInputError as exc:
            raise type(exc)(f"records[{k}]: {exc}") from None
    return out_v, out_i


def resample_cycles(cycles: Any, n_points: int) -> np.ndarray:
    """Resample one-cycle rows (already cut at a crossing) to ``n_points`` per cycle.

    Each row is read as one period of a periodic signal, :math:`x_c[j] = x(M j / N)` with
    :math:`M` the row's samples and linear interpolation that wraps from the last sample to
    the first. Use it to bring cycles of different sampling rates or mains frequencies
    (e.g. PLAID's 500-sample rows and HFHAD-C's 128-sample cycles) to the same grid.

    Parameters
    ----------
    cycles : array-like of shape (n_cycles, n_samples) or (n_samples,)
    n_points : int

    Returns
    -------
    numpy.ndarray of shape (n_cycles, n_points) (or (n_points,) for 1-D input)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.sin(2 * np.pi * np.arange(500) / 500)
    >>> y = resample_cycles(x, 128)
    >>> y.shape, bool(np.allclose(y, np.sin(2 * np.pi * np.arange(128) / 128), atol=1e-4))
    ((128,), True)
    """
    check_positive("n_points", n_points, integer=True)
    single = np.ndim(cycles) == 1
    X = check_matrix(np.atleast_2d(cycles), "cycles")
    if X.shape[1] < 2:
        raise TransferKitInputError("each cycle needs at least 2 samples.")
    m = X.shape[1]
    pos = np.arange(int(n_points)) * (m / int(n_points))
    base = np.arange(m + 1)
    out = np.stack([np.interp(pos, base, np.append(row, row[0])) for row in X])
    return out[0] if single else out
