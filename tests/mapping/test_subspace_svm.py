"""SA with the authors' similarity-kernel SVM: the kernel, the C choice, a published table."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from transferkit._validation import TransferKitInputError
from transferkit.bench import get_published
from transferkit.datasets import load_task
from transferkit.mapping import SubspaceAlignmentSVC


def _zscored_domains(rng):
    Xs = rng.normal(size=(90, 8)) * np.linspace(3.0, 0.5, 8)
    ys = (Xs[:, 0] + 0.5 * Xs[:, 1] > 0).astype(int) + (Xs[:, 2] > 1.0)
    Xt = rng.normal(size=(70, 8)) * np.linspace(0.5, 3.0, 8) + 2.0
    return Xs, ys, Xt


def test_similarity_is_the_authors_formula_and_predictions_follow(rng):
    Xs, ys, Xt = _zscored_domains(rng)
    model = SubspaceAlignmentSVC(n_components=4, C=1.0).fit(Xs, ys, X_target=Xt)
    sa = model.alignment_
    # the authors' code: A = Ps Ps' Pt Pt' on z-scored (centred) data
    Zs, Zt = Xs - Xs.mean(0), Xt - Xt.mean(0)
    Ps, Pt = sa.components_source_, sa.components_target_
    A = Ps @ Ps.T @ Pt @ Pt.T
    K_train, K_test = Zs @ A @ Zs.T, (Zs @ A @ Zt.T).T
    assert not np.allclose(K_train, K_train.T)  # asymmetric, as in the paper's code
    reference = SVC(kernel="precomputed", C=1.0, max_iter=20000).fit(K_train, ys)
    np.testing.assert_array_equal(model.predict(Xt), reference.predict(K_test))
    np.testing.assert_allclose(model.decision_function(Xt), reference.decision_function(K_test))
    proba = model.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.cv_scores_ == {} and model.C_ == 1.0


def test_soft_margin_is_chosen_by_source_cross_validation(rng):
    Xs, ys, Xt = _zscored_domains(rng)
    grid = (0.01, 1.0, 100.0)
    model = SubspaceAlignmentSVC(n_components=4, C_grid=grid, random_state=3)
    model.fit(Xs, ys, X_target=Xt)
    assert set(model.cv_scores_) == set(grid)
    assert model.C_ == max(model.cv_scores_, key=model.cv_scores_.get)
    # recompute one CV score independently
    K = (
        model.alignment_.transform(Xs, "source")
        @ ((Xs - Xs.mean(0)) @ model.alignment_.components_target_).T
    )
    scores = []
    for train, test in StratifiedKFold(2, shuffle=True, random_state=3).split(Xs, ys):
        svc = SVC(kernel="precomputed", C=1.0, max_iter=20000).fit(
            K[np.ix_(train, train)], ys[train]
        )
        scores.append(np.mean(svc.predict(K[np.ix_(test, train)]) == ys[test]))
    assert model.cv_scores_[1.0] == pytest.approx(np.mean(scores))
    again = SubspaceAlignmentSVC(n_components=4, C_grid=grid, random_state=3).fit(
        Xs, ys, X_target=Xt
    )
    assert again.cv_scores_ == model.cv_scores_


def test_reproduces_coral_table5_sa_average_on_amazon(data_home):
    """CORAL (AAAI 2016) Table 5, SA: 77.0 on K->D, D->B, B->E, E->K (linear features)."""
    published = get_published("amazon", "coral2016_t5:SA")
    names = {"K": "kitchen", "D": "dvd", "B": "books", "E": "elec"}
    accuracies = []
    for task in published.values:
        source, target = task.split("->")
        Xs, ys, Xt, yt = load_task(
            "amazon_review_400", names[source], names[target], data_home=data_home
        )
        model = SubspaceAlignmentSVC(n_components=20, random_state=0)
        accuracies.append(100 * model.fit(Xs, ys, X_target=Xt).score(Xt, yt))
    assert abs(np.mean(accuracies) - published.average) <= 1.5


def test_bad_inputs(rng):
    Xs, ys, Xt = _zscored_domains(rng)
    with pytest.raises(TransferKitInputError, match="C must be"):
        SubspaceAlignmentSVC(n_components=3, C="auto").fit(Xs, ys, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="C_grid"):
        SubspaceAlignmentSVC(n_components=3, C_grid=(1.0, -1.0)).fit(Xs, ys, X_target=Xt)
    lonely = ys.copy()
    lonely[0] = 7
    with pytest.raises(TransferKitInputError, match="smallest class has 1"):
        SubspaceAlignmentSVC(n_components=3).fit(Xs, lonely, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="X_target"):
        SubspaceAlignmentSVC(n_components=3).fit(Xs, ys)
