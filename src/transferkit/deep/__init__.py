"""Deep domain adaptation on the shared training engine.

* :mod:`~transferkit.deep.losses` — gradient reversal, DANN, multi-kernel MMD (DAN),
  Deep CORAL, CDAN/CDAN+E (multilinear and randomized maps);
* :mod:`~transferkit.deep.attention` — TADA's transferable local and global attention;
* :mod:`~transferkit.deep.networks` — LeNet-style, MLP and finetune-backbone networks;
* :mod:`~transferkit.deep.methods` — the estimators :class:`DANN`, :class:`DAN`,
  :class:`DeepCORAL`, :class:`CDAN`, :class:`TADA` and :class:`DeepSourceOnly`;
* :mod:`~transferkit.deep.m3sda` — :class:`M3SDA`, moment matching for several sources
  (per-source classifiers, the moment distance :func:`moment_distance`);
* :mod:`~transferkit.deep.selection` — label-free epoch selection (IWCV, DEV, SND,
  entropy).
"""

from transferkit.deep.attention import (
    RegionDiscriminators,
    TransferableGlobalAttention,
    TransferableLocalAttention,
)
from transferkit.deep.losses import (
    CDANLoss,
    CORALLoss,
    DANNLoss,
    DomainDiscriminator,
    GradientReversal,
    MultiKernelMMD,
    MultilinearMap,
    RandomizedMultilinearMap,
    binary_entropy,
    entropy,
    grad_reverse,
)
from transferkit.deep.m3sda import M3SDA, M3SDANet, M3SDAStep, moment_distance
from transferkit.deep.methods import CDAN, DAN, DANN, TADA, DeepCORAL, DeepSourceOnly
from transferkit.deep.networks import AdaptationNet, backbone_net, lenet, mlp
from transferkit.deep.selection import EpochSelection
from transferkit.deep.step import AdaptationStep

__all__ = [
    "CDAN",
    "CDANLoss",
    "CORALLoss",
    "DAN",
    "DANN",
    "DANNLoss",
    "AdaptationNet",
    "AdaptationStep",
    "DeepCORAL",
    "DeepSourceOnly",
    "DomainDiscriminator",
    "EpochSelection",
    "GradientReversal",
    "M3SDA",
    "M3SDANet",
    "M3SDAStep",
    "MultiKernelMMD",
    "MultilinearMap",
    "RandomizedMultilinearMap",
    "RegionDiscriminators",
    "TADA",
    "TransferableGlobalAttention",
    "TransferableLocalAttention",
    "backbone_net",
    "binary_entropy",
    "entropy",
    "grad_reverse",
    "lenet",
    "mlp",
    "moment_distance",
]
