"""transferkit: transfer learning that tells you whether the transfer helps.

The core contract (see :mod:`transferkit.base`): every method is a scikit-learn
estimator fitted as ``fit(X, y, *, X_target, y_target=None)`` with the labelled source
as ``(X, y)`` and the target as keyword arguments.

``import transferkit`` is cheap: the names below are imported the first time they are used
(``transferkit.CORAL`` imports :mod:`transferkit.mapping`, and scikit-learn with it).
"""

from typing import TYPE_CHECKING

from transferkit._lazy import attach

__version__ = "0.1.0"

# The public names, imported on first use (PEP 562; see transferkit._lazy). Add a name by
# adding its import here and to __all__ (a test checks that both agree).
if TYPE_CHECKING:
    from transferkit._random import seed_everything
    from transferkit._validation import (
        DomainMismatchError,
        InvalidParameterError,
        LabelError,
        MemoryBudgetError,
        TargetDomain,
        TransferKitInputError,
        WeightCollapseWarning,
    )
    from transferkit.base import (
        BaseAdapter,
        BaseTransferClassifier,
        BaseTransferEstimator,
        BaseTransferRegressor,
        BaseWeighter,
    )
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
    from transferkit.mapping import BDA, CORAL, GFK, JDA, MEDA, TCA, JointPCA, SubspaceAlignment
    from transferkit.metrics import (
        coral_distance,
        domain_distances,
        energy_distance,
        gaussian_kl,
        h_score,
        kl_divergence_knn,
        leep,
        logme,
        mmd2,
        mmd_test,
        nce,
        proxy_a_distance,
        sinkhorn_distance,
        wasserstein_distance,
    )
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

__getattr__, __dir__, _LAZY = attach(__name__, __file__)

__all__ = [
    "BaseAdapter",
    "BaseTransferClassifier",
    "BaseTransferEstimator",
    "BaseTransferRegressor",
    "BaseWeighter",
    "BDA",
    "CORAL",
    "coral_distance",
    "DEV",
    "DiscriminativeDensityRatio",
    "domain_distances",
    "DomainMismatchError",
    "energy_distance",
    "gaussian_kl",
    "GFK",
    "h_score",
    "ImportanceWeighted",
    "IWCV",
    "JDA",
    "JointPCA",
    "kl_divergence_knn",
    "KLIEP",
    "KMM",
    "LabelError",
    "leep",
    "logme",
    "make_transfer_pipeline",
    "MEDA",
    "MemoryBudgetError",
    "mmd2",
    "mmd_test",
    "nce",
    "PredictionEntropy",
    "proxy_a_distance",
    "ReverseValidation",
    "RuLSIF",
    "score_candidates",
    "seed_everything",
    "select",
    "sinkhorn_distance",
    "SND",
    "source_domain_scorer",
    "SourceKFold",
    "SourceOnly",
    "split_sample_domain",
    "StratifiedSourceKFold",
    "SubspaceAlignment",
    "TargetDomain",
    "TargetOnly",
    "TCA",
    "TrAdaBoost",
    "TrAdaBoostR2",
    "TransferKitInputError",
    "InvalidParameterError",
    "TransferPipeline",
    "ULSIF",
    "wasserstein_distance",
    "WeightCollapseWarning",
]
