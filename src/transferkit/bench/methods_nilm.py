"""Benchmark entries of the NILM cross-country study (``benchmarks/nilm_cross_country.py``).

PLAID 2018 (US) -> HFHAD-C (China) appliance recognition with ``k`` labelled target
records per class (``target_labels: {per_class: K}``), on the suites ``plaid_hfhadc``
(blurred 32x32 V-I pixels) and ``plaid_hfhadc_efficientnet`` (frozen ImageNet
EfficientNet-Lite0 features). Every entry learns from the labelled target records
(``uses_target_labels``), as the script's rows do; all but ``nilm_target_only`` and
``nilm_finetune_efficientnet`` also run with none (``target_labels_optional``: fitted
without ``y_target`` at ``per_class: 0``, and a label-free rule may choose among their
candidates):

* ``nilm_source_only``: logistic regression (C=1, ``max_iter=3000``) on the source plus
  the labelled target records (:class:`transferkit.baselines.LabelledTargetAsSource`):
  the script's "source only" row with no labelled record, its "source only (pooled)"
  row with some;
* ``nilm_target_only``: the same classifier on the labelled target records alone;
* ``nilm_coral``, ``nilm_tca``, ``nilm_jda``, ``nilm_sa``: CORAL, linear TCA, linear
  JDA and subspace alignment before the same classifier, whose training set the
  labelled target records join (``make_transfer_pipeline``); the script's candidates
  are :data:`NILM_GRIDS` (CORAL ``lambda`` in {0.1, 1, 10}, 5 or 20 components), which
  a config gives as ``grid`` (chosen by the ``dev`` selector: label-free) and as
  ``sweep`` (every value its own cell: the best of them is the script's oracle). No
  grid is registered, so that a ``sweep`` value is not overridden by the selection
  rule;
* ``nilm_dann``, ``nilm_tada``: DANN and TADA on a LeNet over the 1x32x32 blurred
  image (the 1024 pixel columns of ``plaid_hfhadc`` reshaped by the network), 30
  epochs, SGD lr 0.01, batches of 32, the epoch kept by DEV on 10 % held-out source;
  the labelled target records join the source
  (:class:`~transferkit.baselines.LabelledTargetAsSource`);
* ``nilm_finetune_efficientnet``: ``FineTuneClassifier`` with ImageNet
  EfficientNet-Lite0 on the 1x32x32 image resized to 64x64, pre-trained on the source
  (5 epochs) then its last stage and a new head fine-tuned on the labelled target
  records (15 epochs, Adam 1e-3); it needs at least one labelled record per class.

The image networks (``nilm_dann``, ``nilm_tada``, ``nilm_finetune_efficientnet``) are
registered for the ``plaid_hfhadc`` pixels only. torch is imported when an estimator is
built, never when the entries are registered.
"""

from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression

from transferkit.baselines import LabelledTargetAsSource, TargetOnly
from transferkit.bench.registry import register_method
from transferkit.mapping import CORAL, JDA, TCA, SubspaceAlignment
from transferkit.pipeline import make_transfer_pipeline

__all__ = ["NILM_GRIDS", "NILM_SUITES"]

#: The suites of the study: the blurred pixels and the EfficientNet features.
NILM_SUITES = ("plaid_hfhadc", "plaid_hfhadc_efficientnet")
_PIXELS = ("plaid_hfhadc",)


def _logistic() -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=3000)


_LR = "logistic regression (C=1)"

register_method(
    "nilm_source_only",
    lambda random_state: LabelledTargetAsSource(_logistic()),
    description=f"{_LR} on the source and the labelled target records (none: source only)",
    suites=NILM_SUITES,
    uses_target_labels=True,
    target_labels_optional=True,
)

register_method(
    "nilm_target_only",
    lambda random_state: TargetOnly(_logistic()),
    description=f"{_LR} on the labelled target records only",
    suites=NILM_SUITES,
    uses_target_labels=True,
)

#: The candidates of the script's shallow methods (``set_params`` names).
NILM_GRIDS = {
    "nilm_coral": {"coral__lambda_": [0.1, 1.0, 10.0]},
    "nilm_tca": {"tca__n_components": [5, 20]},
    "nilm_jda": {"jda__n_components": [5, 20]},
    "nilm_sa": {"subspacealignment__n_components": [5, 20]},
}

for _entry, _factory, _what in (
    ("nilm_coral", lambda: CORAL(), "CORAL (lambda=1)"),
    ("nilm_tca", lambda: TCA(5, kernel="linear"), "linear TCA (5 components)"),
    ("nilm_jda", lambda: JDA(5, kernel="linear"), "linear JDA (5 components)"),
    ("nilm_sa", lambda: SubspaceAlignment(5), "subspace alignment (5 components)"),
):
    register_method(
        _entry,
        lambda random_state, _factory=_factory: make_transfer_pipeline(_factory(), _logistic()),
        description=f"{_what} + {_LR}; labelled target records join the classifier's training",
        suites=NILM_SUITES,
        uses_target_labels=True,
        target_labels_optional=True,
    )

_DEEP = {
    "image_shape": (1, 32, 32),
    "network": "lenet",
    "epochs": 30,
    "batch_size": 32,
    "lr": 0.01,
    "selection": "dev",
    "val_fraction": 0.1,
}


def _deep(name: str):
    def build(random_state: Any = None) -> Any:
        from transferkit._optional import require

        require("torch", extra="torch", purpose=f"the benchmark entry of {name}")
        import transferkit.deep as deep

        seed = 0 if random_state is None else int(random_state)
        return LabelledTargetAsSource(getattr(deep, name)(random_state=seed, **_DEEP))

    return build


for _name, _entry in (("DANN", "nilm_dann"), ("TADA", "nilm_tada")):
    register_method(
        _entry,
        _deep(_name),
        description=(
            f"{_name} on a LeNet over the 1x32x32 blurred V-I image, 30 epochs, SGD lr "
            "0.01, batch 32, DEV epoch (10% source held out); labelled target records "
            "join the source"
        ),
        suites=_PIXELS,
        uses_target_labels=True,
        target_labels_optional=True,
    )


def _finetune(random_state: Any = None) -> Any:
    from transferkit._optional import require

    require("torch", extra="torch", purpose="the benchmark entry nilm_finetune_efficientnet")
    from transferkit.finetune import FineTuneClassifier

    return FineTuneClassifier(
        backbone="efficientnet_lite0",
        image_shape=(1, 32, 32),
        pretrained=True,
        imagenet_input=True,
        resize_to=64,
        policy="last_k",
        pretrain_epochs=5,
        epochs=15,
        pretrain_lr=1e-3,
        lr=1e-3,
        batch_size=16,
        random_state=0 if random_state is None else int(random_state),
    )


register_method(
    "nilm_finetune_efficientnet",
    _finetune,
    description=(
        "ImageNet EfficientNet-Lite0 on the 1x32x32 V-I image (resized to 64x64): "
        "pre-trained on the source (5 epochs), last stage + new head fine-tuned on the "
        "labelled target records (15 epochs, Adam 1e-3, batch 16)"
    ),
    suites=_PIXELS,
    uses_target_labels=True,
)
