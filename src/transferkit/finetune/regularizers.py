"""Regularisers that keep a fine-tuned network close to what it learnt on the source.

Each regulariser is called once with :meth:`start` (after pre-training, before
fine-tuning) and then gives a penalty per batch, added to the cross-entropy.
"""

from __future__ import annotations

import torch
from torch import nn

from transferkit._validation import check_positive

__all__ = ["BSS", "L2SP", "Regularizer", "make_regularizer"]


class Regularizer:
    """Base class: ``start(net)`` then ``penalty(net, features)`` each batch."""

    def start(self, net: nn.Module) -> None:
        """Record whatever the penalty needs from the starting network."""

    def penalty(self, net: nn.Module, features: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class L2SP(Regularizer):
    r"""L2-SP: pull the backbone towards its starting point, shrink the new head.

    .. math:: \Omega(w) = \frac{\alpha}{2}\,\lVert w_S - w_S^0 \rVert_2^2
                        + \frac{\beta}{2}\,\lVert w_{\bar S} \rVert_2^2,

    where :math:`w_S` are the backbone parameters, :math:`w_S^0` their values when
    fine-tuning starts (the pre-trained ones) and :math:`w_{\bar S}` the parameters of
    the new head. Use it *instead of* weight decay, which would pull towards zero and
    forget the source. Li, Grandvalet & Davoine, "Explicit inductive bias for transfer
    learning with convolutional networks", ICML 2018 (default :math:`\alpha=0.1`,
    :math:`\beta=0.01`; the paper searches :math:`\alpha` in :math:`10^{-3..-1}`).

    Parameters
    ----------
    alpha : float, default=0.1
    beta : float, default=0.01

    Examples
    --------
    >>> from transferkit.finetune import SmallCNN, TransferNet
    >>> net = TransferNet(SmallCNN(widths=(4, 8, 16)), 2)
    >>> reg = L2SP(alpha=1.0, beta=0.0); reg.start(net)
    >>> reg.penalty(net, None).item()
    0.0
    """

    def __init__(self, alpha: float = 0.1, beta: float = 0.01) -> None:
        self.alpha = alpha
        self.beta = beta

    def start(self, net: nn.Module) -> None:
        check_positive("alpha", self.alpha, strict=False)
        check_positive("beta", self.beta, strict=False)
        self._w0 = {n: p.detach().clone() for n, p in net.backbone.named_parameters()}

    def penalty(self, net: nn.Module, features: torch.Tensor | None) -> torch.Tensor:
        if not hasattr(self, "_w0"):
            raise RuntimeError("call L2SP.start(net) before penalty().")
        sp = sum(
            ((p - self._w0[n]) ** 2).sum()
            for n, p in net.backbone.named_parameters()
            if p.requires_grad
        )
        head = sum((p**2).sum() for p in net.head.parameters())
        return 0.5 * self.alpha * torch.as_tensor(sp) + 0.5 * self.beta * torch.as_tensor(head)


class BSS(Regularizer):
    r"""Batch Spectral Shrinkage: penalise the smallest singular values of the features.

    With :math:`F \in \mathbb{R}^{b \times d}` the pooled features of a batch and
    :math:`\sigma_1 \ge \dots \ge \sigma_m` its singular values,

    .. math:: L_{\mathrm{bss}}(F) = \eta \sum_{i=1}^{k} \sigma_{m+1-i}^2 .

    Small singular directions are where fine-tuning on few labels transfers the
    source-specific, untransferable components ("negative transfer"); shrinking them
    helps most when target labels are scarce. Chen, Wang, Fu, Long & Wang,
    "Catastrophic forgetting meets negative transfer: Batch spectral shrinkage for safe
    transfer learning", NeurIPS 2019 (defaults :math:`\eta=0.001`, :math:`k=1`).

    Examples
    --------
    >>> import torch
    >>> F = torch.diag(torch.tensor([3.0, 2.0, 0.5]))
    >>> float(BSS(eta=1.0, k=1).penalty(None, F))
    0.25
    """

    def __init__(self, eta: float = 0.001, k: int = 1) -> None:
        self.eta = eta
        self.k = k

    def start(self, net: nn.Module) -> None:
        check_positive("eta", self.eta, strict=False)
        check_positive("k", self.k, integer=True)

    def penalty(self, net: nn.Module | None, features: torch.Tensor) -> torch.Tensor:
        s = torch.linalg.svdvals(features)  # descending
        k = min(int(self.k), s.numel())
        return self.eta * (s[s.numel() - k :] ** 2).sum()


def make_regularizer(reg: str | Regularizer | None) -> Regularizer | None:
    """``None``, a name (``"l2sp"``, ``"bss"``; paper defaults) or an instance."""
    if reg is None or isinstance(reg, Regularizer):
        return reg
    named = {"l2sp": L2SP, "bss": BSS}
    if reg not in named:
        from transferkit._validation import TransferKitInputError

        raise TransferKitInputError(
            f"regularizer={reg!r} is not supported; choose 'l2sp', 'bss', None or a "
            "Regularizer instance."
        )
    return named[reg]()
