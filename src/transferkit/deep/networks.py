"""Networks for deep domain adaptation: a convolutional (or dense) trunk, a neck that
turns the trunk's output into the bottleneck features, and a linear classifier.

:class:`AdaptationNet` exposes the three pieces separately because the methods need them:
DANN/DAN/CORAL/CDAN read the bottleneck features, TADA the trunk's feature map (its
regions) before the neck.

Built-in trunks: :func:`lenet` (LeNet-style, as in the DANN/TLlib digit experiments),
:func:`mlp` (dense layers for feature vectors: Amazon reviews, SURF) and
:func:`backbone_net` (any backbone of :mod:`transferkit.finetune`, e.g. the pretrained
EfficientNet-Lite0).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import torch
from torch import nn

__all__ = ["AdaptationNet", "backbone_net", "lenet", "mlp"]


class AdaptationNet(nn.Module):
    """``classifier(neck(trunk(x)))`` with each stage reachable.

    Parameters
    ----------
    trunk : nn.Module
        Input -> feature map ``(n, C, H, W)`` (or vectors ``(n, d)`` for dense nets).
    neck : nn.Module
        Trunk output -> bottleneck features ``(n, features)``.
    features : int
    n_classes : int
    map_shape : (C, H, W) or None
        Shape of the trunk's map (``None`` for dense trunks); TADA needs it.
    transform : callable, optional
        Applied to the input first (e.g. resizing, ImageNet scaling).
    channels_last : bool, default=False
        Keep the trunk's weights and its image inputs in the channels-last memory format
        (NHWC strides; the shapes and the maths are unchanged). On CPU the oneDNN
        convolutions and the pooling run faster in it (``benchmarks/deep_throughput.py``).
    """

    def __init__(
        self,
        trunk: nn.Module,
        neck: nn.Module,
        features: int,
        n_classes: int,
        map_shape: tuple[int, int, int] | None = None,
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        self.trunk, self.neck = trunk, neck
        self.classifier = nn.Linear(int(features), int(n_classes))
        self.features, self.map_shape, self.transform = int(features), map_shape, transform
        self.local_attention: nn.Module | None = None  # TADA sets it
        self.channels_last = bool(channels_last)
        if self.channels_last:
            self.trunk.to(memory_format=torch.channels_last)

    def trunk_map(self, x: torch.Tensor) -> torch.Tensor:
        if self.transform is not None:
            x = self.transform(x)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.trunk(x)

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits, bottleneck features)``."""
        m = self.trunk_map(x)
        if self.local_attention is not None:
            m = self.local_attention.attend(m)
        f = self.neck(m)
        return self.classifier(f), f

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]


def lenet(
    image_shape: Sequence[int],
    n_classes: int,
    features: int = 500,
    dropout: float = 0.5,
    *,
    channels_last: bool = True,
) -> AdaptationNet:
    """LeNet-style net: conv5(20)-pool-ReLU, conv5(50)-pool-ReLU, then FC(``features``).

    The convolutions are padded so that a ``H x W`` image gives a ``50 x H/4 x W/4`` map
    (16x16 digits: 50 x 4 x 4, 16 regions for TADA). The trunk runs in the channels-last
    memory format (``channels_last=False``: the default NCHW strides); the outputs are
    the same up to floating-point rounding.

    Examples
    --------
    >>> net = lenet((1, 16, 16), 10)
    >>> net(torch.zeros(2, 1, 16, 16)).shape, net.map_shape
    (torch.Size([2, 10]), (50, 4, 4))
    """
    c, h, w = (int(s) for s in image_shape)
    trunk = nn.Sequential(
        nn.Conv2d(c, 20, 5, padding=2),
        nn.MaxPool2d(2),
        nn.ReLU(),
        nn.Conv2d(20, 50, 5, padding=2),
        nn.MaxPool2d(2),
        nn.ReLU(),
    )
    mh, mw = h // 4, w // 4
    neck = nn.Sequential(
        nn.Flatten(), nn.Linear(50 * mh * mw, features), nn.ReLU(), nn.Dropout(dropout)
    )
    return AdaptationNet(
        trunk, neck, features, n_classes, map_shape=(50, mh, mw), channels_last=channels_last
    )


def mlp(
    in_features: int, n_classes: int, hidden: Sequence[int] = (256,), dropout: float = 0.5
) -> AdaptationNet:
    """Dense ReLU layers (with dropout); the last hidden layer is the bottleneck.

    Examples
    --------
    >>> mlp(400, 2, hidden=(64, 32))(torch.zeros(3, 400)).shape
    torch.Size([3, 2])
    """
    sizes = [int(in_features), *(int(h) for h in hidden)]
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU(), nn.Dropout(dropout)]
    return AdaptationNet(nn.Sequential(*layers), nn.Identity(), sizes[-1], n_classes)


def backbone_net(
    name: str,
    image_shape: Sequence[int],
    n_classes: int,
    *,
    pretrained: bool = True,
    features: int = 256,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    **backbone_kwargs,
) -> AdaptationNet:
    """A :mod:`transferkit.finetune` backbone (its stages) + average pool + FC bottleneck.

    With ``name="efficientnet_lite0", pretrained=True`` the trunk carries the ImageNet
    weights; give a ``transform`` that makes RGB ``(x - 127) / 128`` inputs (and resizes).

    Examples
    --------
    >>> net = backbone_net("small_cnn", (1, 16, 16), 3, pretrained=False, widths=(4, 8, 8))
    >>> net(torch.zeros(2, 1, 16, 16)).shape, net.map_shape
    (torch.Size([2, 3]), (8, 4, 4))
    """
    from transferkit.finetune.backbones import load_backbone

    bb = load_backbone(name, pretrained=pretrained, **backbone_kwargs)
    trunk = nn.Sequential(*bb.stages.values())
    was = trunk.training
    trunk.eval()  # batch norm on a one-image probe
    with torch.no_grad():
        probe = torch.zeros(1, *(int(s) for s in image_shape))
        out = trunk(transform(probe) if transform is not None else probe)
    trunk.train(was)
    neck = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(out.shape[1], features), nn.ReLU()
    )
    return AdaptationNet(
        trunk, neck, features, n_classes, map_shape=tuple(out.shape[1:]), transform=transform
    )
