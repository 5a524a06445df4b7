"""Domain-aware splitters keep the target out of validation folds."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier

from transferkit import LabelError, TransferKitInputError
from transferkit.selection import SourceKFold, StratifiedSourceKFold


@pytest.mark.parametrize("splitter", [SourceKFold, StratifiedSourceKFold])
def test_validation_folds_partition_the_source(splitter):
    y = np.repeat([0, 1, 2], 10)
    folds = list(splitter(5, random_state=0).split(np.zeros((30, 2)), y))
    assert len(folds) == 5
    val = np.sort(np.concatenate([v for _, v in folds]))
    np.testing.assert_array_equal(val, np.arange(30))
    for train, v in folds:
        assert np.intersect1d(train, v).size == 0
        assert train.size + v.size == 30


def test_stratified_folds_keep_class_proportions():
    y = np.repeat([0, 1], [20, 10])
    for _, val in StratifiedSourceKFold(5, random_state=0).split(np.zeros((30, 1)), y):
        assert np.bincount(y[val]).tolist() == [4, 2]


@pytest.mark.parametrize("splitter", [SourceKFold, StratifiedSourceKFold])
def test_target_rows_are_in_every_training_fold_and_never_validated(splitter):
    domains = np.array([1] * 12 + [-2] * 5)
    y = np.concatenate([np.tile([0, 1], 6), -np.ones(5, dtype=int)])
    target = np.flatnonzero(domains < 0)
    for train, val in splitter(3, random_state=1).split(np.zeros((17, 2)), y, domains):
        assert np.isin(target, train).all()
        assert (domains[val] > 0).all()


def test_splitter_works_inside_gridsearchcv_with_sample_domain(rng):
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    domains = np.array([1] * 30 + [-2] * 10)
    search = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 3]}, cv=SourceKFold(3))
    search.fit(X, y, groups=domains)
    assert search.n_splits_ == 3


def test_shuffle_is_seeded():
    y = np.tile([0, 1], 10)
    a = [v.tolist() for _, v in StratifiedSourceKFold(4, random_state=3).split(y[:, None], y)]
    b = [v.tolist() for _, v in StratifiedSourceKFold(4, random_state=3).split(y[:, None], y)]
    assert a == b


def test_splitter_errors():
    X = np.zeros((4, 1))
    with pytest.raises(TransferKitInputError, match="at least 5 source samples"):
        list(SourceKFold(5).split(X))
    with pytest.raises(TransferKitInputError, match="at least 2"):
        list(SourceKFold(1).split(X))
    with pytest.raises(LabelError, match="needs the source labels"):
        list(StratifiedSourceKFold(2).split(X))
    with pytest.raises(LabelError, match="fewer than 3"):
        list(StratifiedSourceKFold(3).split(X, [0, 0, 1, 1]))
    with pytest.raises(TransferKitInputError, match="one entry per row"):
        list(SourceKFold(2).split(X, groups=[1, 1]))
