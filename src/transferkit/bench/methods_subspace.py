"""Benchmark entries of the subspace methods: Subspace Alignment, GFK and MEDA."""

from __future__ import annotations

from typing import Any

from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from transferkit.bench.methods_core import linear_svm
from transferkit.bench.registry import register_method
from transferkit.mapping import GFK, MEDA, SubspaceAlignment, SubspaceAlignmentSVC
from transferkit.pipeline import make_transfer_pipeline

__all__: list[str] = []


def _one_nn() -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=1, algorithm="brute")


register_method(
    "sa",
    lambda random_state: make_transfer_pipeline(SubspaceAlignment(n_components=20), _one_nn()),
    description="Subspace Alignment (d = 20, each domain centred) + 1NN",
    param_grid={"transfer__n_components": [20, 10, 30, 50, 100, "sdm"]},
    published={"office_caltech_surf": ["coral2016_t3:SA"]},
)

register_method(
    "gfk",
    lambda random_state: make_transfer_pipeline(GFK(n_components=20), _one_nn()),
    description="GFK (closed form, d = 20) + 1NN on the kernel-induced features",
    param_grid={"transfer__n_components": [20, 10, 30, 50, 100, "sdm"]},
    published={
        "office_caltech_surf": ["jda2013_t2:GFK", "meda2018_t2:GFK"],
        "digits": ["meda2018_t3:GFK"],
    },
)

register_method(
    "gfk_svm",
    lambda random_state: make_transfer_pipeline(GFK(n_components=10), linear_svm(random_state)),
    description="GFK (closed form, d = 10) + linear SVM (liblinear, C = 1)",
    param_grid={"transfer__n_components": [10, 20, 30, "sdm"], "estimator__C": [1.0, 0.1, 10.0]},
    published={"office_caltech_surf": ["coral2016_t3:GFK"]},
)


def _meda(random_state: Any) -> MEDA:
    # the paper's protocol, pinned (not the defaults, which may change)
    return MEDA(
        n_components=20,
        kernel="rbf",
        lambda_=10.0,
        eta=0.1,
        rho=1.0,
        n_neighbors=10,
        n_iter=10,
        mu="auto",
    )


register_method(
    "meda",
    _meda,
    description=(
        "MEDA (GFK d = 20, RBF, λ = 10, η = 0.1, rho = 1, p = 10, T = 10, adaptive μ), "
        "its own kernel least-squares classifier"
    ),
    param_grid={"lambda_": [10.0, 1.0], "n_components": [20, 10, 30]},
    published={
        "office_caltech_surf": ["meda2018_t2:MEDA"],
        "digits": ["meda2018_t3:MEDA"],
    },
)


def _sa_svm(random_state: Any) -> SubspaceAlignmentSVC:
    return SubspaceAlignmentSVC(n_components=20, random_state=random_state)


register_method(
    "sa_svm",
    _sa_svm,
    description=(
        "Subspace Alignment (d = 20) + the SA authors' similarity-kernel SVM "
        "(C by 2-fold source CV)"
    ),
    param_grid={"n_components": [20, 80, 10, 50]},
    published={
        "office_caltech_surf": ["coral2016_t3:SA"],
        "amazon": ["coral2016_t5:SA"],
    },
)


#: ``C`` candidates of the liblinear SVM of ``sa_linear_svm`` (benchmarks/mapping_subspace.py).
_LIBLINEAR_C_GRID = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]


def _sa_linear_svm(random_state: Any) -> Any:
    # liblinear (primal, squared hinge) on the aligned coordinates, C by stratified 2-fold
    # CV on the source, the folds shuffled with random_state
    search = GridSearchCV(
        LinearSVC(dual=False, max_iter=5000),
        {"C": _LIBLINEAR_C_GRID},
        cv=StratifiedKFold(2, shuffle=True, random_state=random_state),
    )
    return make_transfer_pipeline(SubspaceAlignment(n_components=20), search)


register_method(
    "sa_linear_svm",
    _sa_linear_svm,
    description=(
        "Subspace Alignment (d = 20) + liblinear linear SVM on the aligned coordinates, "
        "C in {1e-3, ..., 1e3} by 2-fold source CV"
    ),
    param_grid={"transfer__n_components": [20, 10, 50]},
    published={"office_caltech_surf": ["coral2016_t3:SA"]},
)
