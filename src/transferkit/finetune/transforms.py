"""Image transforms written with torch only (torchvision does not import beside torch 2.13).

Every function takes and returns a float tensor of shape ``(n, C, H, W)`` and never
modifies its input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812

from transferkit._validation import TransferKitInputError

__all__ = ["as_images", "compose", "imagenet_scale", "resize", "to_rgb", "random_shift"]


def as_images(X: np.ndarray | torch.Tensor, image_shape: Sequence[int]) -> torch.Tensor:
    """Reshape flat rows ``(n, C*H*W)`` into a float32 image batch ``(n, C, H, W)``.

    Examples
    --------
    >>> as_images(np.zeros((2, 12)), (3, 2, 2)).shape
    torch.Size([2, 3, 2, 2])
    """
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3:
        raise TransferKitInputError(
            f"image_shape must be (channels, height, width); got {image_shape!r}."
        )
    t = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    expected = shape[0] * shape[1] * shape[2]
    if t.dim() != 2 or t.shape[1] != expected:
        raise TransferKitInputError(
            f"X must have shape (n_samples, {expected}) to be viewed as images of shape "
            f"{shape}; got {tuple(t.shape)}. Pass the right image_shape."
        )
    return t.reshape(-1, *shape).clone()


def resize(x: torch.Tensor, size: int | tuple[int, int], mode: str = "bilinear") -> torch.Tensor:
    """Resize to ``size`` (``"nearest"`` keeps binary images binary).

    Examples
    --------
    >>> resize(torch.zeros(1, 1, 16, 16), 32).shape
    torch.Size([1, 1, 32, 32])
    """
    size = (size, size) if isinstance(size, int) else tuple(size)
    if tuple(x.shape[-2:]) == size:
        return x.clone()
    kwargs = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
    return F.interpolate(x, size=size, mode=mode, **kwargs)


def to_rgb(x: torch.Tensor) -> torch.Tensor:
    """Repeat a single grey channel three times (ImageNet backbones expect RGB)."""
    if x.shape[1] == 3:
        return x.clone()
    if x.shape[1] != 1:
        raise ValueError(f"to_rgb needs 1 or 3 channels; got {x.shape[1]}.")
    return x.repeat(1, 3, 1, 1)


def imagenet_scale(x: torch.Tensor, max_value: float = 1.0) -> torch.Tensor:
    r"""Scale intensities in ``[0, max_value]`` to the EfficientNet-Lite input range.

    :math:`x' = (255 x / m - 127) / 128`, i.e. ``(x - 127) / 128`` on 0..255 pixels.

    Examples
    --------
    >>> imagenet_scale(torch.tensor([0.0, 1.0])).tolist()
    [-0.9921875, 1.0]
    """
    return (x * (255.0 / max_value) - 127.0) / 128.0


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to ``max_shift`` pixels (zero padding), a light augmentation."""
    if max_shift <= 0:
        return x.clone()
    n, _, h, w = x.shape
    padded = F.pad(x, [max_shift] * 4)
    offs = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = int(offs[i, 0]), int(offs[i, 1])
        out[i] = padded[i, :, dy : dy + h, dx : dx + w]
    return out


def compose(*fns: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[torch.Tensor], torch.Tensor]:
    """Chain transforms left to right.

    Examples
    --------
    >>> f = compose(to_rgb, lambda t: resize(t, 4))
    >>> f(torch.zeros(1, 1, 2, 2)).shape
    torch.Size([1, 3, 4, 4])
    """

    def _apply(x: torch.Tensor) -> torch.Tensor:
        for fn in fns:
            x = fn(x)
        return x

    return _apply
