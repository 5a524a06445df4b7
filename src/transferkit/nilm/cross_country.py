"""The real cross-country task: PLAID 2018 (US, 60 Hz) -> HFHAD-C (China, 50 Hz).

Both subsets are brought to the same representation: one steady mains cycle at
``n_points`` points starting at a rising voltage zero crossing. PLAID's rows already are
one such cycle (500 samples at 30 kHz) and go through
:func:`~transferkit.nilm.resample_cycles`; HFHAD-C's 3 s recordings (128 samples per
cycle at 6.4 kHz) go through :func:`~transferkit.nilm.steady_cycles_batch`.

Shared classes: :func:`~transferkit.nilm.align_labels` on the two subsets' published
names, with the package's one vocabulary :data:`~transferkit.nilm.LABEL_MAP` (no second
map here). By default that gives the appliance types both data sets measure, air
conditioner, fridge, kettle and laptop: PLAID's ``"Water kettle"`` and HFHAD-C's
``"electric_kettle"`` are the same appliance, and so are ``"Fridge"``/``"fridge"``,
``"AC"``/``"air_conditioner"`` and ``"LaptopCharger"``/``"laptop"``. Other resistive
heaters (PLAID's coffee maker, HFHAD-C's rice cooker, water heater and dispenser) are
**not** mapped to the kettle (same V-I line, different appliances); pass
``merge=RESISTIVE_HEATER_GROUP`` to study the physical class instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["CrossCountry", "load_cross_country"]


@dataclass(frozen=True)
class CrossCountry:
    """Steady cycles and shared-class labels of the source (US) and target (China).

    ``y_source``/``y_target`` hold canonical class names (members of ``classes``);
    ``only_source``/``only_target`` name the canonical classes of one subset only
    (dropped).
    """

    voltage_source: np.ndarray
    current_source: np.ndarray
    y_source: np.ndarray
    voltage_target: np.ndarray
    current_target: np.ndarray
    y_target: np.ndarray
    classes: tuple[str, ...]
    only_source: tuple[str, ...] = ()
    only_target: tuple[str, ...] = ()


def load_cross_country(
    data_home: str | os.PathLike[str] | None = None,
    *,
    n_points: int = 128,
    label_map: Mapping[str, str] | None = None,
    merge: Mapping[str, Iterable[str]] | None = None,
) -> CrossCountry:
    """PLAID 2018 and HFHAD-C restricted to their shared classes, as steady cycles.

    The classes are those of :func:`~transferkit.nilm.align_labels` on the two subsets'
    published names; records are grouped by class (classes sorted) and keep their file
    order within a class.

    Parameters
    ----------
    data_home : path, optional
        Data folder (default: ``TRANSFERKIT_DATA``, else ``../shared/data``).
    n_points : int, default 128
        Points per cycle of both domains.
    label_map, merge : mapping, optional
        Passed to :func:`~transferkit.nilm.align_labels` (extra equivalences, groups such
        as :data:`~transferkit.nilm.RESISTIVE_HEATER_GROUP`).

    Examples
    --------
    >>> cc = load_cross_country()
    >>> cc.classes, cc.voltage_source.shape, cc.voltage_target.shape
    (('air_conditioner', 'fridge', 'kettle', 'laptop'), (80, 128), (80, 128))
    >>> from transferkit.nilm import RESISTIVE_HEATER_GROUP
    >>> load_cross_country(merge=RESISTIVE_HEATER_GROUP).classes
    ('air_conditioner', 'fridge', 'laptop', 'resistive_heater')
    """
    from transferkit._validation import check_positive
    from transferkit.datasets import load_hfhadc_subset, load_plaid_subset
    from transferkit.nilm.cycles import resample_cycles, steady_cycles_batch
    from transferkit.nilm.labels import align_labels
    from transferkit.nilm.waveforms import WaveformRecord

    check_positive("n_points", n_points, integer=True)
    plaid = load_plaid_subset(data_home)
    hfhadc = load_hfhadc_subset(data_home)
    al = align_labels(
        plaid.labels,
        hfhadc.labels,
        classes_a=plaid.class_names,
        classes_b=hfhadc.class_names,
        label_map=label_map,
        merge=merge,
    )
    # group the kept records by class (sorted), file order within a class
    src_rows = np.concatenate([np.flatnonzero(al.names_a == c) for c in al.classes])
    tgt_rows = np.concatenate([np.flatnonzero(al.names_b == c) for c in al.classes])
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
        voltage_source=resample_cycles(plaid.voltage[src_rows], n_points),
        current_source=resample_cycles(plaid.current[src_rows], n_points),
        y_source=al.names_a[src_rows],
        voltage_target=Vt,
        current_target=It,
        y_target=al.names_b[tgt_rows],
        classes=al.classes,
        only_source=al.only_a,
        only_target=al.only_b,
    )
