"""Non-intrusive load monitoring (NILM): waveforms, steady cycles, V-I images, labels.

- :mod:`~transferkit.nilm.waveforms`: :class:`WaveformRecord` (one recording) and
  :class:`WaveformSet` (many, with labels and houses);
- :mod:`~transferkit.nilm.cycles`: :func:`steady_cycles` (one averaged steady-state cycle
  at N points, from voltage zero crossings) and :func:`resample_cycles`;
- :mod:`~transferkit.nilm.vi`: :func:`vi_image` (binary, weighted, colour V-I images and
  weighted recurrence graphs).
"""

from transferkit.nilm.cycles import (
    CycleInfo,
    resample_cycles,
    rising_zero_crossings,
    steady_cycles,
    steady_cycles_batch,
)
from transferkit.nilm.vi import ENCODINGS, piecewise_aggregate, vi_binary_image, vi_image
from transferkit.nilm.waveforms import WaveformRecord, WaveformSet

__all__ = [
    "ENCODINGS",
    "CycleInfo",
    "WaveformRecord",
    "WaveformSet",
    "piecewise_aggregate",
    "resample_cycles",
    "rising_zero_crossings",
    "steady_cycles",
    "steady_cycles_batch",
    "vi_binary_image",
    "vi_image",
]
