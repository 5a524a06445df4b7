"""Tensors, Datasets and DataLoaders give the torch estimators the same model as arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from transferkit import TransferKitInputError
from transferkit._validation import InputTypeError
from transferkit.deep import DANN
from transferkit.engine.inputs import read_samples
from transferkit.finetune import FineTuneClassifier

FAST = dict(hidden=(16,), epochs=2, batch_size=16, discriminator_hidden=(16,), dropout=0.1)


class Pairs(Dataset):
    """A map-style dataset of NumPy items, as users write them."""

    def __init__(self, X, y=None, shape=None):
        self.X, self.y, self.shape = X, y, shape

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i] if self.shape is None else self.X[i].reshape(self.shape)
        return x if self.y is None else (x, self.y[i])


class Stream(IterableDataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __iter__(self):
        return iter(zip(torch.as_tensor(self.X), torch.as_tensor(self.y), strict=True))


def _data(rng, n=96, d=6):
    y = np.arange(n) % 3
    X = (rng.normal(size=(n, d)) * 0.5).astype(np.float32)
    X[np.arange(n), y] += 2.0
    Xt = (rng.normal(size=(n, d)) * 0.5 + 0.3).astype(np.float32)
    return X, y, Xt


def test_every_form_gives_the_model_of_the_arrays(rng):
    X, y, Xt = _data(rng)
    ref = DANN(**FAST, random_state=3).fit(X, y, X_target=Xt).predict_proba(Xt)
    tX, ty, tXt = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(Xt)
    forms = {
        "tensors": ((tX, ty), {"X_target": tXt}),
        "TensorDataset": ((TensorDataset(tX, ty),), {"X_target": TensorDataset(tXt)}),
        "Dataset of NumPy pairs": ((Pairs(X, y),), {"X_target": Pairs(Xt)}),
        "target (x, label) items": ((Pairs(X, y),), {"X_target": Pairs(Xt, -np.ones(len(Xt)))}),
        "shuffled DataLoaders": (
            (DataLoader(TensorDataset(tX, ty), batch_size=7, shuffle=True),),
            {"X_target": DataLoader(TensorDataset(tXt), batch_size=5, shuffle=True)},
        ),
        "IterableDataset": ((Stream(X, y),), {"X_target": tXt}),
    }
    for form, (args, kwargs) in forms.items():
        clf = DANN(**FAST, random_state=3).fit(*args, **kwargs)
        np.testing.assert_array_equal(clf.predict_proba(Xt), ref, err_msg=form)
        np.testing.assert_array_equal(clf.predict_proba(tXt), ref, err_msg=form)
        np.testing.assert_array_equal(clf.predict_proba(Pairs(Xt)), ref, err_msg=form)
        assert clf.score(Pairs(Xt, y)) == clf.score(Xt, y) == clf.score(tXt, torch.from_numpy(y))


def test_image_tensors_and_datasets_are_viewed_through_image_shape(rng):
    n = 64
    y = np.arange(n) % 2
    X = rng.random((n, 64)).astype(np.float32)
    X[y == 1, :32] += 0.5
    Xt = X + 0.05
    params = dict(
        image_shape=(1, 8, 8), features=16, epochs=1, batch_size=16, discriminator_hidden=(8,)
    )
    ref = DANN(**params).fit(X, y, X_target=Xt).predict_proba(Xt)
    images = torch.from_numpy(X).reshape(n, 1, 8, 8)
    clf = DANN(**params).fit(images, torch.from_numpy(y), X_target=Pairs(Xt, shape=(1, 8, 8)))
    np.testing.assert_array_equal(clf.predict_proba(Xt), ref)
    np.testing.assert_array_equal(clf.predict_proba(torch.from_numpy(Xt).reshape(n, 1, 8, 8)), ref)


def test_finetune_reads_target_labels_from_the_dataset(rng):
    n = 40
    y = np.arange(n) % 2
    X = (rng.random((n, 64)) * 0.2).astype(np.float32)
    X[y == 1, :32] += 0.8
    yt = y.copy()
    yt[::2] = -1  # unlabelled
    params = dict(
        image_shape=(1, 8, 8),
        backbone_kwargs={"widths": (4, 8, 8)},
        pretrain_epochs=1,
        epochs=2,
        lr=0.01,
    )
    ref = FineTuneClassifier(**params).fit(X, y, X_target=X, y_target=yt).predict_proba(X)
    images = torch.from_numpy(X).reshape(n, 1, 8, 8)
    clf = FineTuneClassifier(**params).fit(
        TensorDataset(images, torch.from_numpy(y)),
        X_target=DataLoader(Pairs(X, yt, shape=(1, 8, 8)), batch_size=4),
    )
    np.testing.assert_array_equal(clf.predict_proba(X), ref)
    np.testing.assert_array_equal(clf.predict_proba(TensorDataset(images)), ref)


def test_malformed_datasets_are_named(rng):
    X, y, Xt = _data(rng, n=12)
    clf = DANN(**FAST)
    with pytest.raises(TransferKitInputError, match=r"X is a Dataset.*\(x, y\) pairs.*1 part"):
        clf.fit(Pairs(X), X_target=Xt)
    with pytest.raises(TransferKitInputError, match="its items carry the labels"):
        clf.fit(Pairs(X, y), y, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="carry the target labels"):
        clf.fit(X, y, X_target=Pairs(Xt), y_target=np.zeros(12))
    with pytest.raises(TransferKitInputError, match="X_target is an empty Dataset"):
        clf.fit(X, y, X_target=Pairs(Xt[:0]))
    ragged = [(np.zeros(6), 0), (np.zeros(5), 1)]
    with pytest.raises(TransferKitInputError, match=r"item 0 has \(6,\), item 1 has \(5,\)"):
        clf.fit(Pairs(ragged), X_target=Xt)
    with pytest.raises(TransferKitInputError, match=r"item 0 has 2 part\(s\), item 1 has 3"):
        clf.fit(Pairs([(X[0], 0), (X[1], 1, 5)]), X_target=Xt)
    with pytest.raises(TransferKitInputError, match="label of item 1 of X must be one number"):
        clf.fit(Pairs([(X[0], 0), (X[1], [1, 2])]), X_target=Xt)
    with pytest.raises(InputTypeError, match="item 0 of X must hold numbers"):
        clf.fit(Pairs([("abc", 0)]), X_target=Xt)
    with pytest.raises(TransferKitInputError, match=r"items of X_target must be x or \(x, y\)"):
        clf.fit(X, y, X_target=TensorDataset(*(torch.from_numpy(Xt),) * 3))
    with pytest.raises(TransferKitInputError, match="score needs the true labels"):
        clf.fit(X, y, X_target=Xt).score(Pairs(Xt))


def test_read_samples_leaves_arrays_alone_and_never_modifies_its_input():
    X = np.ones((3, 2))
    assert read_samples(X, [0, 1, 0])[0] is X
    t = torch.arange(12.0).reshape(3, 1, 2, 2).requires_grad_(True)
    rows, labels = read_samples(t, torch.tensor([1, 0, 1]))
    assert rows.shape == (3, 4) and labels.tolist() == [1, 0, 1]
    assert t.shape == (3, 1, 2, 2) and t.requires_grad
