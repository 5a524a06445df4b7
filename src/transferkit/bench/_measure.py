"""Wall time and peak memory of one benchmark cell.

Two memory figures are recorded, because neither alone is complete:

* ``peak_traced_bytes``: the peak of :mod:`tracemalloc` during fit + predict, i.e. the
  largest amount of memory allocated *through Python's allocators* at any moment
  (numpy arrays included, BLAS/LAPACK work space and torch tensors not included);
* ``peak_rss_delta_bytes``: the rise of the process's resident set size above its level
  at the start of the cell (Linux: the ``VmHWM`` high-water mark is reset through
  ``/proc/self/clear_refs``; ``None`` where that is unavailable). It includes native
  allocations but also page-cache effects, so it is coarse (page granularity).
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Measurement", "measure"]


@dataclass
class Measurement:
    """Filled in by :func:`measure` when its ``with`` block ends."""

    seconds: float = 0.0
    peak_traced_bytes: int | None = None
    peak_rss_delta_bytes: int | None = None


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover - non-Linux
        return None
    return None  # pragma: no cover


def _reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:  # pragma: no cover - non-Linux or restricted
        return False


@contextmanager
def measure(*, trace_memory: bool = True, rss: bool = True) -> Iterator[Measurement]:
    """Measure wall time and peak memory of the enclosed block."""
    result = Measurement()
    rss_ok = rss and _reset_rss_peak()
    rss_before = _status_kib("VmRSS") if rss_ok else None
    started_tracing = False
    if trace_memory:
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            started_tracing = True
        tracemalloc.reset_peak()
        traced_before = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        if trace_memory:
            result.peak_traced_bytes = max(0, tracemalloc.get_traced_memory()[1] - traced_before)
            if started_tracing:
                tracemalloc.stop()
        if rss_ok and rss_before is not None:
            peak = _status_kib("VmHWM")
            if peak is not None:
                result.peak_rss_delta_bytes = max(0, peak - rss_before) * 1024
