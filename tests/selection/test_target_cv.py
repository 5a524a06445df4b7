"""Cross-validation on the labelled target samples: folds, leakage, closed forms, errors."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from transferkit import SourceOnly, TargetOnly
from transferkit._validation import LabelError
from transferkit.instance import TrAdaBoost
from transferkit.selection import choose_by_target_cv, target_cv_accuracy


def _domains(rng, n_labelled=30):
    Xs = rng.normal(size=(150, 3))
    ys = (Xs[:, 0] > 0).astype(int)
    Xt = rng.normal(size=(90, 3)) + 0.5
    yt = (Xt[:, 0] + 0.8 * Xt[:, 1] > 0.5).astype(int)
    partial = np.full(90, -1)
    labelled = rng.choice(90, size=n_labelled, replace=False)
    partial[labelled] = yt[labelled]
    return Xs, ys, Xt, partial


class _Spy(ClassifierMixin, BaseEstimator):
    """Records the target labels every fold is fitted with."""

    seen: ClassVar[list] = []

    def fit(self, X, y, *, X_target=None, y_target=None):
        type(self).seen.append(np.asarray(y_target).copy())
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_held_out_labels_are_hidden_and_each_labelled_sample_is_scored_once(rng):
    Xs, ys, Xt, partial = _domains(rng)
    _Spy.seen = []
    target_cv_accuracy(_Spy(), Xs, ys, X_target=Xt, y_target=partial, random_state=0)
    labelled = set(np.flatnonzero(partial != -1))
    hidden_sets = []
    for y_fit in _Spy.seen:
        assert len(y_fit) == len(partial)  # the whole target stays in every fit
        hidden = labelled - set(np.flatnonzero(y_fit != -1))
        kept = np.flatnonzero(y_fit != -1)
        np.testing.assert_array_equal(y_fit[kept], partial[kept])  # kept labels intact
        hidden_sets.append(hidden)
    assert len(hidden_sets) == 5
    assert set().union(*hidden_sets) == labelled
    assert sum(len(h) for h in hidden_sets) == len(labelled)


def test_source_only_scores_its_accuracy_on_every_labelled_sample(rng):
    """SourceOnly ignores target labels, so the CV accuracy is its plain accuracy."""
    Xs, ys, Xt, partial = _domains(rng)
    lab = partial != -1
    model = SourceOnly(LogisticRegression())
    expected = np.mean(model.fit(Xs, ys).predict(Xt[lab]) == partial[lab])
    got = target_cv_accuracy(model, Xs, ys, X_target=Xt, y_target=partial, random_state=1)
    assert got == pytest.approx(expected)


def test_target_only_equals_sklearn_cross_validation_on_the_labelled_samples(rng):
    Xs, ys, Xt, partial = _domains(rng, n_labelled=40)
    lab = np.flatnonzero(partial != -1)
    cv = StratifiedKFold(4, shuffle=True, random_state=7)
    predicted = cross_val_predict(LogisticRegression(), Xt[lab], partial[lab], cv=cv)
    expected = np.mean(predicted == partial[lab])
    got = target_cv_accuracy(
        TargetOnly(LogisticRegression()),
        Xs,
        ys,
        X_target=Xt,
        y_target=partial,
        n_splits=4,
        random_state=7,
    )
    assert got == pytest.approx(expected)


def test_choose_by_target_cv_takes_the_best_first_and_refits(rng):
    Xs, ys, Xt, partial = _domains(rng)
    grid = {"n_estimators": [1, 3, 8]}
    result = choose_by_target_cv(
        TrAdaBoost(random_state=0), grid, Xs, ys, X_target=Xt, y_target=partial, random_state=0
    )
    scores = [s for _, s in result.scores]
    assert [p["n_estimators"] for p, _ in result.scores] == [1, 3, 8]
    assert result.best_params == result.scores[int(np.argmax(scores))][0]
    for params, score in result.scores:
        again = target_cv_accuracy(
            TrAdaBoost(random_state=0, **params),
            Xs,
            ys,
            X_target=Xt,
            y_target=partial,
            random_state=0,
        )
        assert score == pytest.approx(again)
    assert result.best_estimator.n_estimators == result.best_params["n_estimators"]
    assert len(result.best_estimator.estimators_) == result.best_params["n_estimators"]
    # refit=False: the same choice and scores, no refitted estimator
    bare = choose_by_target_cv(
        TrAdaBoost(random_state=0),
        grid,
        Xs,
        ys,
        X_target=Xt,
        y_target=partial,
        random_state=0,
        refit=False,
    )
    assert bare.best_estimator is None
    assert (bare.best_params, bare.scores) == (result.best_params, result.scores)


def test_bad_inputs(rng):
    Xs, ys, Xt, partial = _domains(rng, n_labelled=6)
    model = TargetOnly(LogisticRegression())
    with pytest.raises(LabelError, match="at least 5 labelled target samples of every class"):
        target_cv_accuracy(model, Xs, ys, X_target=Xt, y_target=partial)
    with pytest.raises(LabelError, match="n_splits must be at least 2"):
        target_cv_accuracy(model, Xs, ys, X_target=Xt, y_target=partial, n_splits=1)
    with pytest.raises(LabelError, match="labelled"):
        target_cv_accuracy(model, Xs, ys, X_target=Xt, y_target=np.full(len(Xt), -1))
    with pytest.raises(LabelError, match="param_grid is empty"):
        choose_by_target_cv(model, {}, Xs, ys, X_target=Xt, y_target=partial)
