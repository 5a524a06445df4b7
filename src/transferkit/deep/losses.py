r"""Domain adaptation losses as small ``torch.nn.Module``\ s (the maths is in each docstring).

Every loss takes the features of the source batch(es) and of the target batch and returns
a scalar to *add* to the classification loss. Losses whose paper allows several source
domains accept a list of source feature tensors (one per source domain):

* :class:`DANNLoss` — all sources share the label "source" (the domain classifier of
  Ganin et al. separates source from target);
* :class:`MultiKernelMMD` and :class:`CORALLoss` — the mean over sources of the
  source-target discrepancy;
* :class:`CDANLoss` — all sources share the label "source" as in DANN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from transferkit._validation import TransferKitInputError, check_option, check_positive

__all__ = [
    "CDANLoss",
    "CORALLoss",
    "DANNLoss",
    "DomainDiscriminator",
    "GradientReversal",
    "MultiKernelMMD",
    "MultilinearMap",
    "RandomizedMultilinearMap",
    "binary_entropy",
    "entropy",
    "grad_reverse",
]

Features = torch.Tensor | Sequence[torch.Tensor]


def _sources(f_s: Features) -> list[torch.Tensor]:
    out = [f_s] if isinstance(f_s, torch.Tensor) else list(f_s)
    if not out:
        raise TransferKitInputError("give at least one source feature tensor.")
    return out


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, coeff: float) -> torch.Tensor:  # type: ignore[override]
        ctx.coeff = float(coeff)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return -ctx.coeff * grad, None


def grad_reverse(x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
    r"""Gradient reversal: :math:`R(x) = x` forward, :math:`\partial R/\partial x = -\lambda I`.

    Examples
    --------
    >>> x = torch.ones(2, requires_grad=True)
    >>> grad_reverse(x, 0.5).sum().backward(); x.grad.tolist()
    [-0.5, -0.5]
    """
    return _GradReverse.apply(x, coeff)


class GradientReversal(nn.Module):
    r"""The gradient reversal layer of Ganin et al. (JMLR 2016, §5): identity forward,
    gradient multiplied by :math:`-\lambda` backward, so that minimising the domain
    classifier's loss w.r.t. the discriminator *maximises* it w.r.t. the features."""

    def __init__(self, coeff: float = 1.0) -> None:
        super().__init__()
        self.coeff = float(coeff)

    def forward(self, x: torch.Tensor, coeff: float | None = None) -> torch.Tensor:
        return grad_reverse(x, self.coeff if coeff is None else coeff)


class DomainDiscriminator(nn.Module):
    """A multi-layer perceptron giving one domain logit (source = 1) per sample.

    Parameters
    ----------
    in_features : int
    hidden : int or sequence of int, default=(256, 256)
    dropout : float, default=0.0
    """

    def __init__(
        self, in_features: int, hidden: int | Sequence[int] = (256, 256), dropout: float = 0.0
    ) -> None:
        super().__init__()
        sizes = [int(hidden)] if isinstance(hidden, int) else [int(h) for h in hidden]
        layers: list[nn.Module] = []
        d = int(in_features)
        for h in sizes:
            layers += [nn.Linear(d, h), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            d = h
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def binary_entropy(p: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    r"""Elementwise :math:`H(p) = -p\log p - (1-p)\log(1-p)` (nats).

    0 at :math:`p \in \{0, 1\}`, :math:`\log 2` at :math:`p = 1/2`.
    """
    p = p.clamp(eps, 1 - eps)
    return -(p * torch.log(p) + (1 - p) * torch.log1p(-p))


def entropy(proba: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    r"""Row entropies :math:`H(g) = -\sum_c g_c \log g_c` (nats)."""
    return -(proba * torch.log(proba.clamp_min(eps))).sum(-1)


def _domain_bce(logits_s: torch.Tensor, logits_t: torch.Tensor, w_s=None, w_t=None):
    """Half the source BCE (label 1) plus half the target BCE (label 0), optionally weighted."""
    ls = F.binary_cross_entropy_with_logits(logits_s, torch.ones_like(logits_s), reduction="none")
    lt = F.binary_cross_entropy_with_logits(logits_t, torch.zeros_like(logits_t), reduction="none")
    if w_s is None:
        return 0.5 * (ls.mean() + lt.mean())
    return 0.5 * ((w_s * ls).sum() + (w_t * lt).sum())


class DANNLoss(nn.Module):
    r"""Domain-adversarial loss (Ganin et al., "Domain-adversarial training of neural
    networks", JMLR 2016).

    With the domain classifier :math:`D` and the gradient reversal layer :math:`R_\lambda`,

    .. math:: \mathcal L_d = \tfrac12\Big[\frac{1}{n_s}\sum_i -\log D(R_\lambda(f^s_i))
              + \frac{1}{n_t}\sum_j -\log\big(1 - D(R_\lambda(f^t_j))\big)\Big].

    Minimising :math:`\mathcal L_y + \mathcal L_d` over every parameter trains :math:`D`
    to tell the domains apart while the reversed gradient drives the features
    :math:`f` to make them indistinguishable (the saddle point of the paper's eq. 10).
    ``coeff`` is :math:`\lambda`, scheduled by the caller as
    :math:`\lambda_p = 2/(1 + e^{-10p}) - 1` (:func:`~transferkit.engine.dann_lambda`).
    Several source domains all carry the label "source". ``domain_accuracy`` holds the
    discriminator's accuracy on the last batch (0.5 = domains not told apart).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> loss = DANNLoss(DomainDiscriminator(4, hidden=8))
    >>> float(loss(torch.randn(6, 4), torch.randn(6, 4)).detach()) > 0
    True
    """

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.domain_accuracy = float("nan")

    def forward(self, f_s: Features, f_t: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
        fs = torch.cat(_sources(f_s))
        d = self.discriminator(grad_reverse(torch.cat([fs, f_t]), coeff))
        d_s, d_t = d[: fs.shape[0]], d[fs.shape[0] :]
        with torch.no_grad():
            self.domain_accuracy = float(
                0.5 * ((d_s > 0).float().mean() + (d_t <= 0).float().mean())
            )
        return _domain_bce(d_s, d_t)


def _gaussian_gammas(
    f_s: torch.Tensor, f_t: torch.Tensor, bandwidth: float | None, factors: Sequence[float]
) -> list[float]:
    if bandwidth is None:  # mean squared distance of the pooled batch, as in DAN
        z = torch.cat([f_s, f_t]).detach()
        n = z.shape[0]
        d2 = torch.cdist(z, z).pow(2).sum() / max(n * (n - 1), 1)
        sigma2 = float(d2) / 2.0
        sigma2 = sigma2 if sigma2 > 0 else 1.0
    else:
        sigma2 = float(bandwidth) ** 2
    return [1.0 / (2.0 * sigma2 * f) for f in factors]


class MultiKernelMMD(nn.Module):
    r"""Multi-kernel MMD of DAN (Long, Cao, Wang & Jordan, "Learning transferable features
    with deep adaptation networks", ICML 2015).

    The kernel is a mixture of Gaussians :math:`k = \frac1m\sum_u k_{\gamma_u}`,
    :math:`k_\gamma(x, x') = e^{-\gamma\lVert x - x'\rVert^2}`, with
    :math:`\gamma_u = 1/(2\sigma^2 f_u)` for the width factors ``factors``
    (default :math:`f \in \{1/4, 1/2, 1, 2, 4\}`). :math:`\sigma` is ``bandwidth`` or,
    when ``None``, set per batch from the mean squared pairwise distance
    (:math:`2\sigma^2 = \overline{\lVert z - z'\rVert^2}`). The mixture weights are
    equal (DAN also optimises them by a quadratic programme; we do not).

    ``estimator="linear"`` (DAN's choice, and the default) is the linear-time unbiased
    estimate of Gretton et al. (JMLR 2012, §6) over consecutive pairs,

    .. math:: \widehat{\mathrm{MMD}}^2_l = \frac{1}{n/2}\sum_{i=1}^{n/2}
              k(x_{2i-1}, x_{2i}) + k(y_{2i-1}, y_{2i}) - k(x_{2i-1}, y_{2i})
              - k(x_{2i}, y_{2i-1}),

    (:math:`n` = the smaller batch size, rounded down to even), cost :math:`O(n)`;
    ``estimator="unbiased"`` is the quadratic-time U-statistic

    .. math:: \frac{1}{m(m-1)}\sum_{i\ne i'} k(x_i, x_{i'})
              + \frac{1}{n(n-1)}\sum_{j\ne j'} k(y_j, y_{j'})
              - \frac{2}{mn}\sum_{i,j} k(x_i, y_j).

    With several sources, the mean over sources of the source-target estimate.

    Examples
    --------
    >>> x = torch.randn(64, 3)
    >>> float(MultiKernelMMD(estimator="unbiased")(x, x)) < 0.05
    True
    """

    def __init__(
        self,
        bandwidth: float | None = None,
        factors: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
        estimator: str = "linear",
    ) -> None:
        super().__init__()
        check_option("estimator", estimator, ("linear", "unbiased"))
        if bandwidth is not None:
            check_positive("bandwidth", bandwidth)
        self.bandwidth, self.factors, self.estimator = bandwidth, tuple(factors), estimator

    def _one(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        gammas = _gaussian_gammas(x, y, self.bandwidth, self.factors)

        def k(d2: torch.Tensor) -> torch.Tensor:
            return sum(torch.exp(-g * d2) for g in gammas) / len(gammas)

        if self.estimator == "linear":
            n = min(x.shape[0], y.shape[0]) // 2 * 2
            if n < 2:
                raise TransferKitInputError("the linear-time MMD needs 2 samples per domain.")
            x1, x2, y1, y2 = x[0:n:2], x[1:n:2], y[0:n:2], y[1:n:2]

            def pair(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
                return k(((a - b) ** 2).sum(1))

            return (pair(x1, x2) + pair(y1, y2) - pair(x1, y2) - pair(x2, y1)).mean()
        m, n = x.shape[0], y.shape[0]
        kxx = k(torch.cdist(x, x).pow(2))
        kyy = k(torch.cdist(y, y).pow(2))
        kxy = k(torch.cdist(x, y).pow(2))
        return (
            (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
            + (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
            - 2.0 * kxy.mean()
        )

    def forward(self, f_s: Features, f_t: torch.Tensor) -> torch.Tensor:
        srcs = _sources(f_s)
        return sum(self._one(s, f_t) for s in srcs) / len(srcs)


class CORALLoss(nn.Module):
    r"""Deep CORAL (Sun & Saenko, "Deep CORAL: correlation alignment for deep domain
    adaptation", ECCV Workshops 2016):

    .. math:: \mathcal L_{\mathrm{CORAL}} = \frac{1}{4d^2}\lVert C_S - C_T\rVert_F^2,
              \qquad C = \frac{1}{n-1}\Big(F^\top F - \frac1n (\mathbf 1^\top F)^\top
              (\mathbf 1^\top F)\Big),

    for feature batches :math:`F` with :math:`d` columns. With several sources, the mean
    over sources.

    Examples
    --------
    >>> X = torch.tensor([[0.0, 0.0], [2.0, 0.0]]); Y = torch.tensor([[0.0, 0.0], [0.0, 2.0]])
    >>> float(CORALLoss()(X, Y))  # (4 + 4) / (4 * 4)
    0.5
    """

    @staticmethod
    def _cov(f: torch.Tensor) -> torch.Tensor:
        n = f.shape[0]
        c = f - f.mean(0, keepdim=True)
        return c.T @ c / max(n - 1, 1)

    def forward(self, f_s: Features, f_t: torch.Tensor) -> torch.Tensor:
        srcs = _sources(f_s)
        d = f_t.shape[1]
        ct = self._cov(f_t)
        return sum(((self._cov(s) - ct) ** 2).sum() for s in srcs) / (4.0 * d * d * len(srcs))


class MultilinearMap(nn.Module):
    r"""CDAN's multilinear map :math:`T_\otimes(f, g) = g \otimes f`, flattened:
    row :math:`i` holds :math:`g_{ic} f_{ik}` at column :math:`c\,d_f + k`."""

    def forward(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return torch.bmm(g.unsqueeze(2), f.unsqueeze(1)).flatten(1)


class RandomizedMultilinearMap(nn.Module):
    r"""CDAN's randomized multilinear map for many classes or wide features:

    .. math:: T_\odot(f, g) = \frac{1}{\sqrt{d}} (R_f f) \odot (R_g g),

    with :math:`R_f, R_g` fixed Gaussian matrices (drawn once from ``generator``);
    :math:`\mathbb E[\langle T_\odot(f, g), T_\odot(f', g')\rangle] =
    \langle T_\otimes(f, g), T_\otimes(f', g')\rangle` (Long et al. 2018, Theorem 1).
    """

    def __init__(
        self,
        features: int,
        n_classes: int,
        output: int = 1024,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.output = int(output)
        self.register_buffer("Rf", torch.randn(int(features), self.output, generator=generator))
        self.register_buffer("Rg", torch.randn(int(n_classes), self.output, generator=generator))

    def forward(self, f: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
        return (f @ self.Rf) * (g @ self.Rg) / math.sqrt(self.output)


class CDANLoss(nn.Module):
    r"""Conditional adversarial loss of CDAN and CDAN+E (Long, Cao, Wang & Jordan,
    "Conditional adversarial domain adaptation", NeurIPS 2018).

    The discriminator sees the joint of features :math:`f` and predictions
    :math:`g = \mathrm{softmax}(\text{logits})` through the map :math:`T` (the
    multilinear map :math:`g \otimes f`, or its randomized version when
    :math:`d_f \times C` exceeds ``max_multilinear``):

    .. math:: \mathcal L_d = \tfrac12\Big[\sum_{i\in S} w_i\,
              \ell\big(D(R_\lambda(T(f_i, g_i))), 1\big)
              + \sum_{j\in T} w_j\, \ell\big(D(R_\lambda(T(f_j, g_j))), 0\big)\Big].

    CDAN uses :math:`w = 1/n` per domain. CDAN+E (``entropy_conditioning=True``) weights
    each sample by its certainty, :math:`w_i \propto 1 + e^{-H(g_i)}`, normalised to sum to
    one within each domain, so that hard-to-transfer uncertain samples count less. As in
    the authors' code, :math:`g` is detached (gradients reach the features through
    :math:`f` only).

    Parameters
    ----------
    discriminator : nn.Module
        Takes the mapped features (width ``d_f * C``, or ``randomized_dim``).
    features, n_classes : int
    entropy_conditioning : bool, default=False
    randomized : bool or None, default=None
        ``None``: randomized when ``features * n_classes > max_multilinear``.
    randomized_dim : int, default=1024
    max_multilinear : int, default=4096
    generator : torch.Generator, optional
        Draws the random matrices of the randomized map.
    """

    def __init__(
        self,
        discriminator: nn.Module,
        features: int,
        n_classes: int,
        *,
        entropy_conditioning: bool = False,
        randomized: bool | None = None,
        randomized_dim: int = 1024,
        max_multilinear: int = 4096,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if randomized is None:
            randomized = features * n_classes > max_multilinear
        self.map = (
            RandomizedMultilinearMap(features, n_classes, randomized_dim, generator)
            if randomized
            else MultilinearMap()
        )
        self.discriminator = discriminator
        self.entropy_conditioning = bool(entropy_conditioning)
        self.domain_accuracy = float("nan")

    @staticmethod
    def map_width(
        features: int,
        n_classes: int,
        randomized_dim: int = 1024,
        max_multilinear: int = 4096,
        randomized: bool | None = None,
    ) -> int:
        """Input width of the discriminator for these settings."""
        if randomized is None:
            randomized = features * n_classes > max_multilinear
        return int(randomized_dim) if randomized else int(features * n_classes)

    def forward(
        self,
        f_s: Features,
        logits_s: Features,
        f_t: torch.Tensor,
        logits_t: torch.Tensor,
        coeff: float = 1.0,
    ) -> torch.Tensor:
        fs, ls = torch.cat(_sources(f_s)), torch.cat(_sources(logits_s))
        g = torch.softmax(torch.cat([ls, logits_t]), 1).detach()
        h = self.map(torch.cat([fs, f_t]), g)
        d = self.discriminator(grad_reverse(h, coeff))
        n = fs.shape[0]
        d_s, d_t = d[:n], d[n:]
        with torch.no_grad():
            self.domain_accuracy = float(
                0.5 * ((d_s > 0).float().mean() + (d_t <= 0).float().mean())
            )
        if not self.entropy_conditioning:
            return _domain_bce(d_s, d_t)
        w = 1.0 + torch.exp(-entropy(g))
        w_s, w_t = w[:n] / w[:n].sum(), w[n:] / w[n:].sum()
        return _domain_bce(d_s, d_t, w_s, w_t)
