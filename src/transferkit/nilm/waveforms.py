"""Waveform records: sampled mains voltage and current of one appliance, with their labels.

A :class:`WaveformRecord` is one measurement: voltage :math:`v[k]` and current
:math:`i[k]` sampled at :math:`f_s` Hz on a grid of mains frequency :math:`f_0` Hz, so one
mains cycle spans :math:`f_s / f_0` samples (500 for PLAID, 30 kHz at 60 Hz; 128 for
HFHAD-C, 6.4 kHz at 50 Hz). :class:`WaveformSet` holds many records with their labels and
house (domain) ids, as the loaders of :mod:`transferkit.datasets` and
:mod:`transferkit.nilm.formats` return them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError

__all__ = ["WaveformRecord", "WaveformSet"]


def _signal(name: str, value: Any) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)  # a copy: the caller's array is never shared
    except (TypeError, ValueError) as exc:
        raise TransferKitInputError(
            f"{name} must be a 1-D array of numbers (one sample per entry); could not convert "
            f"a {type(value).__name__}: {exc}."
        ) from None
    if arr.ndim != 1:
        raise TransferKitInputError(
            f"{name} must be 1-D (one sample per entry); got shape {arr.shape}. Pass one "
            "recording per WaveformRecord."
        )
    if arr.size < 2:
        raise TransferKitInputError(f"{name} needs at least 2 samples; got {arr.size}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise TransferKitInputError(
            f"{name} holds {int(bad.sum())} NaN or infinite sample(s) (first at index "
            f"{int(np.argmax(bad))}); drop or interpolate them before building the record."
        )
    arr.flags.writeable = False
    return arr


def _rate(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TransferKitInputError(f"{name} must be a number in Hz; got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise TransferKitInputError(f"{name} must be a finite number of Hz > 0; got {value!r}.")
    return value


def _optional_str(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, np.str_)):
        return str(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    raise TransferKitInputError(f"{name} must be a string (or None); got {value!r}.")


@dataclass(frozen=True)
class WaveformRecord:
    """One recording of mains voltage and current (read-only copies, validated).

    Parameters
    ----------
    voltage, current : array-like of shape (n_samples,)
        Instantaneous voltage (V) and current (A), sampled together. They are copied to
        read-only float64 arrays.
    sampling_rate : float
        Samples per second :math:`f_s` (Hz).
    mains_frequency : float
        Nominal mains frequency :math:`f_0` (Hz): 50 or 60 in practice. It must leave at
        least 4 samples per cycle (:math:`f_s \\geq 4 f_0`).
    label : str, optional
        Appliance type as the data set names it (see :mod:`transferkit.nilm.labels`).
    house : str, optional
        Where it was measured (the domain for leave-one-house-out evaluation).
    instance : str, optional
        Identifier of the recording or appliance instance in its data set.
    meta : mapping, optional
        Anything else the data set publishes (brand, status, file name, ...).

    Raises
    ------
    TransferKitInputError
        Shapes differ, samples are not finite, rates are not positive, or fewer than 4
        samples per mains cycle.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(600) / 30_000.0                     # 20 ms at 30 kHz
    >>> rec = WaveformRecord(170 * np.sin(2 * np.pi * 50 * t), np.sin(2 * np.pi * 50 * t),
    ...                      sampling_rate=30_000, mains_frequency=50, label="kettle")
    >>> rec.samples_per_cycle, rec.n_cycles, rec.label
    (600.0, 1.0, 'kettle')
    """

    voltage: np.ndarray
    current: np.ndarray
    sampling_rate: float
    mains_frequency: float
    label: str | None = None
    house: str | None = None
    instance: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        v = _signal("voltage", self.voltage)
        i = _signal("current", self.current)
        if v.shape != i.shape:
            raise TransferKitInputError(
                f"voltage and current must have the same number of samples; got {v.size} and "
                f"{i.size}. Cut both to the same window."
            )
        fs = _rate("sampling_rate", self.sampling_rate)
        f0 = _rate("mains_frequency", self.mains_frequency)
        if fs < 4 * f0:
            raise TransferKitInputError(
                f"sampling_rate={fs:g} Hz leaves {fs / f0:.2f} samples per mains cycle at "
                f"mains_frequency={f0:g} Hz; V-I features need at least 4 (check the units: "
                "both are in Hz)."
            )
        if not isinstance(self.meta, Mapping):
            raise TransferKitInputError(f"meta must be a mapping; got {type(self.meta).__name__}.")
        object.__setattr__(self, "voltage", v)
        object.__setattr__(self, "current", i)
        object.__setattr__(self, "sampling_rate", fs)
        object.__setattr__(self, "mains_frequency", f0)
        object.__setattr__(self, "label", _optional_str("label", self.label))
        object.__setattr__(self, "house", _optional_str("house", self.house))
        object.__setattr__(self, "instance", _optional_str("instance", self.instance))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(self.voltage.size)

    @property
    def duration(self) -> float:
        """Length in seconds, :math:`n / f_s`."""
        return self.n_samples / self.sampling_rate

    @property
    def samples_per_cycle(self) -> float:
        """Nominal samples per mains cycle, :math:`f_s / f_0` (not always an integer)."""
        return self.sampling_rate / self.mains_frequency

    @property
    def n_cycles(self) -> float:
        """Nominal number of mains cycles in the record."""
        return self.n_samples / self.samples_per_cycle

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WaveformRecord):
            return NotImplemented
        return (
            np.array_equal(self.voltage, other.voltage)
            and np.array_equal(self.current, other.current)
            and (self.sampling_rate, self.mains_frequency, self.label, self.house, self.instance)
            == (
                other.sampling_rate,
                other.mains_frequency,
                other.label,
                other.house,
                other.instance,
            )
            and dict(self.meta) == dict(other.meta)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"WaveformRecord(n_samples={self.n_samples}, sampling_rate={self.sampling_rate:g}, "
            f"mains_frequency={self.mains_frequency:g}, label={self.label!r}, "
            f"house={self.house!r}, instance={self.instance!r})"
        )


@dataclass(frozen=True)
class WaveformSet(Sequence[WaveformRecord]):
    """Many :class:`WaveformRecord` s, with their labels and houses as arrays.

    Parameters
    ----------
    records : iterable of WaveformRecord
    name : str, optional
        Name of the data set (for messages and reports).

    Attributes
    ----------
    labels : numpy.ndarray of str, shape (n_records,)
        ``record.label`` of every record (``""`` where unknown).
    houses : numpy.ndarray of str or None
        ``record.house`` of every record, or ``None`` when no record knows its house.
    class_names : tuple of str
        Sorted distinct labels.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(1000) / 10_000.0
    >>> recs = [WaveformRecord(np.sin(2 * np.pi * 50 * t), a * np.sin(2 * np.pi * 50 * t),
    ...                        10_000, 50, label=lab, house=h)
    ...         for a, lab, h in [(1, "kettle", "h1"), (2, "fridge", "h1"), (3, "kettle", "h2")]]
    >>> ws = WaveformSet(recs, name="toy")
    >>> len(ws), ws.class_names, ws.houses.tolist()
    (3, ('fridge', 'kettle'), ['h1', 'h1', 'h2'])
    >>> ws.y.tolist()                               # integer codes into class_names
    [1, 0, 1]
    >>> len(ws.subset(ws.labels == "kettle"))
    2
    """

    records: tuple[WaveformRecord, ...]
    name: str = "waveforms"

    def __init__(self, records: Iterable[WaveformRecord], name: str = "waveforms") -> None:
        recs = tuple(records)
        for k, r in enumerate(recs):
            if not isinstance(r, WaveformRecord):
                raise TransferKitInputError(
                    f"records[{k}] is a {type(r).__name__}, not a WaveformRecord; build each "
                    "recording with WaveformRecord(voltage, current, sampling_rate, "
                    "mains_frequency, ...)."
                )
        object.__setattr__(self, "records", recs)
        object.__setattr__(self, "name", str(name))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return WaveformSet(self.records[index], name=self.name)
        return self.records[index]

    def __iter__(self) -> Iterator[WaveformRecord]:
        return iter(self.records)

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label or "" for r in self.records], dtype=object).astype(str)

    @property
    def houses(self) -> np.ndarray | None:
        houses = [r.house for r in self.records]
        if all(h is None for h in houses):
            return None
        return np.array([h or "" for h in houses], dtype=object).astype(str)

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.labels.tolist()) - {""}))

    @property
    def y(self) -> np.ndarray:
        """Labels as integer codes into :attr:`class_names` (``-1`` where unknown)."""
        lookup = {c: k for k, c in enumerate(self.class_names)}
        return np.array([lookup.get(lab, -1) for lab in self.labels], dtype=np.int64)

    def subset(self, index: Any) -> WaveformSet:
        """The records selected by a boolean mask or an integer index array."""
        idx = np.asarray(index)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise TransferKitInputError(
                    f"a boolean mask must have one entry per record ({len(self)}); got shape "
                    f"{idx.shape}."
                )
            idx = np.flatnonzero(idx)
        return WaveformSet([self.records[int(k)] for k in idx.ravel()], name=self.name)

    def __repr__(self) -> str:
        houses = self.houses
        n_houses = "unknown" if houses is None else len(set(houses.tolist()))
        return (
            f"WaveformSet(name={self.name!r}, n_records={len(self)}, "
            f"n_classes={len(self.class_names)}, houses={n_houses})"
        )
