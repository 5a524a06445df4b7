"""Handwritten digits read by a different scanner: a covariate shift with no download.

The shift. scikit-learn's 8x8 digits are split in two disjoint halves. The source half
is used as is. The target half is "re-scanned" by a second device whose optics are
softer and whose sensor responds non-linearly: every image is blurred with a Gaussian
point-spread function (sigma 0.8 pixel) and its intensities pass through a gamma curve
(gamma 0.5, which brightens faint strokes). This is the covariate shift a model meets
when the acquisition hardware changes while the classes stay the same.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from sklearn.datasets import load_digits

from transferkit._validation import check_random_state

__all__ = ["rescanned_digits"]


def _rescan(images: np.ndarray, blur_sigma: float, gamma: float) -> np.ndarray:
    out = np.empty_like(images, dtype=np.float64)
    for i, image in enumerate(images):
        blurred = ndimage.gaussian_filter(image.astype(np.float64), blur_sigma)
        out[i] = 16.0 * np.clip(blurred / 16.0, 0.0, 1.0) ** gamma
    return out


def rescanned_digits(
    *, blur_sigma: float = 0.8, gamma: float = 0.5, random_state: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source and "re-scanned" target halves of scikit-learn's digits.

    Returns
    -------
    X_source, y_source, X_target, y_target : ndarrays
        64 pixel intensities (0-16, as shipped); 898/899 samples per domain, 10 classes.

    Examples
    --------
    >>> Xs, ys, Xt, yt = rescanned_digits(random_state=0)
    >>> Xs.shape, Xt.shape
    ((898, 64), (899, 64))
    """
    digits = load_digits()
    order = check_random_state(random_state).permutation(len(digits.target))
    half = len(order) // 2
    source, target = order[:half], order[half:]
    X_source = digits.images[source].reshape(len(source), -1)
    X_target = _rescan(digits.images[target], blur_sigma, gamma).reshape(len(target), -1)
    return X_source, digits.target[source], X_target, digits.target[target]
