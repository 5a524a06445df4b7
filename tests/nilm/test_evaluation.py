"""Leave-one-house-out where houses are known, stratified k-fold otherwise."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.metrics import f1_score
from sklearn.neighbors import KNeighborsClassifier

from transferkit._validation import LabelError, TransferKitInputError
from transferkit.nilm.evaluation import appliance_splits, evaluate_appliance_classifier


def test_leave_one_house_out_never_trains_on_the_test_house():
    y = np.array([0, 1, 0, 1, 0, 1, 2, 2])
    houses = np.array(["a", "a", "b", "b", "c", "c", "a", "c"])
    protocol, splits, names = appliance_splits(y, houses)
    assert protocol == "leave-one-house-out (3 houses)" and names == ("a", "b", "c")
    for (train, test), h in zip(splits, names, strict=True):
        assert set(houses[test]) == {h} and h not in set(houses[train])
    assert sorted(np.concatenate([t for _, t in splits]).tolist()) == list(range(8))


def test_house_memorisation_is_exposed():
    """A 1-NN that memorises each house's own appliance scores perfectly on random folds
    but not when the house is held out: the protocol matters."""
    rng = np.random.default_rng(0)
    n_houses, per = 6, 10
    houses = np.repeat([f"h{k}" for k in range(n_houses)], 2 * per)
    y = np.tile(np.repeat([0, 1], per), n_houses)
    # each house's appliance of a class sits at its own random spot; classes overlap
    spots = rng.normal(scale=3.0, size=(n_houses, 2, 2))
    X = spots[np.repeat(np.arange(n_houses), 2 * per), y] + rng.normal(scale=0.05, size=(y.size, 2))
    knn = KNeighborsClassifier(1)
    random = evaluate_appliance_classifier(knn, X, y, n_splits=5)
    loho = evaluate_appliance_classifier(knn, X, y, houses)
    assert random.protocol.startswith("stratified 5-fold") and random.macro_f1 == 1.0
    assert loho.protocol.startswith("leave-one-house-out") and loho.macro_f1 < 0.8
    assert len(loho.fold_macro_f1) == n_houses and loho.folds[0] == "h0"


def test_scores_are_pooled_out_of_fold_predictions():
    y = np.repeat([0, 1, 2], 10)
    X = np.arange(30.0)[:, None]
    res = evaluate_appliance_classifier(DummyClassifier(strategy="most_frequent"), X, y, n_splits=5)
    assert res.accuracy == pytest.approx(np.mean(res.predictions == y))
    assert res.macro_f1 == pytest.approx(
        f1_score(y, res.predictions, average="macro", zero_division=0)
    )
    assert "macro-F1" in res.summary()


def test_errors():
    with pytest.raises(LabelError, match="smallest class"):
        appliance_splits([0, 0, 1], n_splits=3)
    with pytest.raises(TransferKitInputError, match="at least 2 houses"):
        appliance_splits([0, 1], ["a", "a"])
    with pytest.raises(TransferKitInputError, match="one house per sample"):
        appliance_splits([0, 1], ["a"])
    with pytest.raises(TransferKitInputError, match="same number of samples"):
        evaluate_appliance_classifier(DummyClassifier(), np.zeros((3, 1)), [0, 1])
