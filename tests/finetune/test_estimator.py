"""FineTuneClassifier: the transfer contract, and a real transfer gain on MNIST -> USPS."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from transferkit import InvalidParameterError, LabelError
from transferkit.finetune import FineTuneClassifier


def _tiny(**kw):
    params = dict(
        image_shape=(1, 16, 16),
        backbone_kwargs={"widths": (8, 16, 32)},
        pretrain_epochs=2,
        epochs=2,
        verbose=False,
    )
    params.update(kw)
    return FineTuneClassifier(**params)


def test_sklearn_contract():
    clf = _tiny(policy="gradual", regularizer="l2sp")
    params = clf.get_params()
    assert params["policy"] == "gradual" and params["regularizer"] == "l2sp"
    c2 = clone(clf).set_params(epochs=7)
    assert c2.epochs == 7 and clf.epochs == 2
    assert not hasattr(clf, "net_")


def test_needs_target_labels(rng):
    X = rng.random((20, 256))
    y = np.arange(20) % 2
    with pytest.raises(LabelError):
        _tiny().fit(X, y, X_target=X)
    with pytest.raises(LabelError):
        _tiny().fit(X, y, X_target=X, y_target=np.full(20, -1))
    with pytest.raises(LabelError, match="never occur in the source"):
        _tiny().fit(X, y, X_target=X, y_target=np.full(20, 5))


def test_wrong_image_shape(rng):
    X = rng.random((20, 100))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="image_shape"):
        _tiny().fit(X, y, X_target=X, y_target=y)


def test_mnist_pretraining_beats_scratch_on_few_usps_labels(data_home):
    """Pre-training on MNIST then fine-tuning on 2 USPS labels per class must beat the
    same network trained from scratch on those labels (the published effect of parameter
    transfer; benchmarks/finetune_mnist_usps.py measures it in full)."""
    from transferkit.datasets import load_domain

    Xs, ys = load_domain("mnist_usps", "mnist", preprocessing="none", data_home=data_home)
    Xt, yt = load_domain("mnist_usps", "usps", preprocessing="none", data_home=data_home)
    rng = np.random.default_rng(0)
    lab = np.concatenate([rng.choice(np.flatnonzero(yt == c), 2, replace=False) for c in range(10)])
    y_target = np.full(yt.size, -1)
    y_target[lab] = yt[lab]
    test = np.setdiff1d(np.arange(yt.size), lab)[:600]
    Xs_before = Xs.copy()
    common = dict(epochs=40, lr=3e-3, augment_shift=1, random_state=0)
    transfer = _tiny(pretrain_epochs=3, pretrain_lr=3e-3, **common)
    transfer.fit(Xs, ys, X_target=Xt, y_target=y_target)
    scratch = _tiny(pretrain_epochs=0, **common)
    scratch.fit(Xs, ys, X_target=Xt, y_target=y_target)
    acc_t = transfer.score(Xt[test], yt[test])
    acc_s = scratch.score(Xt[test], yt[test])
    assert acc_t > acc_s + 0.05, (acc_t, acc_s)
    assert acc_t > 0.6
    np.testing.assert_array_equal(Xs, Xs_before)
    proba = transfer.predict_proba(Xt[:5])
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert transfer.pretrain_history_ is not None and scratch.pretrain_history_ is None


def test_checkpoint_dir_resumes(tmp_path, rng):
    X = rng.random((24, 256))
    y = np.arange(24) % 3
    a = _tiny(checkpoint_dir=str(tmp_path)).fit(X, y, X_target=X, y_target=y)
    assert (tmp_path / "pretrained.safetensors").is_file()
    assert (tmp_path / "finetune.pt").is_file()
    b = _tiny(checkpoint_dir=str(tmp_path)).fit(X, y, X_target=X, y_target=y)  # all resumed
    assert b.history_.resumed_from_epoch == 2
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)


def test_checkpoint_dir_never_returns_a_model_of_other_settings(tmp_path, rng):
    """A different pretrain_epochs or augment_shift trains anew, as without checkpoints."""
    X = rng.random((24, 256))
    y = np.arange(24) % 3
    _tiny(pretrain_epochs=3, checkpoint_dir=str(tmp_path)).fit(X, y, X_target=X, y_target=y)
    for change in ({"pretrain_epochs": 0}, {"pretrain_epochs": 3, "augment_shift": 2}):
        fresh = _tiny(**change).fit(X, y, X_target=X, y_target=y)
        with pytest.warns(UserWarning, match="training anew"):
            again = _tiny(checkpoint_dir=str(tmp_path), **change).fit(X, y, X_target=X, y_target=y)
        assert again.history_.resumed_from_epoch is None
        np.testing.assert_array_equal(fresh.predict_proba(X), again.predict_proba(X))


def test_fit_leaves_global_random_state_alone(rng):
    import random

    import torch

    X = rng.random((24, 256))
    y = np.arange(24) % 3
    torch.manual_seed(1)
    before = (torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())  # noqa: NPY002
    a = _tiny(random_state=4).fit(X, y, X_target=X, y_target=y)
    after = (torch.random.get_rng_state(), np.random.get_state()[1], random.getstate())  # noqa: NPY002
    assert torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert before[2] == after[2]
    b = _tiny(random_state=4).fit(X, y, X_target=X, y_target=y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_checkpoint_dir_that_is_a_file_is_refused(tmp_path, rng):
    X = rng.random((24, 256))
    y = np.arange(24) % 3
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match=r"checkpoint_dir=.* is a file"):
        _tiny(checkpoint_dir=str(f)).fit(X, y, X_target=X, y_target=y)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"backbone": "resnet9000"}, r"'backbone' parameter of FineTuneClassifier.*small_cnn"),
        ({"image_shape": (8, 8)}, r"'image_shape' parameter.*\(channels, height"),
        ({"policy": "everything"}, r"'policy' parameter of FineTuneClassifier.*'last_k'"),
        ({"regularizer": "l1"}, r"'regularizer' parameter of FineTuneClassifier.*'l2sp'"),
        ({"pretrain_epochs": -1}, r"'pretrain_epochs' parameter"),
        ({"augment_shift": 1.5}, r"'augment_shift' parameter"),
        ({"backbone_kwargs": [("widths", (4,))]}, r"'backbone_kwargs' parameter"),
        ({"random_state": -3}, r"'random_state' parameter of FineTuneClassifier"),
    ],
)
def test_bad_parameters_are_named_before_any_work(params, match, rng):
    X = rng.random((20, 256))
    y = np.arange(20) % 2
    clf = _tiny(**params)
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(X, y, X_target=X, y_target=y)
    assert not hasattr(clf, "n_features_in_")
