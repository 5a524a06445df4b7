r"""Transferable attention of TADA (Wang, Li, Ye, Long & Wang, "Transferable attention for
domain adaptation", AAAI 2019).

Two complementary mechanisms, both driven by the *entropy* of domain discriminators: a
discriminator output near 1/2 (high entropy :math:`H`) means the input cannot be told
apart across domains, i.e. it transfers well.

* :class:`TransferableLocalAttention` — one discriminator per spatial region :math:`k`
  of the last convolutional feature map :math:`f_i = (f_i^1, \dots, f_i^K)`
  (:math:`K = H\times W`). Region discriminators :math:`D_l^k` are trained
  adversarially through a gradient reversal layer, and each region is re-weighted by
  the residual attention :math:`h_i^k = (1 + H(\hat d_i^k))\, f_i^k`,
  :math:`\hat d_i^k = D_l^k(f_i^k)`.
* :class:`TransferableGlobalAttention` — one image-level discriminator :math:`D_g` on the
  pooled (bottleneck) features; its entropy gives each image the attention
  :math:`1 + H(\hat d_i)`, which weights the entropy minimisation of the target
  predictions, :math:`\mathcal L_h = \frac1{n_t}\sum_j (1 + H(\hat d_j))\,H(p_j)`, so that
  transferable target images are pushed hardest towards confident predictions.

The attention values are computed without gradient (they weight, they are not trained
through); the discriminators are trained by their adversarial losses.
"""

from __future__ import annotations

import torch
from torch import nn

from transferkit.deep.losses import _domain_bce, binary_entropy, entropy, grad_reverse

__all__ = ["RegionDiscriminators", "TransferableGlobalAttention", "TransferableLocalAttention"]


class RegionDiscriminators(nn.Module):
    r"""``n_regions`` independent two-layer discriminators, one per spatial region.

    Input ``(n, C, H, W)`` with :math:`H W` = ``n_regions``; output logits ``(n, H W)``,
    column :math:`k` from discriminator :math:`k` on the channel vector of region
    :math:`k` (row-major). Computed for all regions at once with batched products.
    """

    def __init__(self, channels: int, n_regions: int, hidden: int = 64) -> None:
        super().__init__()
        c, k, h = int(channels), int(n_regions), int(hidden)
        self.w1 = nn.Parameter(torch.empty(k, c, h))
        self.b1 = nn.Parameter(torch.zeros(k, h))
        self.w2 = nn.Parameter(torch.empty(k, h))
        self.b2 = nn.Parameter(torch.zeros(k))
        bound1, bound2 = 1.0 / c**0.5, 1.0 / h**0.5
        with torch.no_grad():
            self.w1.uniform_(-bound1, bound1)
            self.w2.uniform_(-bound2, bound2)

    def forward(self, fmap: torch.Tensor) -> torch.Tensor:
        hh, ww = fmap.shape[2:]
        if hh * ww != self.w1.shape[0]:
            raise ValueError(
                f"the feature map has {hh}x{ww} = {hh * ww} regions; the discriminators "
                f"were built for {self.w1.shape[0]}."
            )
        x = fmap.flatten(2).transpose(1, 2)  # (n, K, C)
        hid = torch.relu(torch.einsum("nkc,kch->nkh", x, self.w1) + self.b1)
        return torch.einsum("nkh,kh->nk", hid, self.w2) + self.b2


class TransferableLocalAttention(nn.Module):
    r"""Region-level adversarial loss and the local attention :math:`1 + H(\hat d_i^k)`.

    ``forward(fmap_s, fmap_t, coeff)`` returns ``(attended_s, attended_t, loss)`` with

    .. math:: \mathcal L_l = \frac{1}{K}\sum_{k=1}^K \tfrac12\Big[\frac1{n_s}\sum_i
              \ell(D_l^k(R_\lambda(f_i^{s,k})), 1) + \frac1{n_t}\sum_j
              \ell(D_l^k(R_\lambda(f_j^{t,k})), 0)\Big],

    and every region scaled by its attention (see the module docstring).

    Examples
    --------
    >>> att = TransferableLocalAttention(channels=4, n_regions=9)
    >>> a_s, a_t, loss = att(torch.randn(2, 4, 3, 3), torch.randn(3, 4, 3, 3))
    >>> a_s.shape, a_t.shape, loss.ndim
    (torch.Size([2, 4, 3, 3]), torch.Size([3, 4, 3, 3]), 0)
    """

    def __init__(self, channels: int, n_regions: int, hidden: int = 64) -> None:
        super().__init__()
        self.discriminators = RegionDiscriminators(channels, n_regions, hidden)

    @staticmethod
    def attention(region_logits: torch.Tensor) -> torch.Tensor:
        """``1 + H(sigmoid(logit))`` per region, without gradient; shape ``(n, K)``."""
        with torch.no_grad():
            return 1.0 + binary_entropy(torch.sigmoid(region_logits))

    @staticmethod
    def apply(fmap: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        n, _, h, w = fmap.shape
        return fmap * weights.view(n, 1, h, w)

    def attend(self, fmap: torch.Tensor) -> torch.Tensor:
        """The locally attended map of any input (used at prediction time too)."""
        with torch.no_grad():
            logits = self.discriminators(fmap)
        return self.apply(fmap, self.attention(logits))

    def forward(self, fmap_s: torch.Tensor, fmap_t: torch.Tensor, coeff: float = 1.0):
        n = fmap_s.shape[0]
        z = torch.cat([fmap_s, fmap_t])
        logits = self.discriminators(grad_reverse(z, coeff))
        loss = _domain_bce(logits[:n], logits[n:])  # the mean over regions and samples
        weighted = self.apply(z, self.attention(logits))
        return weighted[:n], weighted[n:], loss


class TransferableGlobalAttention(nn.Module):
    r"""Image-level adversarial loss and the attention-weighted target entropy.

    ``forward(b_s, b_t, proba_t, coeff)`` returns ``(adversarial_loss, entropy_loss)``:
    the DANN loss of the global discriminator :math:`D_g` on the bottleneck features and
    :math:`\mathcal L_h = \frac1{n_t}\sum_j (1 + H(\hat d_j)) H(p_j)`.

    Examples
    --------
    >>> from transferkit.deep.losses import DomainDiscriminator
    >>> g = TransferableGlobalAttention(DomainDiscriminator(4, hidden=8))
    >>> adv, ent = g(torch.randn(5, 4), torch.randn(5, 4), torch.full((5, 3), 1 / 3))
    >>> round(float(ent) / float(g.last_attention.mean()), 4)  # H(uniform over 3) = log 3
    1.0986
    """

    def __init__(self, discriminator: nn.Module) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.last_attention = torch.empty(0)

    def forward(
        self, b_s: torch.Tensor, b_t: torch.Tensor, proba_t: torch.Tensor, coeff: float = 1.0
    ):
        n = b_s.shape[0]
        d = self.discriminator(grad_reverse(torch.cat([b_s, b_t]), coeff))
        adv = _domain_bce(d[:n], d[n:])
        with torch.no_grad():
            att = 1.0 + binary_entropy(torch.sigmoid(d[n:]))
        self.last_attention = att
        return adv, (att * entropy(proba_t)).mean()
