"""Benchmark entries of the core baselines: no adaptation, joint PCA and CORAL."""

from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from transferkit.baselines import SourceOnly
from transferkit.bench.protocols import CORALReleasedKernelSVM, linear_svm_cv, rbf_svm_cv
from transferkit.bench.registry import register_method
from transferkit.mapping import CORAL, JointPCA
from transferkit.pipeline import make_transfer_pipeline

__all__ = ["linear_svm"]


def linear_svm(random_state: Any = None, C: float = 1.0) -> LinearSVC:
    """liblinear linear SVM (squared hinge, primal solver), kept for the entries that use it.

    The CORAL entries use :func:`~transferkit.bench.protocols.linear_svm_cv` instead
    (LIBSVM with C chosen by source CV, the CORAL paper's protocol).
    """
    return LinearSVC(C=C, dual=False, max_iter=5000, random_state=random_state)


def _one_nn() -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=1, algorithm="brute")


register_method(
    "source_only",
    lambda random_state: SourceOnly(_one_nn()),
    description="no adaptation: 1-nearest-neighbour (Euclidean) trained on the source",
    published={
        "office_caltech_surf": ["jda2013_t2:1NN", "rerun:1NN", "meda2018_t2:1NN"],
        "digits": ["meda2018_t3:1NN", "rerun:1NN"],
        "coil": ["rerun:1NN"],
        "amazon": ["rerun:1NN"],
    },
)

register_method(
    "source_only_svm",
    lambda random_state: SourceOnly(linear_svm_cv(random_state)),
    description="no adaptation: linear SVM (LIBSVM), C by 2-fold CV on the source",
    published={
        "office_caltech_surf": ["coral2016_t3:NA", "meda2018_t2:SVM"],
        "digits": ["meda2018_t3:SVM"],
        "amazon": ["coral2016_t5:NA"],
    },
)

register_method(
    "source_only_svm_released",
    lambda random_state: SourceOnly(rbf_svm_cv(random_state)),
    description=(
        "no adaptation as the released CORAL code runs it: LIBSVM default RBF kernel "
        "(gamma = 1/d), C by 2-fold CV on the source"
    ),
    published={
        "office_caltech_surf": ["coral2016_t3:NA"],
        "digits": ["meda2018_t3:SVM"],
        "amazon": ["coral2016_t5:NA"],
    },
)

register_method(
    "pca",
    lambda random_state: make_transfer_pipeline(JointPCA(n_components=100), _one_nn()),
    description="joint PCA of source + target (k = 100, no normalisation) + 1NN",
    param_grid={"transfer__n_components": [100, 10, 20, 50, 200]},
    published={
        "office_caltech_surf": ["jda2013_t2:PCA", "rerun:PCA", "meda2018_t2:PCA"],
        "digits": ["meda2018_t3:PCA", "rerun:PCA"],
        "coil": ["rerun:PCA"],
    },
)

_CORAL_REFS = {
    "office_caltech_surf": ["coral2016_t3:CORAL", "meda2018_t2:CORAL"],
    "digits": ["meda2018_t3:CORAL"],
    "amazon": ["coral2016_t5:CORAL"],
}

register_method(
    "coral",
    lambda random_state: make_transfer_pipeline(CORAL(lambda_=1.0), linear_svm_cv(random_state)),
    description=(
        "CORAL (λ = 1) + linear SVM (LIBSVM) on the re-coloured source, C by 2-fold CV on "
        "the source"
    ),
    param_grid={"transfer__lambda_": [1.0, 0.1, 10.0]},
    published=_CORAL_REFS,
)

register_method(
    "coral_released",
    lambda random_state: CORALReleasedKernelSVM(lambda_=1.0, random_state=random_state),
    description=(
        "CORAL (λ = 1) evaluated as the released MATLAB code does: LIBSVM on the kernel "
        "Xs·A·Xsᵀ, C by 2-fold CV on the source"
    ),
    param_grid={"lambda_": [1.0, 0.1, 10.0]},
    published=_CORAL_REFS,
)

register_method(
    "coral_lr",
    lambda random_state: make_transfer_pipeline(
        CORAL(lambda_=1.0), LogisticRegression(max_iter=2000)
    ),
    description=(
        "CORAL (λ = 1) + logistic regression (C = 1), the model whose C "
        "benchmarks/selection_amazon.py selects"
    ),
    param_grid={"estimator__C": [1.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 10.0]},
)
