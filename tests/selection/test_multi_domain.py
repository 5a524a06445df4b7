"""Selection passes several domains through: select, the splitters and GridSearchCV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

from transferkit import (
    CORAL,
    SourceOnly,
    TargetDomain,
    TransferKitInputError,
    make_transfer_pipeline,
    source_domain_scorer,
)
from transferkit.base import BaseTransferClassifier
from transferkit.selection import SourceKFold, StratifiedSourceKFold, select

LOG: list[dict] = []


@pytest.fixture
def log():
    LOG.clear()
    yield LOG
    LOG.clear()


class DomainRecorder(BaseTransferClassifier):
    """Test-only multi-source classifier: pooled logistic regression that records the
    domains every ``fit`` received in ``LOG`` (clones deep-copy their parameters, so the
    record lives at module level)."""

    _max_sources = None

    def __init__(self, C=1.0, log=False):
        self.C = C
        self.log = log

    def _fit(self, data):
        if self.log:
            LOG.append(
                {
                    "n_source": data.X.shape[0],
                    "source_ids": data.source_ids.tolist(),
                    "sample_domain": data.sample_domain.copy(),
                    "intermediates": [d.id for d in data.intermediates],
                    "n_target": data.X_target.shape[0],
                }
            )
        self.model_ = LogisticRegression(C=self.C).fit(data.X, data.y)

    def _predict_proba(self, X, domain):
        return self.model_.predict_proba(X)


@pytest.fixture
def two_sources(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    ids = np.where(np.arange(len(Xs)) % 2 == 0, 1, 3)
    return Xs, ys, ids, Xt, yt


def test_select_fits_every_candidate_on_every_source(two_sources, log):
    Xs, ys, ids, Xt, _ = two_sources
    X = np.vstack([Xs, Xt[:6] - 1.0])
    y = np.r_[ys, np.full(6, -1)]
    sd = np.r_[ids, np.full(6, -5)]  # an intermediate domain: the target is X_target
    result = select(
        DomainRecorder(log=True),
        {"C": [0.01, 1.0]},
        X,
        y,
        Xt,
        criterion="iwcv",
        cv=3,
        sample_domain=sd,
        random_state=0,
    )
    assert result.best_params["C"] in (0.01, 1.0)
    assert len(log) == 2 * 3 + 1  # every (candidate, fold) fit, then the refit
    for entry in log:
        assert entry["source_ids"] == [1, 3] and entry["intermediates"] == [-5]
        assert entry["n_target"] == len(Xt)
    # each training fold holds about two thirds of each source (folds stratified by source)
    for entry in log[:-1]:
        counts = np.bincount(entry["sample_domain"])[[1, 3]]
        assert np.all(np.abs(counts - 20) <= 2), counts
    assert log[-1]["n_source"] == len(Xs)


def test_select_refuses_several_sources_for_a_single_source_method(two_sources):
    Xs, ys, ids, Xt, _ = two_sources
    pipe = make_transfer_pipeline(CORAL(), LogisticRegression())
    with pytest.raises(TransferKitInputError, match="CORAL accepts one source domain"):
        select(pipe, {"transfer__lambda_": [1.0]}, Xs, ys, Xt, sample_domain=ids, cv=3)


def test_select_on_skada_fully_stacked_data_equals_the_two_domain_call(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    pipe = make_transfer_pipeline(CORAL(), LogisticRegression())
    grid = {"transfer__lambda_": [0.1, 10.0]}
    plain = select(pipe, grid, Xs, ys, Xt, criterion="dev", cv=3, random_state=0)
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, np.full(len(Xt), -1)]
    sd = np.r_[np.ones(len(Xs), int), np.full(len(Xt), -2)]
    stacked = select(
        pipe, grid, X, y, None, criterion="dev", cv=3, sample_domain=sd, random_state=0
    )
    np.testing.assert_allclose(stacked.scores, plain.scores)
    assert stacked.best_params == plain.best_params


def test_leave_one_source_out_with_group_kfold(two_sources, log):
    Xs, ys, ids, Xt, _ = two_sources
    select(
        DomainRecorder(log=True),
        {"C": [1.0]},
        Xs,
        ys,
        Xt,
        criterion="source_cv",
        cv=GroupKFold(2),
        sample_domain=ids,
    )
    assert sorted(entry["source_ids"] for entry in log[:2]) == [[1], [3]]


@pytest.mark.parametrize("splitter", [SourceKFold, StratifiedSourceKFold])
def test_splitters_keep_every_source_in_every_fold(splitter, two_sources):
    Xs, ys, ids, Xt, _ = two_sources
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, np.full(len(Xt), -1)]
    sd = np.r_[np.where(ids == 1, 0, ids), np.full(len(Xt), -2)]  # id 0 is a source (skada)
    n = len(Xs)
    folds = list(splitter(3, random_state=0).split(X, y, groups=sd))
    val = np.sort(np.concatenate([v for _, v in folds]))
    np.testing.assert_array_equal(val, np.arange(n))  # every source row validated once
    for train, v in folds:
        assert np.all(np.isin(np.arange(n, len(X)), train))  # the target always trains
        assert np.unique(sd[v]).tolist() == [0, 3]
        assert abs(np.sum(sd[v] == 0) - np.sum(sd[v] == 3)) <= 1
        if splitter is StratifiedSourceKFold:  # and each source keeps its classes
            for did in (0, 3):
                assert np.unique(y[v][sd[v] == did]).size == 3


def test_grid_search_slices_sample_domain_with_x(two_sources, log):
    Xs, ys, ids, Xt, _ = two_sources
    search = GridSearchCV(
        DomainRecorder(log=True),
        {"C": [0.1, 1.0]},
        cv=SourceKFold(3, random_state=0),
        scoring=source_domain_scorer,
    )
    search.fit(Xs, ys, groups=ids, sample_domain=ids, X_target=TargetDomain(Xt))
    for entry in log[:-1]:  # every fold fit got the rows of its fold and their ids
        assert entry["n_source"] == len(entry["sample_domain"]) == 40
        assert entry["source_ids"] == [1, 3]
    assert log[-1]["n_source"] == len(Xs)


def test_grid_search_on_skada_fully_stacked_data(shifted_blobs):
    Xs, ys, Xt, _ = shifted_blobs
    X = np.vstack([Xs, Xt])
    y = np.r_[ys, np.full(len(Xt), -1)]
    sd = np.r_[np.ones(len(Xs), int), np.full(len(Xt), -2)]
    pipe = make_transfer_pipeline(CORAL(), LogisticRegression())
    grid = {"transfer__lambda_": [0.1, 10.0]}
    stacked = GridSearchCV(
        pipe, grid, cv=SourceKFold(3, random_state=0), scoring=source_domain_scorer
    )
    stacked.fit(X, y, groups=sd, sample_domain=sd)
    # the same folds of the source with the whole target in each training fold
    folds = [
        (tr[tr < len(Xs)], va) for tr, va in SourceKFold(3, random_state=0).split(X, y, groups=sd)
    ]
    plain = GridSearchCV(pipe, grid, cv=folds, scoring=source_domain_scorer)
    plain.fit(Xs, ys, X_target=TargetDomain(Xt))
    np.testing.assert_allclose(
        stacked.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(
        stacked.best_estimator_.predict_proba(Xt), plain.best_estimator_.predict_proba(Xt)
    )


def test_pooling_baseline_in_select(two_sources):
    Xs, ys, ids, Xt, _ = two_sources
    result = select(
        SourceOnly(LogisticRegression()),
        {"estimator__C": [0.01, 1.0]},
        Xs,
        ys,
        Xt,
        criterion="entropy",
        sample_domain=ids,
    )
    assert result.best_estimator.classes_.tolist() == [0, 1, 2]
