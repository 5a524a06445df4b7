"""Each deep adaptation loss against its closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from transferkit.deep import (
    CDANLoss,
    CORALLoss,
    DANNLoss,
    GradientReversal,
    MultiKernelMMD,
    MultilinearMap,
    RandomizedMultilinearMap,
    TransferableGlobalAttention,
    TransferableLocalAttention,
    binary_entropy,
    grad_reverse,
)
from transferkit.engine import dann_lambda
from transferkit.metrics import coral_distance, mmd2


def _g(seed=0):
    return torch.Generator().manual_seed(seed)


def test_gradient_reversal_is_identity_forward_and_minus_lambda_backward():
    x = torch.randn(5, 3, generator=_g(), dtype=torch.float64, requires_grad=True)
    up = torch.randn(5, 3, generator=_g(1), dtype=torch.float64)
    y = GradientReversal(0.37)(x)
    assert torch.equal(y, x)
    y.backward(up)
    assert torch.allclose(x.grad, -0.37 * up)
    x.grad = None
    grad_reverse(x, 2.0).backward(up)
    assert torch.allclose(x.grad, -2.0 * up)


def test_dann_schedule_is_the_papers():
    for p in (0.0, 0.1, 0.5, 1.0):
        assert dann_lambda(p) == pytest.approx(2 / (1 + math.exp(-10 * p)) - 1)
    assert dann_lambda(0.0) == 0.0 and dann_lambda(1.0) > 0.9999


class _Fixed(torch.nn.Module):
    """A discriminator with known output: the first feature is the logit."""

    def forward(self, x):
        return x[:, 0]


def test_dann_loss_closed_form_and_reversed_gradient():
    fs = torch.randn(4, 3, generator=_g(), dtype=torch.float64, requires_grad=True)
    ft = torch.randn(6, 3, generator=_g(1), dtype=torch.float64, requires_grad=True)
    loss = DANNLoss(_Fixed())(fs, ft, coeff=0.5)
    expected = 0.5 * (
        F.softplus(-fs[:, 0]).mean() + F.softplus(ft[:, 0]).mean()
    )  # -log sigmoid(d) for sources, -log(1 - sigmoid(d)) for targets
    assert float(loss) == pytest.approx(float(expected))
    loss.backward()
    fs2 = fs.detach().clone().requires_grad_(True)
    (0.5 * F.softplus(-fs2[:, 0]).mean()).backward()
    assert torch.allclose(fs.grad, -0.5 * fs2.grad)  # the features get -lambda x gradient


def test_dann_loss_pools_several_sources():
    a, b = torch.randn(3, 2, generator=_g()), torch.randn(5, 2, generator=_g(1))
    t = torch.randn(4, 2, generator=_g(2))
    loss = DANNLoss(_Fixed())
    assert float(loss([a, b], t)) == pytest.approx(float(loss(torch.cat([a, b]), t)))


def test_mmd_of_identical_batches_is_about_zero():
    x = torch.randn(200, 4, generator=_g(), dtype=torch.float64)
    assert float(MultiKernelMMD(estimator="linear")(x, x)) == 0.0
    assert abs(float(MultiKernelMMD(estimator="unbiased")(x, x))) < 0.01
    y = x + 1.0
    assert float(MultiKernelMMD(estimator="unbiased")(x, y)) > 0.1


def test_unbiased_mmd_matches_metrics_mmd2_on_the_same_kernel():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 3)), rng.normal(size=(50, 3)) + np.array([0.5, 0, 0])
    ours = MultiKernelMMD(bandwidth=1.3, estimator="unbiased")(torch.tensor(X), torch.tensor(Y))
    ref = mmd2(X, Y, kernel="multi", bandwidth=1.3, estimator="unbiased")
    assert float(ours) == pytest.approx(ref, rel=1e-9)


def test_linear_time_mmd_matches_numpy_formula():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(10, 2)), rng.normal(size=(9, 2)) + 1.0
    sigma, factors = 0.8, (0.5, 1.0, 2.0)

    def k(a, b):
        d2 = ((a - b) ** 2).sum()
        return np.mean([np.exp(-d2 / (2 * sigma**2 * f)) for f in factors])

    terms = [
        k(X[2 * i], X[2 * i + 1])
        + k(Y[2 * i], Y[2 * i + 1])
        - k(X[2 * i], Y[2 * i + 1])
        - k(X[2 * i + 1], Y[2 * i])
        for i in range(4)  # n = min(10, 9) rounded down to even = 8
    ]
    ours = MultiKernelMMD(bandwidth=sigma, factors=factors)(torch.tensor(X), torch.tensor(Y))
    assert float(ours) == pytest.approx(np.mean(terms), rel=1e-12)


def test_mmd_several_sources_is_the_mean():
    a, b = torch.randn(20, 2, generator=_g()), torch.randn(20, 2, generator=_g(1)) + 2
    t = torch.randn(20, 2, generator=_g(2))
    m = MultiKernelMMD(bandwidth=1.0, estimator="unbiased")
    assert float(m([a, b], t)) == pytest.approx(0.5 * float(m(a, t) + m(b, t)))


def test_coral_loss_matches_numpy():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(30, 5)), rng.normal(size=(25, 5)) * [1, 2, 1, 0.5, 1]
    C = np.cov(X, rowvar=False) - np.cov(Y, rowvar=False)
    expected = (C**2).sum() / (4 * 5**2)
    ours = float(CORALLoss()(torch.tensor(X), torch.tensor(Y)))
    assert ours == pytest.approx(expected, rel=1e-10)
    assert ours == pytest.approx(coral_distance(X, Y), rel=1e-10)


def test_multilinear_map_shape_and_values():
    f = torch.tensor([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    g = torch.tensor([[0.2, 0.8], [0.5, 0.5]])
    T = MultilinearMap()(f, g)
    assert T.shape == (2, 6)
    for i in range(2):
        for c in range(2):
            for k in range(3):
                assert float(T[i, c * 3 + k]) == pytest.approx(float(g[i, c] * f[i, k]))


def test_randomized_map_preserves_inner_products_in_expectation():
    f = torch.randn(4, 6, generator=_g(), dtype=torch.float64)
    g = torch.softmax(torch.randn(4, 3, generator=_g(1), dtype=torch.float64), 1)
    exact = MultilinearMap()(f, g)
    rm = RandomizedMultilinearMap(6, 3, output=200_000, generator=_g(2)).double()
    approx = rm(f, g)
    G_exact, G_approx = exact @ exact.T, approx @ approx.T
    assert torch.allclose(G_approx, G_exact, rtol=0.05, atol=0.05 * float(G_exact.abs().max()))


def test_cdan_and_cdan_e_losses_closed_form():
    fs = torch.randn(4, 3, generator=_g(), dtype=torch.float64)
    ft = torch.randn(5, 3, generator=_g(1), dtype=torch.float64)
    ls = torch.randn(4, 2, generator=_g(2), dtype=torch.float64)
    lt = torch.randn(5, 2, generator=_g(3), dtype=torch.float64)
    disc = torch.nn.Linear(6, 1).double()
    with torch.no_grad():
        disc.weight.copy_(torch.linspace(-1, 1, 6).view(1, 6))
        disc.bias.fill_(0.1)

    class D(torch.nn.Module):
        def forward(self, h):
            return disc(h).squeeze(-1)

    g = torch.softmax(torch.cat([ls, lt]), 1)
    h = MultilinearMap()(torch.cat([fs, ft]), g)
    d = D()(h)
    bce_s, bce_t = F.softplus(-d[:4]), F.softplus(d[4:])
    plain = CDANLoss(D(), 3, 2)(fs, ls, ft, lt)
    assert float(plain) == pytest.approx(float(0.5 * (bce_s.mean() + bce_t.mean())))
    H = -(g * g.log()).sum(1)
    w = 1 + torch.exp(-H)
    ws, wt = w[:4] / w[:4].sum(), w[4:] / w[4:].sum()
    cond = CDANLoss(D(), 3, 2, entropy_conditioning=True)(fs, ls, ft, lt)
    assert float(cond) == pytest.approx(float(0.5 * ((ws * bce_s).sum() + (wt * bce_t).sum())))
    assert CDANLoss.map_width(500, 10) == 1024 and CDANLoss.map_width(50, 10) == 500


def test_tada_local_attention_is_one_plus_region_entropy():
    att = TransferableLocalAttention(channels=2, n_regions=4, hidden=3).double()
    logits = torch.tensor([0.0, 2.0, -1.0, 5.0], dtype=torch.float64)
    with torch.no_grad():  # a hand-made discriminator: region k outputs logits[k]
        att.discriminators.w1.zero_()
        att.discriminators.w2.zero_()
        att.discriminators.b2.copy_(logits)
    fmap_s = torch.randn(2, 2, 2, 2, generator=_g(), dtype=torch.float64)
    fmap_t = torch.randn(3, 2, 2, 2, generator=_g(1), dtype=torch.float64)
    a_s, a_t, loss = att(fmap_s, fmap_t)
    p = torch.sigmoid(logits)
    weights = 1 - (p * p.log() + (1 - p) * (1 - p).log())
    assert float(weights[0]) == pytest.approx(1 + math.log(2))  # undecided region: most weight
    assert torch.allclose(a_s, fmap_s * weights.view(1, 1, 2, 2))
    assert torch.allclose(a_t, fmap_t * weights.view(1, 1, 2, 2))
    expected = 0.5 * (F.softplus(-logits).mean() + F.softplus(logits).mean())
    assert float(loss) == pytest.approx(float(expected))
    assert torch.allclose(binary_entropy(p), weights - 1)


def test_tada_global_attention_weights_the_target_entropy():
    glob = TransferableGlobalAttention(_Fixed())
    bs = torch.tensor([[3.0], [1.0]], dtype=torch.float64)
    bt = torch.tensor([[0.0], [4.0], [-2.0]], dtype=torch.float64)
    proba = torch.tensor([[0.5, 0.5], [0.9, 0.1], [1.0, 0.0]], dtype=torch.float64)
    adv, ent = glob(bs, bt, proba)
    p = torch.sigmoid(bt[:, 0])
    att = 1 + binary_entropy(p)
    H = torch.tensor([math.log(2), -(0.9 * math.log(0.9) + 0.1 * math.log(0.1)), 0.0])
    assert float(ent) == pytest.approx(float((att * H.double()).mean()), rel=1e-6)
    assert float(adv) == pytest.approx(
        float(0.5 * (F.softplus(-bs[:, 0]).mean() + F.softplus(bt[:, 0]).mean()))
    )
