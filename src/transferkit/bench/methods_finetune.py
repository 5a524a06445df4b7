"""Benchmark entries of parameter transfer on raw digit pixels (needs ``transferkit[torch]``).

The rows of ``benchmarks/finetune_mnist_usps.py``, each a
:class:`transferkit.finetune.FewShotFineTune` with the study's settings: a small CNN
(``small_cnn``, widths 16/32/64) pre-trained on the source for 10 epochs (Adam 1e-3,
batch 64, +-1 px shifts), a new head, then Adam 1e-3 on the labelled target images in
batches of 32 for ``max(8, ceil(120 / batches per epoch))`` epochs (+-1 px shifts).
They run on the ``digits_pixels`` suite (16x16 images as 256 raw pixels), and all but
``finetune_source_only`` need labelled target samples (``uses_target_labels``: a config
with ``target_labels``, e.g. ``{per_class: [1, 5, 10, 50]}``).

The pre-trained network is shared by the entries through the estimator's in-process cache
(:mod:`transferkit.finetune.cache`: keyed by the source data, the seed and every
pre-training setting), so a process that runs several entries of one seed pre-trains once;
each cell gives the same number alone, after others, or on a Ray worker.

Every entry trains and predicts with one torch thread (``n_threads=1``, the process's
setting restored afterwards), as the script does: convolutions on CPU give other last
digits with other thread counts, and a cell must give the same number in a sequential
run, on a Ray worker and in the script.

torch is imported when an estimator is built, never when the entries are registered.
"""

from __future__ import annotations

from typing import Any

from transferkit.bench.registry import register_method

__all__: list[str] = []

#: The settings of benchmarks/finetune_mnist_usps.py (every entry).
SETTINGS: dict[str, Any] = {
    "backbone": "small_cnn",
    "image_shape": (1, 16, 16),
    "backbone_kwargs": {"widths": (16, 32, 64)},
    "pretrain_epochs": 10,
    "pretrain_lr": 1e-3,
    "pretrain_batch_size": 64,
    "epochs": 8,
    "min_steps": 120,
    "lr": 1e-3,
    "batch_size": 32,
    "augment_shift": 1,
    "last_k": 1,
    "lr_decay": 0.3,
    "unfreeze_phases": 4,
    "n_threads": 1,  # the script's one torch thread: the same number everywhere
}

_SUITES = ("digits_pixels",)
_COMMON = (
    "small CNN (16/32/64) pre-trained on the source (10 epochs, Adam 1e-3, batch 64), new "
    "head, fine-tuned with Adam 1e-3, batch 32, max(8, ceil(120 / batches)) epochs"
)


def _factory(mode: str, policy: str = "full", regularizer: str | None = None):
    def build(random_state: Any = None) -> Any:
        from transferkit._optional import require

        require("torch", extra="torch", purpose="the finetune_* benchmark entries")
        from transferkit.finetune import BSS, L2SP, FewShotFineTune

        reg = {None: None, "l2sp": lambda: L2SP(0.1, 0.01), "bss": lambda: BSS(0.001, 1)}
        return FewShotFineTune(
            mode=mode,
            policy=policy,
            regularizer=None if regularizer is None else reg[regularizer](),
            random_state=0 if random_state is None else int(random_state),
            **SETTINGS,
        )

    return build


register_method(
    "finetune_source_only",
    _factory("source_only"),
    description=(
        "small CNN (16/32/64) pre-trained on the source (10 epochs, Adam 1e-3, batch 64), "
        "applied to the target unchanged (no target labels)"
    ),
    suites=_SUITES,
)

register_method(
    "finetune_scratch",
    _factory("scratch"),
    description=(
        "the same small CNN trained from scratch on the labelled target images only "
        "(Adam 1e-3, batch 32, max(8, ceil(120 / batches)) epochs)"
    ),
    suites=_SUITES,
    uses_target_labels=True,
)

for _policy, _what in (
    ("linear_probe", "linear probe (head only)"),
    ("last_k", "last stage and head"),
    ("full", "full fine-tuning"),
    ("discriminative", "discriminative learning rates (x0.3 per stage)"),
    ("gradual", "gradual unfreezing (one more stage every quarter of the epochs)"),
):
    register_method(
        f"finetune_{_policy}",
        _factory("finetune", _policy),
        description=f"{_what}: {_COMMON}",
        suites=_SUITES,
        uses_target_labels=True,
    )

register_method(
    "finetune_l2sp",
    _factory("finetune", "full", "l2sp"),
    description=f"full fine-tuning + L2-SP (alpha=0.1, beta=0.01; Li et al. 2018): {_COMMON}",
    suites=_SUITES,
    uses_target_labels=True,
)

register_method(
    "finetune_bss",
    _factory("finetune", "full", "bss"),
    description=f"full fine-tuning + BSS (eta=0.001, k=1; Chen et al. 2019): {_COMMON}",
    suites=_SUITES,
    uses_target_labels=True,
)
