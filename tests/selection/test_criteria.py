"""Criteria against closed forms, scikit-learn, and a covariate shift with a known answer."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from transferkit import CORAL, make_transfer_pipeline
from transferkit.selection import (
    DEV,
    IWCV,
    SND,
    PredictionEntropy,
    ReverseValidation,
    SourceCV,
    StratifiedSourceKFold,
    TargetOracle,
    prediction_entropy,
    score_candidates,
    soft_neighbourhood_density,
)

from ._helpers import FunctionWeighter, UnitWeighter, make_knn_shift, true_ratio

GRID = {"n_neighbors": [1, 25, 75]}


def test_iwcv_with_unit_weights_equals_plain_cross_validation(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    cv = StratifiedSourceKFold(4, random_state=0)
    table = score_candidates(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 3, 7]},
        Xs,
        ys,
        Xt,
        criteria=[IWCV(weighter=UnitWeighter()), SourceCV()],
        cv=cv,
    )
    for i, k in enumerate([1, 3, 7]):
        sk = cross_val_score(KNeighborsClassifier(k), Xs, ys, cv=list(cv.split(Xs, ys)))
        assert table.scores["source_cv"][i].score == pytest.approx(sk.mean())
        assert table.scores["iwcv"][i].score == pytest.approx(sk.mean() - 1.0)
        np.testing.assert_allclose(table.scores["iwcv"][i].fold_scores, sk - 1.0)


def test_iwcv_and_dev_recover_the_target_optimal_k_under_covariate_shift():
    Xs, ys, Xt, yt = make_knn_shift(seed=0)
    weighter = FunctionWeighter(true_ratio)
    table = score_candidates(
        KNeighborsClassifier(),
        GRID,
        Xs,
        ys,
        Xt,
        criteria=[IWCV(), DEV(), SourceCV(), TargetOracle()],
        y_target=yt,
        weighter=weighter,
        random_state=0,
    )
    oracle = table.choose("oracle")
    assert table.params[oracle] == {"n_neighbors": 1}
    assert table.choose("iwcv") == oracle
    assert table.choose("dev") == oracle
    # the uncorrected source validation is fooled by the noisy source region
    assert table.choose("source_cv") != oracle
    # importance weighting brings the estimated error closer to the true target error
    target_error = 1 - table.table("oracle")
    iwcv_gap = np.abs(-table.table("iwcv") - target_error).mean()
    source_gap = np.abs((1 - table.table("source_cv")) - target_error).mean()
    assert iwcv_gap < source_gap


def test_dev_pools_folds_and_reports_eta():
    Xs, ys, Xt, _ = make_knn_shift(seed=1)
    table = score_candidates(
        KNeighborsClassifier(),
        {"n_neighbors": [5]},
        Xs,
        ys,
        Xt,
        criteria=[DEV(weighter=FunctionWeighter(true_ratio))],
        random_state=0,
    )
    score = table.scores["dev"][0]
    assert score.fold_scores.shape == (5,)
    assert np.isfinite(score.details["eta"])


def test_dev_estimates_weights_in_the_adapted_feature_space(shifted_blobs):
    """With a CORAL pipeline, DEV's weighter sees the re-coloured source, not the input."""
    Xs, ys, Xt, _ = shifted_blobs
    seen = []

    def ratio(X):
        seen.append(X.copy())
        return np.ones(X.shape[0])

    model = make_transfer_pipeline(CORAL(), LogisticRegression())
    score_candidates(
        model,
        {"transfer__lambda_": [1.0]},
        Xs,
        ys,
        Xt,
        criteria=[DEV(weighter=FunctionWeighter(ratio))],
        cv=3,
        random_state=0,
    )
    assert len(seen) == 3 * 2  # fit + held-out fold, per fold
    coral = CORAL(1.0).fit(Xs, X_target=Xt)
    assert not np.allclose(seen[0].mean(axis=0), Xs[: len(seen[0])].mean(axis=0))
    # the re-coloured training source has (nearly) the target's covariance scale
    assert np.trace(np.cov(seen[0].T)) == pytest.approx(
        np.trace(np.cov(coral.transform(Xs, "source").T)), rel=0.3
    )


def test_target_side_criteria_match_their_score_functions(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    table = score_candidates(
        LogisticRegression(),
        {"C": [0.01, 1.0]},
        Xs,
        ys,
        Xt,
        criteria=[PredictionEntropy(), SND()],
    )
    for i, C in enumerate([0.01, 1.0]):
        proba = LogisticRegression(C=C).fit(Xs, ys).predict_proba(Xt)
        assert table.scores["entropy"][i].score == pytest.approx(-prediction_entropy(proba))
        assert table.scores["snd"][i].score == pytest.approx(soft_neighbourhood_density(proba))
    # weaker regularisation gives more confident target predictions
    assert table.choose("entropy") == 1


def test_oracle_is_target_accuracy(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    table = score_candidates(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 5]},
        Xs,
        ys,
        Xt,
        criteria=["oracle"],
        y_target=yt,
    )
    for i, k in enumerate([1, 5]):
        expected = accuracy_score(yt, KNeighborsClassifier(k).fit(Xs, ys).predict(Xt))
        assert table.scores["oracle"][i].score == pytest.approx(expected)


def test_reverse_validation_by_hand(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    cv = StratifiedSourceKFold(3, random_state=0)
    table = score_candidates(
        LogisticRegression(), {"C": [1.0]}, Xs, ys, Xt, criteria=["reverse"], cv=cv
    )
    expected = []
    for train, val in cv.split(Xs, ys):
        pseudo = LogisticRegression().fit(Xs[train], ys[train]).predict(Xt)
        reverse = LogisticRegression().fit(Xt, pseudo)
        expected.append(np.mean(reverse.predict(Xs[val]) == ys[val]))
    assert table.scores["reverse"][0].score == pytest.approx(np.mean(expected))


def test_reverse_validation_prefers_a_model_that_transfers_over_a_degenerate_one(shifted_blobs):
    """Strong regularisation on a shifted target predicts one class; reverse validation
    scores it at chance while the working model recovers the source labels."""
    Xs, ys, Xt, _ = shifted_blobs
    model = make_transfer_pipeline(CORAL(), LogisticRegression())
    table = score_candidates(
        model,
        {"estimator__C": [1e-6, 1.0]},
        Xs,
        ys,
        Xt,
        criteria=[ReverseValidation()],
        cv=3,
        random_state=0,
    )
    scores = table.table("reverse")
    assert scores[1] > 0.8 > scores[0]


def test_decision_function_models_work_with_target_side_criteria(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    table = score_candidates(LinearSVC(), {"C": [0.1, 1.0]}, Xs, ys, Xt, criteria=["snd"])
    assert np.all(np.isfinite(table.table("snd")))


def test_log_loss_option(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    table = score_candidates(
        LogisticRegression(),
        {"C": [1.0]},
        Xs,
        ys,
        Xt,
        criteria=[IWCV(weighter=UnitWeighter(), loss="log_loss")],
        cv=StratifiedSourceKFold(3, random_state=0),
    )
    expected = []
    for train, val in StratifiedSourceKFold(3, random_state=0).split(Xs, ys):
        proba = LogisticRegression().fit(Xs[train], ys[train]).predict_proba(Xs[val])
        expected.append(-np.log(proba[np.arange(val.size), ys[val]]).mean())
    assert table.scores["iwcv"][0].score == pytest.approx(-np.mean(expected))
