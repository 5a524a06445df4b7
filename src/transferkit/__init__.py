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
from transferkit.instance import (
    KLIEP,
    KMM,
    ULSIF,
    DiscriminativeDensityRatio,
    ImportanceWeighted,
    RuLSIF,
    TrAdaBoost,
    TrAdaBoostR2,
)
from transferkit.mapping import CORAL, GFK, MEDA, JointPCA, SubspaceAlignment
from transferkit.pipeline import TransferPipeline, make_transfer_pipeline, source_domain_scorer
from transferkit.selection import (
    DEV,
    IWCV,
    SND,
    PredictionEntropy,
    ReverseValidation,
    SourceKFold,
    StratifiedSourceKFold,
    score_candidates,
    select,
)

__version__ = "0.1.0"

__all__ = [
    "BaseAdapter",
    "BaseTransferClassifier",
    "BaseWeighter",
    "CORAL",
    "DEV",
    "DiscriminativeDensityRatio",
    "DomainMismatchError",
    "GFK",
    "ImportanceWeighted",
    "IWCV",
    "JointPCA",
    "KLIEP",
    "KMM",
    "LabelError",
    "make_transfer_pipeline",
    "MEDA",
    "MemoryBudgetError",
    "PredictionEntropy",
    "ReverseValidation",
    "RuLSIF",
    "score_candidates",
    "seed_everything",
    "select",
    "SND",
    "source_domain_scorer",
    "SourceKFold",
    "SourceOnly",
    "split_sample_domain",
    "StratifiedSourceKFold",
    "SubspaceAlignment",
    "TargetDomain",
    "TargetOnly",
    "TrAdaBoost",
    "TrAdaBoostR2",
    "TransferKitInputError",
    "TransferPipeline",
    "ULSIF",
    "WeightCollapseWarning",
]
