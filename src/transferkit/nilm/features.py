"""Feature vectors of steady cycles for shallow classifiers: blurred binary V-I images.

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

from transferkit._validation import check_positive

__all__ = ["vi_features"]


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
