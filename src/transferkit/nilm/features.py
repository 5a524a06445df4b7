"""Feature vectors of steady cycles for shallow classifiers: blurred binary V-I images.

Two representations of the same V-I images: :func:`vi_features` (the blurred pixels) and
:func:`vi_cnn_features` (the pooled activations of a frozen ImageNet network on them).

A binary V-I image marks the pixels the trajectory passes through, so two trajectories a
pixel apart share no pixel. Blurring each image with a Gaussian of ``blur`` pixels
(:math:`x = \\mathrm{vec}(G_\\sigma * B)`) makes the Euclidean distance between images
degrade gracefully with the distance between trajectories, which linear classifiers and
the subspace methods of :mod:`transferkit.mapping` need.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

from transferkit._validation import TransferKitInputError, check_positive

__all__ = ["vi_cnn_features", "vi_features"]


def vi_features(
    voltage_cycles: Any, current_cycles: Any, size: int = 32, blur: float = 0.7
) -> tuple[np.ndarray, np.ndarray]:
    """Flattened, blurred binary V-I images of steady cycles, and the unblurred images.

    Parameters
    ----------
    voltage_cycles, current_cycles : array-like of shape (n, n_points)
        Steady cycles starting at a rising voltage zero crossing.
    size : int, default=32
    blur : float, default=0.7
        Standard deviation of the Gaussian, pixels (0: no blur).

    Returns
    -------
    X : ndarray of shape (n, size * size)
    images : ndarray of shape (n, size, size)

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 128, endpoint=False)
    >>> X, images = vi_features(np.sin(t)[None], np.sin(t)[None], size=16)
    >>> X.shape, images.shape
    ((1, 256), (1, 16, 16))
    """
    from transferkit.nilm import vi_image

    check_positive("size", size, integer=True)
    check_positive("blur", blur, strict=False)
    images = vi_image(np.atleast_2d(voltage_cycles), np.atleast_2d(current_cycles), size=size)
    images = np.asarray(images, dtype=np.float64).reshape(-1, size, size)
    smooth = ndimage.gaussian_filter(images, sigma=(0, blur, blur)) if blur > 0 else images
    return smooth.reshape(len(images), -1), images


def vi_cnn_features(
    images: Any,
    *,
    backbone: str = "efficientnet_lite0",
    size: int = 64,
    layer: str = "head",
    batch_size: int = 64,
) -> np.ndarray:
    r"""Frozen ImageNet-network features of V-I images (needs ``transferkit[torch]``).

    Each image :math:`B \in [0, 1]^{h \times w}` (e.g. the unblurred images of
    :func:`vi_features`) is resized bilinearly to ``size`` x ``size``, repeated to three
    channels, scaled as the network was trained (:math:`(255 B - 127) / 128`,
    :func:`transferkit.finetune.transforms.imagenet_scale`), and passed through the
    backbone with its packaged weights (no download); the features are the
    global-average-pooled activations of ``layer``:
    :math:`x = \mathrm{avgpool}(\phi_{\text{layer}}(\mathrm{scale}(\mathrm{rgb}(
    \mathrm{resize}(B)))))`. The network is frozen (eval mode, no gradient).

    ``benchmarks/nilm_cross_country.py``'s "EfficientNet" features are
    ``vi_cnn_features(images)`` on the 32x32 binary images (1280 columns).

    Parameters
    ----------
    images : array-like of shape (n, h, w)
        Grey images with values in ``[0, 1]``.
    backbone : str, default="efficientnet_lite0"
        A backbone of :func:`transferkit.finetune.available_backbones` with packaged
        weights.
    size : int, default=64
        Side the images are resized to.
    layer : str, default="head"
        Stage whose pooled activations are returned.
    batch_size : int, default=64
        Images per forward pass.

    Returns
    -------
    ndarray of shape (n, n_features)

    Raises
    ------
    TransferKitInputError
        For images that are not a non-empty 3-D array of finite values.

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 128, endpoint=False)
    >>> _, images = vi_features(np.sin(t)[None], np.cos(t)[None])
    >>> vi_cnn_features(images).shape
    (1, 1280)
    """
    arr = np.asarray(images)
    if arr.ndim != 3 or arr.shape[0] == 0 or 0 in arr.shape:
        raise TransferKitInputError(
            f"images has shape {arr.shape}; expected a non-empty (n, height, width) array "
            "of grey images, e.g. the second output of vi_features."
        )
    if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
        raise TransferKitInputError(
            "images holds NaN, infinite or non-numeric values; give grey images with "
            "values in [0, 1]."
        )
    check_positive("size", size, integer=True)
    check_positive("batch_size", batch_size, integer=True)
    from transferkit._optional import require

    require("torch", extra="torch", purpose="vi_cnn_features (a frozen ImageNet network)")
    from transferkit.finetune import extract_features, load_backbone
    from transferkit.finetune.transforms import imagenet_scale, resize, to_rgb

    net = load_backbone(backbone, pretrained=True)
    n, height, width = arr.shape
    return extract_features(
        net,
        arr.reshape(n, 1, height, width).astype(np.float32),
        layers=layer,
        transform=lambda x: imagenet_scale(to_rgb(resize(x, size))),
        batch_size=batch_size,
        verbose=False,
    )
