"""FewShotFineTune: the study's two stages, its step budget and the pre-training cache."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from transferkit import InvalidParameterError, LabelError
from transferkit.finetune import (
    L2SP,
    FewShotFineTune,
    GradualUnfreezing,
    SmallCNN,
    TransferNet,
    clear_pretrain_cache,
    predict_logits,
    pretrain_cache_info,
    train_net,
)
from transferkit.finetune.fewshot import SCRATCH_SEED_OFFSET
from transferkit.finetune.transforms import as_images

WIDTHS = (4, 8, 8)


def _data(seed=0, n_source=48, n_target=40):
    rng = np.random.default_rng(seed)

    def blobs(n, shift):
        y = np.arange(n) % 3
        X = rng.random((n, 64)) * 0.3
        for c in range(3):
            X[y == c, 20 * c : 20 * c + 20] += 0.6 + shift
        return X, y

    Xs, ys = blobs(n_source, 0.0)
    Xt, yt = blobs(n_target, 0.2)
    y_few = np.full_like(yt, -1)
    y_few[:6] = yt[:6]  # two labelled images per class
    return Xs, ys, Xt, yt, y_few


def _tiny(**kw):
    params = dict(
        image_shape=(1, 8, 8),
        backbone_kwargs={"widths": WIDTHS},
        pretrain_epochs=3,
        pretrain_batch_size=16,
        epochs=2,
        min_steps=6,
        batch_size=4,
    )
    params.update(kw)
    return FewShotFineTune(**params)


def _weights(net):
    return {k: v.clone() for k, v in net.state_dict().items()}


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_it_is_the_hand_written_two_stage_protocol():
    """Pre-train, new head seeded with random_state + 1, fine-tune for the step budget."""
    Xs, ys, Xt, _, y_few = _data()
    clf = _tiny(policy="discriminative", random_state=3, cache_pretrained=False)
    clf.fit(Xs, ys, X_target=Xt, y_target=y_few)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = TransferNet(SmallCNN(in_channels=1, widths=WIDTHS), n_classes=3)
        train_net(
            net, as_images(Xs, (1, 8, 8)), ys, epochs=3, batch_size=16, augment_shift=1,
            random_state=3, verbose=False,
        )  # fmt: skip
    assert _same(_weights(net), _weights(clf.pretrained_net_for_test))
    net.reset_head(generator=torch.Generator().manual_seed(4))
    epochs = max(2, math.ceil(6 / math.ceil(6 / 4)))  # 6 labels in batches of 4: 3 epochs
    assert clf.epochs_ == epochs == 3
    from transferkit.finetune import DiscriminativeLR

    with torch.random.fork_rng(devices=[]):
        train_net(
            net, as_images(Xt[:6], (1, 8, 8)), y_few[:6], policy=DiscriminativeLR(0.3),
            epochs=3, batch_size=4, augment_shift=1, random_state=3, verbose=False,
        )  # fmt: skip
    assert _same(_weights(net), _weights(clf.net_))
    logits = predict_logits(net, as_images(Xt, (1, 8, 8)))
    np.testing.assert_array_equal(clf.predict(Xt), logits.argmax(1).numpy())


@pytest.fixture(autouse=True)
def _keep_pretrained(monkeypatch):
    """Record the pre-trained network of every fit (a copy, before fine-tuning)."""
    original = FewShotFineTune._pretrained

    def recording(self, X, y):
        net, history = original(self, X, y)
        self.pretrained_net_for_test = copy.deepcopy(net)
        return net, history

    monkeypatch.setattr(FewShotFineTune, "_pretrained", recording)


def test_cached_and_uncached_runs_give_identical_weights_and_predictions():
    Xs, ys, Xt, yt, y_few = _data()
    clear_pretrain_cache()
    cold = _tiny(cache_pretrained=False).fit(Xs, ys, X_target=Xt, y_target=y_few)
    assert pretrain_cache_info()["entries"] == 0
    first = _tiny().fit(Xs, ys, X_target=Xt, y_target=y_few)  # fills the cache
    assert not first.pretrained_from_cache_
    # another row in between must not disturb the cached network
    _tiny(policy="full", regularizer=L2SP(0.1, 0.01)).fit(Xs, ys, X_target=Xt, y_target=y_few)
    warm = _tiny().fit(Xs, ys, X_target=Xt, y_target=y_few)
    assert warm.pretrained_from_cache_
    info = pretrain_cache_info()
    assert info["entries"] == 1 and info["hits"] == 2
    for est in (first, warm):
        assert _same(_weights(cold.pretrained_net_for_test), _weights(est.pretrained_net_for_test))
        assert _same(_weights(cold.net_), _weights(est.net_))
        np.testing.assert_array_equal(cold.predict_proba(Xt), est.predict_proba(Xt))
    assert cold.score(Xt, yt) == warm.score(Xt, yt)


def test_the_cache_key_holds_the_data_the_seed_and_every_pretraining_setting():
    Xs, ys, Xt, _, y_few = _data()
    clear_pretrain_cache()
    _tiny().fit(Xs, ys, X_target=Xt, y_target=y_few)
    changed = [
        dict(random_state=1),
        dict(pretrain_epochs=2),
        dict(pretrain_lr=2e-3),
        dict(pretrain_batch_size=8),
        dict(augment_shift=0),
        dict(backbone_kwargs={"widths": (4, 8, 16)}),
    ]
    for params in changed:
        assert not _tiny(**params).fit(Xs, ys, X_target=Xt, y_target=y_few).pretrained_from_cache_
    Xs2 = Xs.copy()
    Xs2[0, 0] += 1e-6
    assert not _tiny().fit(Xs2, ys, X_target=Xt, y_target=y_few).pretrained_from_cache_
    # fine-tuning settings do not change the pre-trained network: shared
    for params in (dict(policy="gradual"), dict(lr=1e-2), dict(min_steps=0), dict(batch_size=2)):
        assert _tiny(**params).fit(Xs, ys, X_target=Xt, y_target=y_few).pretrained_from_cache_
    clear_pretrain_cache()
    assert pretrain_cache_info() == {"entries": 0, "hits": 0, "misses": 0, "max_entries": 8}


def test_fit_leaves_the_process_random_state_and_its_parameters_alone():
    Xs, ys, Xt, _, y_few = _data()
    reg = L2SP(0.1, 0.01)
    torch.manual_seed(123)
    np.random.seed(5)  # noqa: NPY002 - the legacy global generator is what is checked
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()  # noqa: NPY002
    for mode in ("finetune", "scratch", "source_only"):
        _tiny(mode=mode, regularizer=reg, cache_pretrained=False).fit(
            Xs, ys, X_target=Xt, y_target=y_few
        )
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])  # noqa: NPY002
    assert not hasattr(reg, "_w0")  # the regulariser given is copied, not started


def test_the_step_budget_and_the_named_policies():
    Xs, ys, Xt, _, y_few = _data()
    clf = _tiny(epochs=8, min_steps=120, batch_size=32)
    assert [clf._budget(n) for n in (10, 50, 100, 500)] == [120, 60, 30, 8]
    assert _tiny(min_steps=0, epochs=5)._budget(1000) == 5
    gradual = _tiny(policy="gradual")._policy(120)
    assert isinstance(gradual, GradualUnfreezing) and gradual.epochs_per_stage == 30
    assert _tiny(policy="gradual")._policy(3).epochs_per_stage == 1
    assert _tiny(policy="last_k", last_k=2)._policy(8).k == 2
    assert _tiny(policy="discriminative", lr_decay=0.3)._policy(8).decay == 0.3
    fitted = _tiny(min_steps=20).fit(Xs, ys, X_target=Xt, y_target=y_few)
    assert fitted.epochs_ == 10 and len(fitted.history_.train_loss) == 10


def test_scratch_and_source_only_modes():
    Xs, ys, Xt, _, y_few = _data()
    src = _tiny(mode="source_only", cache_pretrained=False).fit(Xs, ys, X_target=Xt)
    assert src.history_ is None and src.epochs_ == 0  # the source head, unchanged
    assert _same(_weights(src.net_), _weights(src.pretrained_net_for_test))
    scratch = _tiny(mode="scratch", random_state=2).fit(Xs, ys, X_target=Xt, y_target=y_few)
    assert scratch.pretrain_history_ is None
    assert not hasattr(scratch, "pretrained_net_for_test")  # never pre-trained
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2 + SCRATCH_SEED_OFFSET)
        init = TransferNet(SmallCNN(in_channels=1, widths=WIDTHS), n_classes=3)
    init.reset_head(generator=torch.Generator().manual_seed(3))
    train_net(
        init, as_images(Xt[:6], (1, 8, 8)), y_few[:6], epochs=scratch.epochs_, batch_size=4,
        augment_shift=1, random_state=2, verbose=False,
    )  # fmt: skip
    assert _same(_weights(init), _weights(scratch.net_))
    logits = predict_logits(src.pretrained_net_for_test, as_images(Xt, (1, 8, 8)))
    np.testing.assert_array_equal(src.predict(Xt), logits.argmax(1).numpy())


def test_label_and_parameter_errors():
    Xs, ys, Xt, _, _ = _data()
    with pytest.raises(LabelError, match="needs labelled target samples"):
        _tiny().fit(Xs, ys, X_target=Xt)
    with pytest.raises(LabelError, match="labelled target samples"):
        _tiny(mode="scratch").fit(Xs, ys, X_target=Xt, y_target=np.full(len(Xt), -1))
    with pytest.raises(InvalidParameterError, match="mode"):
        _tiny(mode="both").fit(Xs, ys, X_target=Xt)
    with pytest.raises(InvalidParameterError, match="backbone"):
        _tiny(backbone="resnet9000").fit(Xs, ys, X_target=Xt)
    with pytest.raises(InvalidParameterError, match="image_shape"):
        _tiny(image_shape=(8, 8)).fit(Xs, ys, X_target=Xt)
    assert _tiny()._requires_target_labels and not _tiny(mode="source_only")._requires_target_labels


def test_n_threads_pins_the_torch_threads_of_fit_and_predict_and_restores_them():
    Xs, ys, Xt, _, y_few = _data()
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _tiny(cache_pretrained=False).fit(Xs, ys, X_target=Xt, y_target=y_few)
        torch.set_num_threads(2)
        pinned = _tiny(n_threads=1, cache_pretrained=False)
        pinned.fit(Xs, ys, X_target=Xt, y_target=y_few)
        assert torch.get_num_threads() == 2
        assert _same(_weights(one.net_), _weights(pinned.net_))
        np.testing.assert_array_equal(one.predict_proba(Xt), pinned.predict_proba(Xt))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
