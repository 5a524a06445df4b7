"""The deep adaptation estimators: contract, reproducibility, selection, small fits."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from sklearn.base import clone

from transferkit import InvalidParameterError, TransferKitInputError
from transferkit.deep import CDAN, DAN, DANN, TADA, DeepCORAL, DeepSourceOnly

FAST = dict(hidden=(16,), epochs=2, batch_size=16, discriminator_hidden=(16,), dropout=0.0)


def _blobs(rng, n=192, shift=0.0, d=6):
    y = np.arange(n) % 3
    X = rng.normal(size=(n, d)) * 0.5
    X[np.arange(n), y] += 2.0
    return X + shift, y


@pytest.mark.parametrize("cls", [DeepSourceOnly, DANN, DAN, DeepCORAL, CDAN])
def test_each_method_fits_predicts_and_clones(cls, rng):
    Xs, ys = _blobs(rng)
    Xt, yt = _blobs(rng, shift=0.3)
    clf = cls(**dict(FAST, epochs=6), lr=0.05, selection=None)
    clf.fit(Xs, ys, X_target=Xt)
    assert clf.score(Xt, yt) > 0.8
    P = clf.predict_proba(Xt)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-9)
    assert len(clf.history_["loss"]) == 6 and clf.selected_epoch_ == 5
    assert all(len(v) == 6 for v in clf.selection_scores_.values())
    if cls is not DeepSourceOnly:
        assert len(clf.history_["transfer"]) == 6
    c = clone(clf)
    assert c.get_params() == clf.get_params() and not hasattr(c, "net_")


def test_extra_parameters_are_sklearn_parameters():
    assert CDAN(entropy_conditioning=False).get_params()["entropy_conditioning"] is False
    assert DAN(mmd_estimator="unbiased").get_params()["mmd_estimator"] == "unbiased"
    assert TADA(entropy_weight=0.3).set_params(region_hidden=8).region_hidden == 8
    assert "mmd_estimator" not in DANN().get_params()


def test_fit_is_reproducible_and_leaves_global_random_state_alone(rng):
    Xs, ys = _blobs(rng)
    Xt, _ = _blobs(rng, shift=0.3)
    torch.manual_seed(3)
    np.random.seed(3)  # noqa: NPY002
    random.seed(3)
    before = (torch.random.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())  # noqa: NPY002
    a = DANN(**FAST, random_state=5).fit(Xs, ys, X_target=Xt)
    after = (torch.random.get_rng_state(), np.random.get_state()[1], random.getstate())  # noqa: NPY002
    assert torch.equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert before[2] == after[2]
    b = DANN(**FAST, random_state=5).fit(Xs, ys, X_target=Xt)
    c = DANN(**FAST, random_state=6).fit(Xs, ys, X_target=Xt)
    np.testing.assert_array_equal(a.predict_proba(Xt), b.predict_proba(Xt))
    assert not np.array_equal(a.predict_proba(Xt), c.predict_proba(Xt))


def test_label_free_selection_keeps_the_best_scored_epoch(rng):
    Xs, ys = _blobs(rng)
    Xt, _ = _blobs(rng, shift=0.3)
    clf = DANN(**dict(FAST, epochs=4), selection="dev").fit(Xs, ys, X_target=Xt)
    dev = clf.selection_scores_["dev"]
    assert len(dev) == 4 and clf.selected_epoch_ == max(
        i for i, v in enumerate(dev) if v == min(dev)
    )
    kept = clf.predict_proba(Xt)
    clf.use_epoch(clf.selected_epoch_)
    np.testing.assert_array_equal(kept, clf.predict_proba(Xt))
    with pytest.raises(TransferKitInputError, match="epoch must be in"):
        clf.use_epoch(4)
    with pytest.raises(TransferKitInputError, match="val_fraction > 0"):
        DANN(**FAST, selection="iwcv", val_fraction=0).fit(Xs, ys, X_target=Xt)


def test_several_sources_and_tada_refuses_them(rng):
    Xa, ya = _blobs(rng)
    Xb, yb = _blobs(rng, shift=-0.3)
    Xt, yt = _blobs(rng, shift=0.3)
    X, y = np.vstack([Xa, Xb]), np.r_[ya, yb]
    dom = np.r_[np.full(192, 1), np.full(192, 2)]
    for cls in (DANN, DAN, DeepCORAL, CDAN):
        clf = cls(**dict(FAST, epochs=3), lr=0.05, selection=None)
        clf.fit(X, y, X_target=Xt, sample_domain=dom)
        assert clf.score(Xt, yt) > 0.8
    img = rng.random((384, 64))
    with pytest.raises(ValueError, match="sources"):
        TADA(image_shape=(1, 8, 8), epochs=1).fit(img, y, X_target=img[:10], sample_domain=dom)


def test_tada_on_a_small_cnn_trains_its_attention(rng):
    X = rng.random((96, 64)).astype(np.float32)
    y = np.arange(96) % 2
    X[y == 1, :32] += 0.7
    clf = TADA(
        image_shape=(1, 8, 8),
        features=32,
        epochs=4,
        batch_size=16,
        dropout=0.0,
        discriminator_hidden=(16,),
        region_hidden=8,
        lr=0.05,
        selection=None,
    )
    clf.fit(X, y, X_target=X + 0.05)
    assert clf.net_.local_attention is not None
    assert set(clf.history_) >= {"local", "global", "entropy", "ce"}
    assert clf.score(X, y) > 0.8
    with pytest.raises(ValueError, match="image_shape"):
        TADA(epochs=1).fit(X, y, X_target=X)


def test_tada_on_pretrained_efficientnet_lite0(rng):
    from transferkit.deep import backbone_net
    from transferkit.finetune.transforms import compose, imagenet_scale, resize, to_rgb

    transform = compose(to_rgb, lambda t: resize(t, 32), imagenet_scale)
    net = backbone_net(
        "efficientnet_lite0", (1, 16, 16), 2, pretrained=True, features=32, transform=transform
    )
    assert net.map_shape[1:] == (1, 1)  # 32 px / 32 = one region
    X = rng.random((8, 256)).astype(np.float32)
    y = np.arange(8) % 2
    clf = TADA(
        network=net,
        image_shape=(1, 16, 16),
        epochs=1,
        batch_size=4,
        discriminator_hidden=(8,),
        region_hidden=4,
        selection="entropy",
    )
    clf.fit(X, y, X_target=X)
    assert clf.predict_proba(X).shape == (8, 2)
    assert len(clf.history_["local"]) == 1


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"network": "resnet9000"}, r"'network' parameter of DANN.*'lenet'.*small_cnn"),
        ({"network": 3}, r"'network' parameter of DANN"),
        ({"image_shape": (16, 16)}, r"'image_shape' parameter of DANN.*\(channels, height"),
        ({"image_shape": (1, 0, 16)}, r"'image_shape' parameter of DANN"),
        ({"hidden": ()}, r"'hidden' parameter of DANN"),
        ({"discriminator_hidden": [8, "x"]}, r"'discriminator_hidden' parameter"),
        ({"selection": "oracle"}, r"'selection' parameter of DANN.*'dev'"),
        ({"selection": "dev", "val_fraction": 0.0}, r"val_fraction > 0"),
        ({"dropout": 1.0}, r"'dropout' parameter of DANN"),
        ({"momentum": 1.5}, r"'momentum' parameter of DANN"),
        ({"lr_annealing": "yes"}, r"'lr_annealing' parameter of DANN"),
        ({"device": 0}, r"'device' parameter of DANN"),
        ({"random_state": 2**31}, r"'random_state' parameter of DANN"),
    ],
)
def test_bad_parameters_are_named_before_any_work(params, match, rng):
    Xs, ys = _blobs(rng)
    clf = DANN(**dict(FAST, **params))
    with pytest.raises(InvalidParameterError, match=match):
        clf.fit(Xs, ys, X_target=Xs)
    assert not hasattr(clf, "n_features_in_")


def test_extra_parameters_of_each_method_have_rules(rng):
    Xs, ys = _blobs(rng)
    cases = [
        (DAN(mmd_estimator="quadratic"), "mmd_estimator"),
        (CDAN(randomized="auto"), "randomized"),
        (CDAN(entropy_conditioning=None), "entropy_conditioning"),
        (TADA(region_hidden=0), "region_hidden"),
        (TADA(entropy_weight=-0.1), "entropy_weight"),
    ]
    for clf, name in cases:
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of"):
            clf.fit(Xs, ys, X_target=Xs)


def test_parameters_after_the_network_are_keyword_only():
    with pytest.raises(TypeError):
        DANN("mlp", (1, 16, 16))  # type: ignore[misc]
    assert DANN("mlp").network == "mlp"


def test_checkpoint_dir_resumes_an_interrupted_fit_exactly(tmp_path, rng, resume_after_interrupt):
    Xs, ys = _blobs(rng)
    Xt, _ = _blobs(rng, shift=0.3)
    kw = dict(FAST, epochs=4, dropout=0.3, selection="dev", random_state=1)
    args = ((Xs, ys), dict(X_target=Xt))
    full = DANN(**kw).fit(*args[0], **args[1])
    resumed = resume_after_interrupt(DANN, kw, args, tmp_path)
    assert (tmp_path / "dann.pt").is_file() and resumed.resumed_from_epoch_ == 2
    np.testing.assert_array_equal(resumed.predict_proba(Xt), full.predict_proba(Xt))
    assert resumed.selection_scores_ == full.selection_scores_
    assert resumed.selected_epoch_ == full.selected_epoch_
    assert resumed.history_ == full.history_
