"""Non-intrusive load monitoring (NILM): waveforms, steady cycles, V-I images, labels.

- :mod:`~transferkit.nilm.waveforms`: :class:`WaveformRecord` (one recording) and
  :class:`WaveformSet` (many, with labels and houses);
- :mod:`~transferkit.nilm.cycles`: :func:`steady_cycles` (one averaged steady-state cycle
  at N points, from voltage zero crossings) and :func:`resample_cycles`;
- :mod:`~transferkit.nilm.vi`: :func:`vi_image` (binary, weighted, colour V-I images and
  weighted recurrence graphs); :func:`vi_features` (blurred binary images as feature
  vectors for shallow classifiers) and :func:`vi_cnn_features` (frozen ImageNet-network
  features of the same images);
- :mod:`~transferkit.nilm.labels`: one appliance vocabulary (:data:`LABEL_MAP`) and
  :func:`align_labels` for two data sets' shared classes;
- :mod:`~transferkit.nilm.evaluation`: :func:`evaluate_appliance_classifier`
  (leave-one-house-out where houses are known, stratified k-fold otherwise);
- :mod:`~transferkit.nilm.cross_country`: :func:`load_cross_country` (PLAID 2018 -> HFHAD-C
  on the classes :func:`align_labels` finds shared, as steady cycles).

Readers of the PLAID and WHITED formats and of the shipped subsets are in
:mod:`transferkit.datasets`.
"""

from transferkit.nilm.cross_country import CrossCountry, load_cross_country
from transferkit.nilm.cycles import (
    CycleInfo,
    resample_cycles,
    rising_zero_crossings,
    steady_cycles,
    steady_cycles_batch,
)
from transferkit.nilm.evaluation import (
    ApplianceEvaluation,
    appliance_splits,
    evaluate_appliance_classifier,
)
from transferkit.nilm.features import vi_cnn_features, vi_features
from transferkit.nilm.labels import (
    LABEL_MAP,
    RESISTIVE_HEATER_GROUP,
    RESISTIVE_HEATERS,
    AlignedLabels,
    align_labels,
    canonical_label,
    canonical_labels,
)
from transferkit.nilm.vi import ENCODINGS, piecewise_aggregate, vi_binary_image, vi_image
from transferkit.nilm.waveforms import WaveformRecord, WaveformSet

__all__ = [
    "ENCODINGS",
    "LABEL_MAP",
    "RESISTIVE_HEATERS",
    "RESISTIVE_HEATER_GROUP",
    "AlignedLabels",
    "ApplianceEvaluation",
    "align_labels",
    "appliance_splits",
    "canonical_label",
    "canonical_labels",
    "evaluate_appliance_classifier",
    "load_cross_country",
    "CrossCountry",
    "CycleInfo",
    "WaveformRecord",
    "WaveformSet",
    "piecewise_aggregate",
    "resample_cycles",
    "rising_zero_crossings",
    "steady_cycles",
    "steady_cycles_batch",
    "vi_binary_image",
    "vi_cnn_features",
    "vi_features",
    "vi_image",
]
