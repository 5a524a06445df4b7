"""Loaders for the NILM (appliance recognition) waveform data sets."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from transferkit.datasets._fetch import fetch_dataset
from transferkit.datasets._files import dataset_info, fetch_file
from transferkit.datasets.nilm_formats import PlaidMetadata, read_plaid_metadata
from transferkit.nilm.waveforms import WaveformRecord, WaveformSet

__all__ = [
    "PlaidSubset",
    "load_plaid_subset",
    "HfhadcSubset",
    "load_hfhadc_subset",
    "load_plaid_metadata",
    "PLAID_NAMES",
]

# Appliance names of the PLAID 2018 ids used in the AWRGNILM redistribution (id 4 absent).
PLAID_NAMES = {
    1: "CFL",
    2: "ILB",
    3: "Water kettle",
    5: "Fan",
    6: "AC",
    7: "HairIron",
    8: "LaptopCharger",
    9: "SolderingIron",
    10: "Fridge",
    11: "Vacuum",
    12: "CoffeeMaker",
    13: "FridgeDefroster",
}


@dataclass(frozen=True)
class PlaidSubset:
    """One mains cycle (500 samples at 30 kHz, 60 Hz) of V and I per appliance event.

    ``labels`` are 0-based indices into ``class_names``; ``appliance_ids`` keep PLAID's
    original ids. ``on_events`` is 1 for switch-on and 0 for switch-off events.
    """

    current: np.ndarray
    voltage: np.ndarray
    labels: np.ndarray
    appliance_ids: np.ndarray
    class_names: tuple[str, ...]
    on_events: np.ndarray
    sampling_rate_hz: float = 30_000.0
    mains_hz: float = 60.0

    def to_waveforms(self) -> WaveformSet:
        """The events as :class:`~transferkit.nilm.WaveformRecord` s (one cycle each).

        ``label`` is the class name, ``instance`` ``"event<k>"``, ``house`` unknown (the
        subset has no house ids), ``meta`` holds ``appliance_id`` and ``on_event``.

        Examples
        --------
        >>> ws = load_plaid_subset().to_waveforms()
        >>> len(ws), ws[0].samples_per_cycle, ws.houses is None
        (250, 500.0, True)
        """
        return WaveformSet(
            (
                WaveformRecord(
                    self.voltage[k],
                    self.current[k],
                    self.sampling_rate_hz,
                    self.mains_hz,
                    label=self.class_names[int(self.labels[k])],
                    instance=f"event{k}",
                    meta={
                        "appliance_id": int(self.appliance_ids[k]),
                        "on_event": bool(self.on_events[k]),
                    },
                )
                for k in range(self.labels.size)
            ),
            name="PLAID 2018 subset",
        )


def load_plaid_subset(
    data_home: str | os.PathLike[str] | None = None, *, download: bool = False
) -> PlaidSubset:
    """Load the 250-event PLAID 2018 subset (verified by SHA-256).

    ``download=True`` fetches missing files first (:func:`fetch_dataset`).

    Examples
    --------
    >>> plaid = load_plaid_subset()
    >>> plaid.current.shape, len(plaid.class_names)
    ((250, 500), 12)
    """
    info = dataset_info("plaid2018_subset")
    if download:
        fetch_dataset(info.name, data_home)
    arrays = {}
    for file in info.files:
        key = file.path.rsplit("/", 1)[1].removesuffix(".npy")
        arrays[key] = np.load(fetch_file(info, file, data_home), allow_pickle=False)
    ids = arrays["labels"].astype(np.int64)
    present = np.unique(ids)
    return PlaidSubset(
        current=arrays["current"].astype(np.float64),
        voltage=arrays["voltage"].astype(np.float64),
        labels=np.searchsorted(present, ids),
        appliance_ids=ids,
        class_names=tuple(PLAID_NAMES.get(int(i), f"appliance_{int(i)}") for i in present),
        on_events=arrays["on_events"].astype(np.int64),
    )


@dataclass(frozen=True)
class HfhadcSubset:
    """3 s recordings (6.4 kHz, 50 Hz mains) of current and voltage, in A and V."""

    current: np.ndarray
    voltage: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    sampling_rate_hz: float
    mains_hz: float
    source_files: tuple[str, ...] = ()

    def to_waveforms(self) -> WaveformSet:
        """The recordings as :class:`~transferkit.nilm.WaveformRecord` s (3 s each).

        ``label`` is the class name, ``instance`` the upstream file (``"<class>/<k>.txt"``
        in Chinese folder names), ``house`` unknown.

        Examples
        --------
        >>> ws = load_hfhadc_subset().to_waveforms()
        >>> len(ws), ws[0].n_cycles, ws[0].mains_frequency
        (240, 150.0, 50.0)
        """
        files = self.source_files or tuple(f"row{k}" for k in range(self.labels.size))
        return WaveformSet(
            (
                WaveformRecord(
                    self.voltage[k],
                    self.current[k],
                    self.sampling_rate_hz,
                    self.mains_hz,
                    label=self.class_names[int(self.labels[k])],
                    instance=files[k],
                )
                for k in range(self.labels.size)
            ),
            name="HFHAD-C subset",
        )


def load_hfhadc_subset(
    data_home: str | os.PathLike[str] | None = None, *, download: bool = False
) -> HfhadcSubset:
    """Load the HFHAD-C subset: 240 recordings, 12 appliance classes (SHA-256 verified).

    ``download=True`` downloads the 240 upstream files and rebuilds the subset when it is
    missing (:func:`fetch_dataset`, :func:`build_dataset`).

    Examples
    --------
    >>> data = load_hfhadc_subset()
    >>> data.current.shape, len(data.class_names)
    ((240, 19200), 12)
    """
    info = dataset_info("hfhadc_subset")
    if download:
        fetch_dataset(info.name, data_home)
    with np.load(fetch_file(info, info.files[0], data_home), allow_pickle=False) as z:
        counts = z["counts"].astype(np.float32)
        return HfhadcSubset(
            current=counts[..., 0] / float(z["scale_current_counts_per_A"]),
            voltage=counts[..., 1] / float(z["scale_voltage_counts_per_V"]),
            labels=z["labels"].astype(np.int64),
            class_names=tuple(str(c) for c in z["class_names"]),
            sampling_rate_hz=float(z["fs_hz"]),
            mains_hz=float(z["mains_hz"]),
            source_files=tuple(str(f) for f in z["source_files"]),
        )


def load_plaid_metadata(
    data_home: str | os.PathLike[str] | None = None, *, download: bool = False
) -> PlaidMetadata:
    """PLAID 2018 sub-metered metadata: type and house of 1876 recordings (no waveforms).

    Houses are ``"<collection_time>_<location>"`` (65 of them); use them as the groups of a
    leave-one-house-out split, or as calibration targets. See
    :func:`transferkit.datasets.read_plaid_metadata`.

    Examples
    --------
    >>> meta = load_plaid_metadata()
    >>> len(meta.ids), len(set(meta.houses.tolist())), str(meta.labels[0])
    (1876, 65, 'Compact Fluorescent Lamp')
    """
    info = dataset_info("plaid2018_metadata")
    if download:
        fetch_dataset(info.name, data_home)
    return read_plaid_metadata(fetch_file(info, info.files[0], data_home))
