"""The ``target_cv`` selection rule: it chooses on the labelled target budget only."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly, TargetOnly
from transferkit._validation import TransferKitInputError
from transferkit.bench.registry import MethodSpec
from transferkit.bench.selection import (
    SelectorInput,
    get_selector,
    register_selector,
    run_selector,
)
from transferkit.instance import TrAdaBoost
from transferkit.selection import choose_by_target_cv


def _domains(seed=0, n_labelled=12):
    rng = np.random.default_rng(seed)
    Xs = rng.normal(size=(120, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    Xt = rng.normal(size=(80, 2)) + np.array([0.5, 0.0])
    yt = (Xt[:, 0] + 0.8 * Xt[:, 1] > 0.5).astype(int)
    partial = np.full(80, -1)
    for c in (0, 1):
        partial[np.flatnonzero(yt == c)[:n_labelled]] = c
    return Xs, ys, Xt, yt, partial


def _problem(spec, candidates, y_target, seed=3):
    Xs, ys, Xt, _, _ = _domains()
    return SelectorInput(
        method=spec,
        candidates=candidates,
        X=Xs,
        y=ys,
        X_target=Xt,
        y_target=y_target,
        random_state=seed,
    )


def test_target_cv_is_registered_as_choosing_on_the_labelled_budget():
    selector = get_selector("target_cv")
    assert selector.uses_labelled_target and not selector.uses_target_labels


def test_a_label_learner_is_chosen_by_choose_by_target_cv():
    *_, partial = _domains()
    spec = MethodSpec(
        "tb",
        lambda rs: TrAdaBoost(LogisticRegression(), n_estimators=20, random_state=rs),
        "TrAdaBoost",
        uses_target_labels=True,
    )
    candidates = [{"n_estimators": n} for n in (1, 2, 5, 10)]
    params, info = run_selector(get_selector("target_cv"), _problem(spec, candidates, partial))
    Xs, ys, Xt, _, _ = _domains()
    expected = choose_by_target_cv(
        TrAdaBoost(LogisticRegression(), random_state=3),
        {"n_estimators": [1, 2, 5, 10]},
        Xs,
        ys,
        X_target=Xt,
        y_target=partial,
        n_splits=5,
        random_state=3,
    )
    assert params == expected.best_params
    assert info["target_cv_accuracy_of_candidates"] == [s for _, s in expected.scores]
    assert info["n_splits"] == 5 and info["n_labelled"] == 24


def test_a_label_free_method_is_chosen_by_its_accuracy_on_the_labelled_samples():
    Xs, ys, Xt, _, partial = _domains()
    spec = MethodSpec("knn", lambda rs: SourceOnly(KNeighborsClassifier()), "kNN")
    candidates = [{"estimator__n_neighbors": k} for k in (1, 5, 25)]
    params, info = run_selector(get_selector("target_cv"), _problem(spec, candidates, partial))
    lab = partial >= 0
    accuracies = [
        np.mean(KNeighborsClassifier(k).fit(Xs, ys).predict(Xt[lab]) == partial[lab])
        for k in (1, 5, 25)
    ]
    assert info["labelled_target_accuracy_of_candidates"] == accuracies
    assert params == candidates[int(np.argmax(accuracies))]


def test_target_cv_without_labelled_samples_is_refused():
    spec = MethodSpec("to", lambda rs: TargetOnly(LogisticRegression()), "target only")
    for y_target in (None, np.full(80, -1)):
        with pytest.raises(TransferKitInputError, match="labelled target budget"):
            run_selector(get_selector("target_cv"), _problem(spec, [{"C": 1.0}], y_target))


def test_a_selector_cannot_see_every_label_and_only_the_budget():
    with pytest.raises(TransferKitInputError, match="exclude each other"):
        register_selector(
            "both_kinds", lambda p: {}, uses_target_labels=True, uses_labelled_target=True
        )


def test_a_budget_too_small_for_five_folds_names_the_class_and_the_fix():
    *_, partial = _domains(n_labelled=4)
    spec = MethodSpec(
        "to", lambda rs: TargetOnly(LogisticRegression()), "target only", uses_target_labels=True
    )
    with pytest.raises(TransferKitInputError, match=r"labels 4 of class 0; .*per_class >= 5"):
        run_selector(get_selector("target_cv"), _problem(spec, [{"estimator__C": 1.0}], partial))
