"""Parameter transfer: pretrained backbones, fine-tuning policies, regularisers, features.

* :mod:`~transferkit.finetune.backbones` — offline registry (EfficientNet-Lite0 with
  ImageNet weights, a small CNN), safe checkpoint loading;
* :mod:`~transferkit.finetune.extract` — multi-layer pooled features with a disk cache;
* :mod:`~transferkit.finetune.policies` — linear probe, last-k stages, full,
  discriminative learning rates, gradual unfreezing;
* :mod:`~transferkit.finetune.regularizers` — L2-SP, BSS;
* :mod:`~transferkit.finetune.trainer` — fine-tuning on the shared engine
  (:mod:`transferkit.engine`: early stopping, checkpoints, exact resume);
* :class:`FineTuneClassifier` — the ``fit(X, y, X_target=..., y_target=...)`` face;
* :class:`FewShotFineTune` — source pre-training (cached in the process, see
  :mod:`~transferkit.finetune.cache`) and fine-tuning on a few labelled target images with
  a fixed step budget: the ``finetune_*`` benchmark methods.

Needs the ``torch`` extra: ``pip install "transferkit[torch]"``.
"""

from transferkit.finetune import _deps  # noqa: F401 - names the torch extra if missing
from transferkit.finetune.backbones import (
    Backbone,
    SmallCNN,
    UnknownBackboneError,
    available_backbones,
    efficientnet_lite0,
    load_backbone,
    load_checkpoint,
    register_backbone,
    save_checkpoint,
    state_dict_sha256,
)
from transferkit.finetune.cache import clear_pretrain_cache, pretrain_cache_info
from transferkit.finetune.estimator import FineTuneClassifier
from transferkit.finetune.extract import (
    FeatureCacheWarning,
    PretrainedFeatures,
    extract_features,
)
from transferkit.finetune.fewshot import FewShotFineTune
from transferkit.finetune.policies import (
    DiscriminativeLR,
    FineTunePolicy,
    FullFineTune,
    GradualUnfreezing,
    LastKStages,
    LinearProbe,
    TransferNet,
    make_policy,
)
from transferkit.finetune.regularizers import BSS, L2SP, Regularizer
from transferkit.finetune.trainer import FineTuneStep, TrainHistory, predict_logits, train_net

__all__ = [
    "BSS",
    "Backbone",
    "DiscriminativeLR",
    "FeatureCacheWarning",
    "FewShotFineTune",
    "FineTuneClassifier",
    "FineTuneStep",
    "FineTunePolicy",
    "FullFineTune",
    "GradualUnfreezing",
    "L2SP",
    "LastKStages",
    "LinearProbe",
    "PretrainedFeatures",
    "Regularizer",
    "SmallCNN",
    "TrainHistory",
    "TransferNet",
    "UnknownBackboneError",
    "available_backbones",
    "clear_pretrain_cache",
    "efficientnet_lite0",
    "extract_features",
    "load_backbone",
    "load_checkpoint",
    "make_policy",
    "pretrain_cache_info",
    "predict_logits",
    "register_backbone",
    "save_checkpoint",
    "state_dict_sha256",
    "train_net",
]
