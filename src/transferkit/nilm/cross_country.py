"""The real cross-country task: PLAID 2018 (US, 60 Hz) -> HFHAD-C (China, 50 Hz).

Both subsets are brought to the same representation: one steady mains cycle at
``n_points`` points starting at a rising voltage zero crossing. PLAID's rows already are
one such cycle (500 samples at 30 kHz); HFHAD-C's 3 s recordings (128 samples per cycle
at 6.4 kHz) go through :func:`~transferkit.nilm.steady_cycles_batch`.

Shared classes (:data:`SHARED_CLASSES`): the appliance types both data sets measure.
PLAID's ``"Water kettle"`` and HFHAD-C's ``"electric_kettle"`` are the same appliance;
``"Fridge"``/``"fridge"``, ``"AC"``/``"air_conditioner"`` and
``"LaptopCharger"``/``"laptop"`` too. Other resistive heaters (PLAID's coffee maker,
HFHAD-C's rice cooker, water heater and dispenser) are **not** mapped to the kettle: their
V-I images are the same straight line, so mapping them would only duplicate the kettle
class, and they are different appliances.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = ["SHARED_CLASSES", "CrossCountry", "load_cross_country"]

#: shared class -> (PLAID 2018 name, HFHAD-C name)
SHARED_CLASSES: dict[str, tuple[str, str]] = {
    "air_conditioner": ("AC", "air_conditioner"),
    "fridge": ("Fridge", "fridge"),
    "kettle": ("Water kettle", "electric_kettle"),
    "laptop": ("LaptopCharger", "laptop"),
}


@dataclass(frozen=True)
class CrossCountry:
    """Steady cycles and shared-class labels of the source (US) and target (China)."""

    voltage_source: np.ndarray
    current_source: np.ndarray
    y_source: np.ndarray
    voltage_target: np.ndarray
    current_target: np.ndarray
    y_target: np.ndarray
    classes: tuple[str, ...]


def _resample(cycles: np.ndarray, n_points: int) -> np.ndarray:
    m = cycles.shape[1]
    grid = np.arange(n_points) * m / n_points
    base = np.arange(m + 1)
    return np.stack([np.interp(grid, base, np.append(c, c[0])) for c in cycles])


def load_cross_country(
    data_home: str | os.PathLike[str] | None = None, *, n_points: int = 128
) -> CrossCountry:
    """PLAID 2018 and HFHAD-C restricted to :data:`SHARED_CLASSES`, as steady cycles.

    Examples
    --------
    >>> cc = load_cross_country()
    >>> cc.classes, cc.voltage_source.shape, cc.voltage_target.shape
    (('air_conditioner', 'fridge', 'kettle', 'laptop'), (80, 128), (80, 128))
    """
    from transferkit.datasets import load_hfhadc_subset, load_plaid_subset
    from transferkit.nilm import WaveformRecord, steady_cycles_batch

    plaid = load_plaid_subset(data_home)
    hfhadc = load_hfhadc_subset(data_home)
    classes = tuple(sorted(SHARED_CLASSES))
    plaid_names = np.array(plaid.class_names)[plaid.labels]
    hf_names = np.array(hfhadc.class_names)[hfhadc.labels]
    ys, yt, src_rows, tgt_rows = [], [], [], []
    for name in classes:
        us, cn = SHARED_CLASSES[name]
        rows = np.flatnonzero(plaid_names == us)
        src_rows += rows.tolist()
        ys += [name] * len(rows)
        rows = np.flatnonzero(hf_names == cn)
        tgt_rows += rows.tolist()
        yt += [name] * len(rows)
    records = [
        WaveformRecord(
            hfhadc.voltage[k],
            hfhadc.current[k],
            sampling_rate=hfhadc.sampling_rate_hz,
            mains_frequency=hfhadc.mains_hz,
        )
        for k in tgt_rows
    ]
    Vt, It = steady_cycles_batch(records, n_points=n_points, n_cycles=10)
    return CrossCountry(
        voltage_source=_resample(plaid.voltage[src_rows], n_points),
        current_source=_resample(plaid.current[src_rows], n_points),
        y_source=np.array(ys),
        voltage_target=Vt,
        current_target=It,
        y_target=np.array(yt),
        classes=classes,
    )
