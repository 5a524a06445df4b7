"""The label-free criteria as scikit-learn scorers: GridSearchCV chooses as select() does."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier

from transferkit import (
    CORAL,
    SourceOnly,
    TargetDomain,
    TransferKitInputError,
    make_transfer_pipeline,
)
from transferkit.instance import DiscriminativeDensityRatio
from transferkit.selection import (
    DEV,
    IWCV,
    SND,
    PredictionEntropy,
    ReverseValidation,
    SourceCV,
    SourceKFold,
    select,
)

from ._helpers import FunctionWeighter, make_knn_shift, true_ratio

GRID = {"kneighborsclassifier__n_neighbors": [1, 25, 75]}
# Criteria whose scorer computes exactly select()'s per-fold scores.
EXACT = (SourceCV, ReverseValidation)


@pytest.mark.parametrize(
    "criterion",
    [
        SourceCV(),
        ReverseValidation(),
        IWCV(weighter=FunctionWeighter(true_ratio)),
        DEV(weighter=FunctionWeighter(true_ratio)),
        PredictionEntropy(),
        SND(),
    ],
    ids=lambda c: type(c).__name__,
)
def test_grid_search_with_a_criterion_as_scoring_chooses_as_select(criterion):
    Xs, ys, Xt, yt = make_knn_shift(seed=2)
    model = make_transfer_pipeline(KNeighborsClassifier())
    cv = SourceKFold(3, random_state=0)
    search = GridSearchCV(model, GRID, scoring=criterion, cv=cv)
    search.fit(Xs, ys, X_target=TargetDomain(Xt))
    result = select(model, GRID, Xs, ys, Xt, criterion=criterion, cv=cv, refit=False)
    assert search.best_params_ == result.best_params
    if isinstance(criterion, EXACT):
        np.testing.assert_array_equal(search.cv_results_["mean_test_score"], result.scores)
    if isinstance(criterion, IWCV | DEV):  # the known answer: 1-NN is best on the target
        assert search.best_params_ == {"kneighborsclassifier__n_neighbors": 1}
        target_acc = [KNeighborsClassifier(k).fit(Xs, ys).score(Xt, yt) for k in (1, 25, 75)]
        assert int(np.argmax(target_acc)) == 0


def test_dev_scorer_gives_select_fold_scores_in_the_adapted_space(shifted_blobs):
    """DEV weighs in the CORAL space of each fold model: identical per-fold scores."""
    Xs, ys, Xt, _ = shifted_blobs
    model = make_transfer_pipeline(CORAL(), LogisticRegression())
    grid = {"coral__lambda_": [0.1, 10.0], "logisticregression__C": [1e-3, 1.0]}
    criterion = DEV(weighter=DiscriminativeDensityRatio(random_state=0), loss="log_loss")
    cv = SourceKFold(3, random_state=1)
    search = GridSearchCV(model, grid, scoring=criterion, cv=cv)
    search.fit(Xs, ys, X_target=TargetDomain(Xt))
    result = select(model, grid, Xs, ys, Xt, criterion=criterion, cv=cv, refit=False)
    folds = np.column_stack([search.cv_results_[f"split{k}_test_score"] for k in range(3)])
    expected = np.vstack([d.fold_scores for d in result.details])
    np.testing.assert_allclose(folds, expected, rtol=1e-10, atol=1e-12)
    assert search.best_params_ == result.best_params


def test_several_criteria_at_once_and_refit(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    model = make_transfer_pipeline(CORAL(), LogisticRegression())
    search = GridSearchCV(
        model,
        {"coral__lambda_": [0.1, 1.0]},
        scoring={"snd": SND(), "reverse": ReverseValidation()},
        refit="snd",
        cv=SourceKFold(2, random_state=0),
    )
    search.fit(Xs, ys, X_target=TargetDomain(Xt))
    assert {"mean_test_snd", "mean_test_reverse"} <= set(search.cv_results_)
    assert search.best_estimator_.predict(Xt).shape == (len(Xt),)


def test_scorer_refuses_estimators_without_a_target(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    plain = LogisticRegression().fit(Xs, ys)
    with pytest.raises(TransferKitInputError, match="TargetDomain"):
        DEV()(plain, Xs, ys)
    source_only = SourceOnly(LogisticRegression()).fit(Xs, ys)
    with pytest.raises(TransferKitInputError, match="no target"):
        SND()(source_only, Xs, ys)
    fitted = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="sample_weight"):
        SourceCV()(fitted, Xs, ys, sample_weight=np.ones(len(ys)))
    assert SourceCV()(fitted, Xs[:10], ys[:10]) == pytest.approx(
        fitted.score(Xs[:10], ys[:10], domain="source")
    )
