"""L2-SP and BSS against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from transferkit.finetune import BSS, L2SP, SmallCNN, TransferNet, train_net
from transferkit.finetune.regularizers import make_regularizer


def _net(seed=0):
    torch.manual_seed(seed)
    return TransferNet(SmallCNN(widths=(4, 8, 8)), 3)


def test_l2sp_closed_form_and_gradient():
    net = _net()
    reg = L2SP(alpha=0.3, beta=0.05)
    reg.start(net)
    w = net.backbone.stages["block2"][0].weight
    delta = torch.randn_like(w) * 0.1
    with torch.no_grad():
        w.add_(delta)
    head_sq = sum(float((p.detach() ** 2).sum()) for p in net.head.parameters())
    expected = 0.5 * 0.3 * float((delta**2).sum()) + 0.5 * 0.05 * head_sq
    pen = reg.penalty(net, None)
    assert pen.item() == pytest.approx(expected, rel=1e-5)
    pen.backward()
    assert torch.allclose(w.grad, 0.3 * delta, atol=1e-6)
    assert torch.allclose(net.head.weight.grad, 0.05 * net.head.weight, atol=1e-6)


def test_l2sp_needs_start():
    with pytest.raises(RuntimeError, match="start"):
        L2SP().penalty(_net(), None)


def test_bss_matches_numpy_svd():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(16, 10))
    s = np.linalg.svd(F, compute_uv=False)
    for k in (1, 3):
        expected = 0.01 * np.sum(np.sort(s)[:k] ** 2)
        got = BSS(eta=0.01, k=k).penalty(None, torch.tensor(F)).item()
        assert got == pytest.approx(expected, rel=1e-8)


def test_bss_gradient_shrinks_smallest_direction():
    F = torch.diag(torch.tensor([3.0, 2.0, 0.5])).requires_grad_(True)
    BSS(eta=1.0, k=1).penalty(None, F).backward()
    # d sigma_min^2 / dF = 2 sigma_min u v^T: only the (2, 2) entry
    expected = torch.zeros(3, 3)
    expected[2, 2] = 1.0
    assert torch.allclose(F.grad, expected, atol=1e-6)


def test_l2sp_keeps_weights_near_start():
    torch.manual_seed(0)
    X = torch.rand(30, 1, 8, 8)
    y = torch.randint(0, 3, (30,))
    dist = {}
    for name, reg in (("plain", None), ("l2sp", L2SP(alpha=5.0, beta=0.0))):
        net = _net()
        w0 = [p.detach().clone() for p in net.backbone.parameters()]
        train_net(net, X, y, regularizer=reg, epochs=8, lr=1e-2, verbose=False)
        dist[name] = sum(
            float(((p.detach() - q) ** 2).sum())
            for p, q in zip(net.backbone.parameters(), w0, strict=True)
        )
    assert dist["l2sp"] < 0.5 * dist["plain"]


def test_make_regularizer():
    assert make_regularizer(None) is None
    assert isinstance(make_regularizer("bss"), BSS)
    with pytest.raises(ValueError, match="regularizer"):
        make_regularizer("delta")
