"""select(): the chosen candidate, refit, rules, reproducibility and bad input."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from transferkit import CORAL, TargetDomain, TransferKitInputError, make_transfer_pipeline
from transferkit.selection import (
    IWCV,
    BestScore,
    OneStandardError,
    SourceKFold,
    get_criterion,
    get_rule,
    score_candidates,
    select,
)

from ._helpers import FunctionWeighter, make_knn_shift, true_ratio


def test_select_picks_the_target_optimal_candidate_and_refits():
    Xs, ys, Xt, yt = make_knn_shift(seed=2)
    result = select(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 25, 75]},
        Xs,
        ys,
        Xt,
        criterion="dev",
        weighter=FunctionWeighter(true_ratio),
        random_state=0,
    )
    target_acc = [KNeighborsClassifier(k).fit(Xs, ys).score(Xt, yt) for k in (1, 25, 75)]
    assert result.best_index == int(np.argmax(target_acc)) == 0
    assert result.best_params == {"n_neighbors": 1}
    assert result.scores.shape == (3,)
    assert result.best_score == result.scores.max()
    assert result.best_estimator.n_neighbors == 1
    np.testing.assert_array_equal(
        result.best_estimator.predict(Xt), KNeighborsClassifier(1).fit(Xs, ys).predict(Xt)
    )


def test_select_with_a_transfer_pipeline_refits_on_source_and_target(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    model = make_transfer_pipeline(CORAL(), LogisticRegression())
    result = select(
        model,
        {"transfer__lambda_": [0.1, 1.0, 10.0]},
        Xs,
        ys,
        Xt,
        criterion="snd",
    )
    lam = result.best_params["transfer__lambda_"]
    expected = make_transfer_pipeline(CORAL(lam), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    np.testing.assert_allclose(result.best_estimator.predict_proba(Xt), expected.predict_proba(Xt))


def test_select_is_reproducible_and_leaves_inputs_untouched(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    copies = [a.copy() for a in (Xs, ys, Xt)]
    kwargs = dict(criterion="reverse", cv=3, random_state=7)
    a = select(LogisticRegression(), {"C": [0.01, 1.0]}, Xs, ys, Xt, **kwargs)
    b = select(LogisticRegression(), {"C": [0.01, 1.0]}, Xs, ys, Xt, **kwargs)
    np.testing.assert_array_equal(a.scores, b.scores)
    for before, after in zip(copies, (Xs, ys, Xt), strict=True):
        np.testing.assert_array_equal(before, after)


def test_one_standard_error_rule_prefers_the_first_close_candidate():
    Xs, ys, Xt, _ = make_knn_shift(seed=0)
    table = score_candidates(
        KNeighborsClassifier(),
        {"n_neighbors": [15, 25]},
        Xs,
        ys,
        Xt,
        criteria=["source_cv"],
        random_state=0,
    )
    scores = table.table("source_cv")
    folds = table.scores["source_cv"][int(np.argmax(scores))].fold_scores
    se = folds.std(ddof=1) / np.sqrt(folds.size)
    assert abs(scores[0] - scores[1]) < se  # the two are within one standard error
    assert table.choose("source_cv", OneStandardError()) == 0
    assert table.choose("source_cv", "best") == int(np.argmax(scores))


def test_rules_and_criteria_by_name():
    assert isinstance(get_rule("best"), BestScore)
    assert isinstance(get_criterion("iwcv"), IWCV)
    assert BestScore().choose([np.nan, 0.1], [None, None]) == 1
    with pytest.raises(TransferKitInputError, match="finite"):
        BestScore().choose([np.nan], [None])


def test_target_domain_wrapper_is_accepted(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    result = select(
        LogisticRegression(), {"C": [1.0]}, Xs, ys, TargetDomain(Xt), criterion="entropy"
    )
    assert result.best_index == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"criterion": "accuracy"}, TransferKitInputError, "not supported"),
        ({"criterion": "oracle"}, TransferKitInputError, "needs target labels"),
        ({"rule": "worst", "criterion": "source_cv"}, TransferKitInputError, "not supported"),
        ({"cv": "five", "criterion": "source_cv"}, TransferKitInputError, "cv must be"),
        (
            {"cv": 100, "criterion": "source_cv"},
            TransferKitInputError,
            "at least 100 source samples",
        ),
        ({"criterion": "iwcv", "weighter": LogisticRegression()}, TypeError, "weighter"),
    ],
)
def test_select_errors(shifted_blobs, kwargs, error, match):
    Xs, ys, Xt, _ = shifted_blobs
    with pytest.raises(error, match=match):
        select(LogisticRegression(), {"C": [1.0]}, Xs, ys, Xt, **kwargs)


def test_select_rejects_bad_grids_and_data(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    with pytest.raises(TransferKitInputError, match="empty"):
        select(LogisticRegression(), [], Xs, ys, Xt)
    with pytest.raises(TransferKitInputError, match="dict of parameter"):
        select(LogisticRegression(), [1.0, 2.0], Xs, ys, Xt)
    with pytest.raises(TransferKitInputError, match="does not have"):
        select(LogisticRegression(), {"gamma": [1.0]}, Xs, ys, Xt, criterion="entropy")
    with pytest.raises(TransferKitInputError, match="at least 2 target samples"):
        select(LogisticRegression(), {"C": [1.0]}, Xs, ys, Xt[:1], criterion="entropy")
    with pytest.raises(TransferKitInputError, match="features"):
        select(LogisticRegression(), {"C": [1.0]}, Xs, ys, Xt[:, :2], criterion="entropy")
    with pytest.raises(TransferKitInputError, match="NaN"):
        bad = Xt.copy()
        bad[0, 0] = np.nan
        select(LogisticRegression(), {"C": [1.0]}, Xs, ys, bad, criterion="entropy")
    with pytest.raises(TransferKitInputError, match="at least 10 source samples"):
        select(
            LogisticRegression(),
            {"C": [1.0]},
            Xs[::10],
            ys[::10],
            Xt,
            criterion="source_cv",
            cv=SourceKFold(10),
        )


def test_oracle_selection_needs_labels_but_label_free_ones_ignore_them(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    result = select(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 5]},
        Xs,
        ys,
        Xt,
        criterion="oracle",
        y_target=yt,
    )
    assert 0.0 <= result.best_score <= 1.0
    free = select(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 5]},
        Xs,
        ys,
        Xt,
        criterion="entropy",
        y_target=np.full_like(yt, 99),  # would be rejected if it were used
    )
    assert free.best_index in (0, 1)
