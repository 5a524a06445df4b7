"""Benchmark entries of ``benchmarks/deep_digits.py``: LeNet deep adaptation on raw pixels.

Six entries, one per row of the script, for the ``digits_pixels`` suite only (MNIST and
USPS 16x16 images as raw pixels in [0, 1]): source-only, DANN, DAN, Deep CORAL, CDAN+E
and TADA on :func:`transferkit.deep.lenet` (conv5(20)-pool-ReLU, conv5(50)-pool-ReLU,
FC 500 + dropout 0.5), SGD with Nesterov momentum 0.9 and weight decay 5e-4, learning
rate :math:`0.05\\,(1 + 10p)^{-0.75}`, batches of 64 source + 64 target images, 10
epochs, transfer weight 1, 10 % of the source held out for IWCV/DEV, the last epoch kept
(``selection=None``; a config's ``sweep: {selection: [...]}`` keeps the epoch a
label-free criterion chooses instead). Every setting is spelled out here, the
estimators' defaults included, so that a changed default cannot change these entries.

The script builds its estimators through these entries
(``get_method(DIGITS_ENTRIES[row]).build(seed, {"epochs": ..., "lr": ...})``), so a
``transferkit run`` cell and a script run are the same computation.
"""

from __future__ import annotations

from transferkit.bench.deep_entries import register_deep_method

__all__ = ["DIGITS_ENTRIES", "DIGITS_LENET_SETTINGS"]

#: The settings of every row of ``benchmarks/deep_digits.py``.
DIGITS_LENET_SETTINGS = {
    "network": "lenet",
    "image_shape": (1, 16, 16),
    "features": 500,
    "dropout": 0.5,
    "epochs": 10,
    "batch_size": 64,
    "lr": 0.05,
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "lr_annealing": True,
    "trade_off": 1.0,
    "discriminator_hidden": (500, 500),
    "selection": None,
    "val_fraction": 0.1,
}

#: The script's row -> (entry name, :mod:`transferkit.deep` estimator, its own settings).
_ROWS = {
    "source_only": ("deep_source_only_lenet_digits", "DeepSourceOnly", {}),
    "DANN": ("dann_lenet_digits", "DANN", {}),
    "DAN": ("dan_lenet_digits", "DAN", {"mmd_estimator": "linear"}),
    "DeepCORAL": ("deep_coral_lenet_digits", "DeepCORAL", {}),
    "CDAN+E": (
        "cdan_lenet_digits",
        "CDAN",
        {"entropy_conditioning": True, "randomized": None, "randomized_dim": 1024},
    ),
    "TADA": ("tada_lenet_digits", "TADA", {"entropy_weight": 0.1, "region_hidden": 64}),
}

#: The script's row name -> the registered entry.
DIGITS_ENTRIES = {row: entry for row, (entry, _, _) in _ROWS.items()}

_DESCRIPTIONS = {
    "DeepSourceOnly": "LeNet trained on the source only",
    "DANN": "DANN (Ganin et al. 2016): LeNet + adversarial domain discriminator 500-500",
    "DAN": "DAN (Long et al. 2015): LeNet + linear-time MK-MMD on bottleneck and logits",
    "DeepCORAL": "Deep CORAL (Sun & Saenko 2016): LeNet + CORAL loss on the logits",
    "CDAN": "CDAN+E (Long et al. 2018): LeNet + discriminator on features x predictions",
    "TADA": "TADA (Wang et al. 2019): LeNet + 16 region discriminators and global attention",
}

for _entry, _estimator, _own in _ROWS.values():
    register_deep_method(
        _entry,
        _estimator,
        settings={**DIGITS_LENET_SETTINGS, **_own},
        description=(
            f"{_DESCRIPTIONS[_estimator]}; raw 16x16 pixels, 10 epochs, SGD lr 0.05 annealed, "
            "batches 64+64, last epoch (benchmarks/deep_digits.py)"
        ),
        suites=("digits_pixels",),
    )
