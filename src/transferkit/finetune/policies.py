"""Fine-tuning policies: which stages train, and with which learning rate, at each epoch.

A policy acts on a :class:`TransferNet` (a :class:`~transferkit.finetune.Backbone` whose
stages are ordered input-side first, plus a new classification ``head``). With stages
:math:`S_1, \\dots, S_L` and head :math:`h`, write :math:`\\theta_\\ell` for the
parameters of :math:`S_\\ell` and :math:`\\eta` for the base learning rate.

* :class:`LinearProbe` trains :math:`h` only (the backbone is a frozen feature extractor,
  its batch-norm statistics included).
* :class:`LastKStages` trains :math:`h` and :math:`S_{L-k+1}, \\dots, S_L`.
* :class:`FullFineTune` trains everything with :math:`\\eta`.
* :class:`DiscriminativeLR` trains everything, stage :math:`\\ell` with
  :math:`\\eta_\\ell = \\eta\\, \\gamma^{L-\\ell+1}` (the head keeps :math:`\\eta`), so
  generic early layers move less (Howard & Ruder, ACL 2018, "ULMFiT", §3.2).
* :class:`GradualUnfreezing` starts as a linear probe and unfreezes one more stage, top
  down, every ``epochs_per_stage`` epochs (ULMFiT §3.3).

Yosinski et al. (NIPS 2014) showed why depth matters: early features are general, late
ones specific to the source task.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from transferkit._validation import check_positive
from transferkit.finetune.backbones import Backbone

__all__ = [
    "DiscriminativeLR",
    "FineTunePolicy",
    "FullFineTune",
    "GradualUnfreezing",
    "LastKStages",
    "LinearProbe",
    "TransferNet",
    "make_policy",
]


class TransferNet(nn.Module):
    """A backbone followed by a linear classification head.

    Examples
    --------
    >>> import torch
    >>> from transferkit.finetune import SmallCNN
    >>> net = TransferNet(SmallCNN(widths=(4, 8, 16)), n_classes=3)
    >>> net(torch.zeros(2, 1, 16, 16)).shape
    torch.Size([2, 3])
    """

    def __init__(self, backbone: Backbone, n_classes: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = nn.Linear(backbone.out_features, int(n_classes))

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits, pooled features)``."""
        f = self.backbone(x)
        return self.head(f), f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_features(x)[0]

    def reset_head(self, n_classes: int | None = None, generator: torch.Generator | None = None):
        """Replace the head with a freshly initialised one (optionally a new class count)."""
        n = self.head.out_features if n_classes is None else int(n_classes)
        if generator is not None:  # the default init would draw from the global generator
            with torch.random.fork_rng(devices=[]):
                head = nn.Linear(self.backbone.out_features, n)
        else:
            head = nn.Linear(self.backbone.out_features, n)
        if generator is not None:
            bound = 1.0 / self.backbone.out_features**0.5
            with torch.no_grad():
                head.weight.uniform_(-bound, bound, generator=generator)
                head.bias.uniform_(-bound, bound, generator=generator)
        self.head = head
        return self


def _stages(net: TransferNet) -> list[nn.Module]:
    return list(net.backbone.stages.values())


def _params(module: nn.Module) -> Iterator[nn.Parameter]:
    return module.parameters()


class FineTunePolicy:
    """Base class. Subclasses define :meth:`trainable_stages` and optionally :meth:`stage_lr`.

    The trainer builds one optimiser over :meth:`param_groups` and calls :meth:`apply`
    at the start of every epoch; frozen stages get ``requires_grad=False`` and are put
    in eval mode (their batch-norm statistics stay those of the pretrained network).
    """

    name = "policy"

    def trainable_stages(self, n_stages: int, epoch: int) -> int:
        """How many top stages train at ``epoch`` (0 = linear probe, ``n_stages`` = all)."""
        raise NotImplementedError

    def stage_lr(self, lr: float, depth_from_top: int) -> float:
        """Learning rate of a stage ``depth_from_top`` (1 = last stage) below the head."""
        return lr

    def param_groups(self, net: TransferNet, lr: float) -> list[dict]:
        """One optimiser group per stage (with its learning rate) plus one for the head."""
        stages = _stages(net)
        groups = [
            {"params": list(_params(s)), "lr": self.stage_lr(lr, len(stages) - i), "stage": i}
            for i, s in enumerate(stages)
        ]
        groups.append({"params": list(net.head.parameters()), "lr": lr, "stage": len(stages)})
        return [g for g in groups if g["params"]]

    def apply(self, net: TransferNet, epoch: int) -> list[nn.Module]:
        """Set ``requires_grad`` for ``epoch``; return the frozen stages (to keep in eval)."""
        stages = _stages(net)
        k = max(0, min(len(stages), int(self.trainable_stages(len(stages), epoch))))
        frozen = stages[: len(stages) - k]
        for i, s in enumerate(stages):
            flag = i >= len(stages) - k
            for p in s.parameters():
                p.requires_grad_(flag)
        for p in net.head.parameters():
            p.requires_grad_(True)
        return frozen

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class LinearProbe(FineTunePolicy):
    """Train only the new head on frozen backbone features."""

    name = "linear_probe"

    def trainable_stages(self, n_stages: int, epoch: int) -> int:
        return 0


class FullFineTune(FineTunePolicy):
    """Train every stage and the head with the same learning rate."""

    name = "full"

    def trainable_stages(self, n_stages: int, epoch: int) -> int:
        return n_stages


class LastKStages(FineTunePolicy):
    """Train the head and the last ``k`` stages; freeze the rest.

    Examples
    --------
    >>> from transferkit.finetune import SmallCNN
    >>> net = TransferNet(SmallCNN(widths=(4, 8, 16)), 2)
    >>> frozen = LastKStages(1).apply(net, epoch=0)
    >>> len(frozen), net.backbone.stages["block3"][0].weight.requires_grad
    (2, True)
    """

    name = "last_k"

    def __init__(self, k: int = 1) -> None:
        self.k = k

    def trainable_stages(self, n_stages: int, epoch: int) -> int:
        check_positive("k", self.k, strict=False, integer=True)
        return int(self.k)


class DiscriminativeLR(FullFineTune):
    """Train everything; stage ``d`` levels below the head uses ``lr * decay**d``."""

    name = "discriminative"

    def __init__(self, decay: float = 0.5) -> None:
        self.decay = decay

    def stage_lr(self, lr: float, depth_from_top: int) -> float:
        check_positive("decay", self.decay)
        return float(lr * self.decay**depth_from_top)


class GradualUnfreezing(FineTunePolicy):
    """Linear probe first, then unfreeze one more stage (top down) every few epochs."""

    name = "gradual"

    def __init__(self, epochs_per_stage: int = 1, decay: float = 1.0) -> None:
        self.epochs_per_stage = epochs_per_stage
        self.decay = decay

    def trainable_stages(self, n_stages: int, epoch: int) -> int:
        check_positive("epochs_per_stage", self.epochs_per_stage, integer=True)
        return min(n_stages, int(epoch) // int(self.epochs_per_stage))

    def stage_lr(self, lr: float, depth_from_top: int) -> float:
        return float(lr * self.decay**depth_from_top)


_NAMED = {
    "linear_probe": LinearProbe,
    "full": FullFineTune,
    "last_k": LastKStages,
    "discriminative": DiscriminativeLR,
    "gradual": GradualUnfreezing,
}


def make_policy(policy: str | FineTunePolicy) -> FineTunePolicy:
    """A policy instance from a name (defaults) or an instance (returned as is).

    Examples
    --------
    >>> make_policy("last_k")
    LastKStages(k=1)
    """
    if isinstance(policy, FineTunePolicy):
        return policy
    if policy not in _NAMED:
        from transferkit._validation import TransferKitInputError

        raise TransferKitInputError(
            f"policy={policy!r} is not supported; choose one of {', '.join(map(repr, _NAMED))} "
            "or pass a FineTunePolicy instance."
        )
    return _NAMED[policy]()
