"""transferkit: transfer learning that tells you whether the transfer helps.

The core contract (see :mod:`transferkit.base`): every method is a scikit-learn
estimator fitted as ``fit(X, y, *, X_target, y_target=None)`` with the labelled source
as ``(X, y)`` and the target as keyword arguments.
"""

from transferkit._random import seed_everything
from transferkit._validation import (
    DomainMismatchError,
    LabelError,
    MemoryBudgetError,
    TargetDomain,
    TransferKitInputError,
    WeightCollapseWarning,
)
from transferkit.base import BaseAdapter, BaseTransferClassifier, BaseWeighter
from transferkit.baselines import SourceOnly, TargetOnly
from transferkit.compat import split_sample_domain
from transferkit.mapping import CORAL, JointPCA
from transferkit.pipeline import TransferPipeline, make_transfer_pipeline, source_domain_scorer

__version__ = "0.1.0"

__all__ = [
    "BaseAdapter",
    "BaseTransferClassifier",
    "BaseWeighter",
    "CORAL",
    "DomainMismatchError",
    "JointPCA",
    "LabelError",
    "MemoryBudgetError",
    "SourceOnly",
    "TargetDomain",
    "TargetOnly",
    "TransferKitInputError",
    "TransferPipeline",
    "WeightCollapseWarning",
    "make_transfer_pipeline",
    "seed_everything",
    "source_domain_scorer",
    "split_sample_domain",
]
