"""The training step of every deep adaptation method (the engine runs it).

One forward of the source and target batches through the network, the source
cross-entropy, and the method's transfer loss with its weight:

.. math:: \\mathcal L = \\frac{1}{n_s}\\sum_i \\ell_{\\mathrm{CE}}(h(x^s_i), y^s_i)
          + \\mu\\, \\mathcal L_{\\mathrm{transfer}}.

Adversarial losses (DANN, CDAN, TADA) get the gradient-reversal coefficient
:math:`\\lambda_p = 2/(1+e^{-10p}) - 1` at training progress :math:`p`
(:func:`~transferkit.engine.dann_lambda`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812

from transferkit.deep.networks import AdaptationNet
from transferkit.engine import Batch, TrainStep, dann_lambda

__all__ = ["AdaptationStep"]


def _split_sources(t: torch.Tensor, domains: torch.Tensor | None) -> list[torch.Tensor]:
    if domains is None:
        return [t]
    ids = torch.unique(domains)
    return [t[domains == i] for i in ids] if ids.numel() > 1 else [t]


class AdaptationStep(TrainStep):
    """``method`` in {"source_only", "dann", "dan", "coral", "cdan", "tada"}.

    Parameters
    ----------
    net : AdaptationNet
    method : str
    loss : nn.Module or None
        The transfer loss module (``None`` for source-only); for TADA a
        ``(local, global)`` pair held in a ``ModuleList``.
    trade_off : float
        :math:`\\mu`.
    entropy_weight : float
        TADA's weight of the attention-weighted target entropy.
    gamma : float
        Steepness of the :math:`\\lambda_p` schedule (10 in the paper).
    """

    def __init__(
        self,
        net: AdaptationNet,
        method: str,
        loss: torch.nn.Module | None,
        *,
        trade_off: float = 1.0,
        entropy_weight: float = 0.1,
        gamma: float = 10.0,
    ) -> None:
        super().__init__()
        self.net, self.method, self.loss = net, method, loss
        self.trade_off, self.entropy_weight, self.gamma = (
            float(trade_off),
            float(entropy_weight),
            float(gamma),
        )

    def settings(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "trade_off": self.trade_off,
            "entropy_weight": self.entropy_weight,
            "gamma": self.gamma,
        }

    def forward(self, batch: Batch, state: Any) -> tuple[torch.Tensor, dict[str, Any]]:
        xs, ys = batch.source[0], batch.source[1]
        ds = batch.source[2] if len(batch.source) > 2 else None
        xt = batch.target[0]
        n = xs.shape[0]
        coeff = dann_lambda(state.progress, self.gamma)
        if self.method == "tada":
            return self._tada(xs, ys, xt, coeff)
        logits, f = self.net.forward_features(torch.cat([xs, xt]))
        ce = F.cross_entropy(logits[:n], ys)
        if self.method == "source_only":
            return ce, {"ce": ce}
        fs, ft = _split_sources(f[:n], ds), f[n:]
        if self.method == "dann":
            transfer = self.loss(fs, ft, coeff)
        elif self.method == "cdan":
            transfer = self.loss(fs, _split_sources(logits[:n], ds), ft, logits[n:], coeff)
        elif self.method == "dan":  # the bottleneck and the logits, as DAN adapts fc7-fc8
            transfer = self.loss(fs, ft) + self.loss(_split_sources(logits[:n], ds), logits[n:])
        else:  # coral: on the last layer (fc8), as in the paper
            transfer = self.loss(_split_sources(logits[:n], ds), logits[n:])
        logs = {"ce": ce, "transfer": transfer}
        acc = getattr(self.loss, "domain_accuracy", None)
        if acc is not None:
            logs["domain_acc"] = acc
        return ce + self.trade_off * transfer, logs

    def _tada(self, xs, ys, xt, coeff):
        local, glob = self.loss[0], self.loss[1]
        net = self.net
        n = xs.shape[0]
        maps = net.trunk_map(torch.cat([xs, xt]))
        a_s, a_t, l_local = local(maps[:n], maps[n:], coeff)
        f = net.neck(torch.cat([a_s, a_t]))
        logits = net.classifier(f)
        ce = F.cross_entropy(logits[:n], ys)
        l_global, l_ent = glob(f[:n], f[n:], torch.softmax(logits[n:], 1), coeff)
        loss = ce + self.trade_off * (l_local + l_global) + self.entropy_weight * l_ent
        return loss, {"ce": ce, "local": l_local, "global": l_global, "entropy": l_ent}
