"""The training engine: randomness, exact resume, checkpoint keys, data sources."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from _steps import EntropyStep, toy

from transferkit.engine import (
    AnnealedLR,
    CheckpointError,
    DomainBatches,
    EarlyStopping,
    Engine,
    LambdaCallback,
    as_source,
)


def _fit(step=None, epochs=4, callbacks=(), data=None, **kw):
    X, y, Xt = toy()
    step = step or EntropyStep(dropout=0.3)
    data = data or DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)
    opt = torch.optim.Adam(step.parameters(), lr=1e-2)
    state = Engine(epochs, callbacks=[AnnealedLR(), *callbacks], **kw).fit(step, data, opt)
    return step, state


def _params(step):
    return {k: v.clone() for k, v in step.state_dict().items()}


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_fit_leaves_global_random_state_alone():
    torch.manual_seed(123)
    np.random.seed(4)  # noqa: NPY002
    random.seed(5)
    X, y, Xt = toy()
    step = EntropyStep(dropout=0.3)  # (nn.Linear's default init draws from the global RNG)
    data = DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)
    opt = torch.optim.Adam(step.parameters(), lr=1e-2)
    before = (torch.random.get_rng_state(), np.random.get_state(), random.getstate())  # noqa: NPY002
    Engine(2, random_state=7).fit(step, data, opt)  # dropout draws from a forked generator
    after = (torch.random.get_rng_state(), np.random.get_state(), random.getstate())  # noqa: NPY002
    assert torch.equal(before[0], after[0])
    assert before[1][0] == after[1][0] and np.array_equal(before[1][1], after[1][1])
    assert before[2] == after[2]
    assert not torch.are_deterministic_algorithms_enabled()


def test_same_random_state_same_model_other_differs():
    a, _ = _fit(random_state=3)
    b, _ = _fit(random_state=3)
    c, _ = _fit(random_state=4)
    _assert_identical(_params(a), _params(b))
    assert not torch.equal(a.net[0].weight, c.net[0].weight)


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    full, _ = _fit(epochs=5, random_state=1)
    ck = tmp_path / "run.pt"

    def stop_after_2(state):
        if state.epoch == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit(
            epochs=5,
            random_state=1,
            checkpoint_path=ck,
            callbacks=[LambdaCallback(on_epoch_end=stop_after_2)],
        )
    assert ck.is_file() and not (tmp_path / "run.pt.tmp").exists()
    resumed, state = _fit(epochs=5, random_state=1, checkpoint_path=ck, resume=True)
    assert state.resumed_from_epoch == 2 and len(state.history["loss"]) == 5
    _assert_identical(_params(full), _params(resumed))


def test_checkpoint_of_other_settings_is_never_reused(tmp_path):
    ck = tmp_path / "run.pt"
    _fit(epochs=2, random_state=1, checkpoint_path=ck)
    with pytest.raises(CheckpointError, match="other data or settings"):
        _fit(epochs=2, random_state=2, checkpoint_path=ck, resume=True)
    with pytest.raises(CheckpointError, match="other data or settings"):  # other dropout
        _fit(EntropyStep(dropout=0.1), epochs=2, random_state=1, checkpoint_path=ck, resume=True)
    with pytest.raises(CheckpointError, match="other data or settings"):  # other start
        _fit(
            EntropyStep(dropout=0.3, seed=9),
            epochs=2,
            random_state=1,
            checkpoint_path=ck,
            resume=True,
        )
    with pytest.raises(CheckpointError, match="more than epochs=1"):
        _fit(epochs=1, random_state=1, checkpoint_path=ck, resume=True)
    fresh, _ = _fit(epochs=2, random_state=2)
    with pytest.warns(UserWarning, match="training anew"):
        anew, st = _fit(
            epochs=2, random_state=2, checkpoint_path=ck, resume=True, on_mismatch="restart"
        )
    assert st.resumed_from_epoch is None
    _assert_identical(_params(fresh), _params(anew))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b"PK\x03\x04 not really a zip", "truncated, damaged"),
        (None, "not written by transferkit"),
        ("pickle", "refused as unsafe"),
        ("cut", "truncated, damaged"),
    ],
)
def test_damaged_checkpoints_name_the_file(tmp_path, content, message):
    ck = tmp_path / "run.pt"
    if content is None:
        torch.save({"weights": torch.zeros(2)}, ck)  # a foreign torch file
    elif content == "pickle":
        torch.save({"format": "transferkit.engine/1", "obj": EarlyStopping()}, ck)
    elif content == "cut":
        _fit(epochs=1, checkpoint_path=ck)
        ck.write_bytes(ck.read_bytes()[:300])
    else:
        ck.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as err:
        _fit(epochs=1, checkpoint_path=ck, resume=True)
    assert str(ck) in str(err.value) and "weights_only=False" not in str(err.value)


def test_checkpoint_of_another_model_names_the_file(tmp_path):
    ck = tmp_path / "run.pt"
    _fit(EntropyStep(d=6), epochs=1, checkpoint_path=ck)
    X, y, Xt = toy(d=6)
    small = EntropyStep(d=6, k=3)
    small.net[3] = torch.nn.Linear(16, 2)  # other architecture, same settings
    # force the same key: a foreign file with a matching key but other shapes
    state = torch.load(ck, weights_only=True)
    engine = Engine(1, checkpoint_path=ck, resume=True)
    data = DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)
    opt = torch.optim.Adam(small.parameters(), lr=1e-2)
    state["key"] = engine._key(small, data, opt)
    torch.save(state, ck)
    with pytest.raises(CheckpointError, match="does not fit this model") as err:
        engine.fit(small, data, opt)
    assert str(ck) in str(err.value)


def test_checkpoint_path_folder_refused_before_training(tmp_path):
    with pytest.raises(CheckpointError, match="is a folder"):
        Engine(2, checkpoint_path=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_arrays_datasets_and_loaders_give_the_same_model():
    from torch.utils.data import DataLoader, TensorDataset

    X, y, Xt = toy()
    ref, _ = _fit(data=DomainBatches(as_source(X, y), as_source(Xt), batch_size=8))
    for src, tgt in [
        (as_source(X.numpy(), y.numpy()), as_source(Xt.numpy())),
        (as_source(TensorDataset(X, y)), as_source(TensorDataset(Xt))),
        (as_source(DataLoader(TensorDataset(X, y))), as_source(DataLoader(TensorDataset(Xt)))),
    ]:
        other, _ = _fit(data=DomainBatches(src, tgt, batch_size=8))
        _assert_identical(_params(ref), _params(other))


def test_batches_are_domain_balanced_and_cover_the_source():
    X, y, Xt = toy(n=50, nt=7)
    data = DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)
    seen = []
    for b in data.epoch(torch.Generator().manual_seed(0)):
        assert b.source[0].shape[0] == b.target[0].shape[0]
        seen.append(b.source[0])
    assert sum(s.shape[0] for s in seen) == 50 and data.steps_per_epoch() == len(seen)
    assert torch.equal(torch.sort(torch.cat(seen)[:, 0]).values, torch.sort(X[:, 0]).values)


def test_annealed_lr_follows_the_paper_schedule():
    lrs = []
    _fit(
        epochs=2,
        callbacks=[
            LambdaCallback(
                on_batch_end=lambda s: lrs.append((s.progress, s.optimizer.param_groups[0]["lr"]))
            )
        ],
    )
    for p, lr in lrs:
        assert lr == pytest.approx(1e-2 / (1 + 10 * p) ** 0.75)


def test_early_stopping_restores_the_best_epoch():
    class Noisy(EntropyStep):
        def validate(self):
            return {"val_loss": [3.0, 1.0, 2.0, 2.5, 2.7][self._e]}

        def on_epoch_start(self, epoch):
            super().on_epoch_start(epoch)
            self._e = epoch

    snaps = {}
    step = Noisy()
    es = EarlyStopping(patience=2)
    _fit(
        step,
        epochs=5,
        callbacks=[
            es,
            LambdaCallback(on_epoch_end=lambda s: snaps.setdefault(s.epoch, _params(s.module))),
        ],
    )
    assert es.stopped_early and es.best_epoch == 1 and max(snaps) == 3
    _assert_identical(snaps[1], _params(step))


def test_without_a_checkpoint_the_data_is_never_hashed(monkeypatch):
    X, y, Xt = toy(n=20)
    data = DomainBatches(as_source(X, y), as_source(Xt), batch_size=8)

    def refuse():
        raise AssertionError("the data was hashed although no checkpoint is written")

    monkeypatch.setattr(data, "fingerprint", refuse)
    step = EntropyStep()
    opt = torch.optim.SGD(step.parameters(), lr=0.05)
    state = Engine(2, random_state=0).fit(step, data, opt)
    assert len(state.history["loss"]) == 2
