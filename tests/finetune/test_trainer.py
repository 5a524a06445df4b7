"""The shared training loop: determinism, checkpoint + exact resume, early stopping."""

from __future__ import annotations

import pytest
import torch

from transferkit.finetune import L2SP, SmallCNN, TransferNet, state_dict_sha256, train_net


def _net():
    torch.manual_seed(0)
    return TransferNet(SmallCNN(widths=(4, 8, 8)), 3)


def _data(n=30):
    g = torch.Generator().manual_seed(2)
    y = torch.arange(n) % 3
    X = torch.rand(n, 1, 8, 8, generator=g) * 0.3
    X[:, :, : 1 + y.max().item() * 0] += y.view(-1, 1, 1, 1) * 0.3
    return X, y


def test_same_seed_same_weights():
    X, y = _data()
    a, b = _net(), _net()
    train_net(a, X, y, epochs=3, random_state=5, augment_shift=1, verbose=False)
    train_net(b, X, y, epochs=3, random_state=5, augment_shift=1, verbose=False)
    assert state_dict_sha256(a) == state_dict_sha256(b)


def test_resume_equals_uninterrupted(tmp_path):
    X, y = _data()
    full = _net()
    train_net(full, X, y, epochs=4, random_state=1, regularizer=L2SP(0.1, 0.01), verbose=False)
    part = _net()
    ck = tmp_path / "run.pt"
    train_net(
        part,
        X,
        y,
        epochs=2,
        random_state=1,
        regularizer=L2SP(0.1, 0.01),
        checkpoint_path=ck,
        verbose=False,
    )
    resumed = _net()  # a fresh process would start from scratch weights
    h = train_net(
        resumed,
        X,
        y,
        epochs=4,
        random_state=1,
        regularizer=L2SP(0.1, 0.01),
        checkpoint_path=ck,
        resume=True,
        verbose=False,
    )
    assert h.resumed_from_epoch == 2 and len(h.train_loss) == 4
    with pytest.raises(ValueError, match="other data or settings"):
        train_net(
            _net(),
            X[:-3],
            y[:-3],
            epochs=4,
            random_state=1,
            regularizer=L2SP(0.1, 0.01),
            checkpoint_path=ck,
            resume=True,
            verbose=False,
        )
    for (k, v), (_, w) in zip(full.state_dict().items(), resumed.state_dict().items(), strict=True):
        assert torch.allclose(v.float(), w.float(), atol=1e-6), k


def test_early_stopping_restores_best_epoch():
    X, _ = _data(60)
    y = torch.randint(0, 3, (60,), generator=torch.Generator().manual_seed(9))  # pure noise
    net = _net()
    h = train_net(net, X, y, epochs=40, lr=3e-2, val_fraction=0.3, patience=2, verbose=False)
    assert h.stopped_early and len(h.train_loss) < 40
    assert len(h.val_loss) == len(h.train_loss)
    assert h.val_loss[h.best_epoch] == min(h.val_loss)


def test_input_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="class indices"):
        train_net(_net(), X, y + 5, epochs=1, verbose=False)
    with pytest.raises(ValueError, match="one label per image"):
        train_net(_net(), X, y[:-1], epochs=1, verbose=False)
    with pytest.raises(ValueError, match="stratified validation"):
        train_net(_net(), X[:4], y[:4], epochs=1, val_fraction=0.5, verbose=False)
    with pytest.raises(ValueError, match="resume=True needs checkpoint_path"):
        train_net(_net(), X, y, epochs=1, resume=True, verbose=False)
    with pytest.raises(ValueError, match="epochs"):
        train_net(_net(), X, y, epochs=0, verbose=False)
