"""Benchmark entries of the core baselines: no adaptation, joint PCA and CORAL."""

from __future__ import annotations

from typing import Any

from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from transferkit.baselines import SourceOnly
from transferkit.bench.registry import register_method
from transferkit.mapping import CORAL, JointPCA
from transferkit.pipeline import make_transfer_pipeline

__all__: list[str] = []


def linear_svm(random_state: Any = None, C: float = 1.0) -> LinearSVC:
    """The linear SVM of the CORAL protocol (see docs/benchmarks.md for the choice)."""
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
    lambda random_state: SourceOnly(linear_svm(random_state)),
    description="no adaptation: linear SVM (liblinear, squared hinge, C=1) on the source",
    param_grid={"estimator__C": [1.0, 0.001, 0.01, 0.1, 10.0, 100.0]},
    published={
        "office_caltech_surf": ["coral2016_t3:NA", "meda2018_t2:SVM"],
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

register_method(
    "coral",
    lambda random_state: make_transfer_pipeline(CORAL(lambda_=1.0), linear_svm(random_state)),
    description="CORAL (λ = 1) + linear SVM trained on the re-coloured source",
    param_grid={"transfer__lambda_": [1.0, 0.1, 10.0], "estimator__C": [1.0, 0.01, 100.0]},
    published={
        "office_caltech_surf": ["coral2016_t3:CORAL", "meda2018_t2:CORAL"],
        "digits": ["meda2018_t3:CORAL"],
        "amazon": ["coral2016_t5:CORAL"],
    },
)
