"""Domains with a physical order: digits rotated by known angles, COIL20 views by angle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from transferkit._validation import TransferKitInputError, check_random_state
from transferkit.datasets.benchmarks import load_domain, load_task

__all__ = ["rotate_digit_images", "rotated_mnist_domains", "coil20_views", "view_windows_between"]


def _unit_rows(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def rotate_digit_images(X: Any, angle: float) -> np.ndarray:
    """Rotate 16x16 digit images (rows, MATLAB column-major pixel order) by ``angle`` degrees.

    Bilinear interpolation, the frame kept at 16x16; each row is then scaled to unit L2
    norm (the JDA preprocessing of the digits).

    Examples
    --------
    >>> import numpy as np
    >>> bar = np.zeros((16, 16)); bar[2:14, 7:9] = 1.0          # a vertical stroke
    >>> flat = rotate_digit_images(bar.reshape(1, -1, order="F"), 90.0)
    >>> image = flat.reshape(16, 16, order="F")
    >>> bool(image[7:9, 2:14].sum() > 0.9 * image.sum())       # now horizontal
    True
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 256:
        raise TransferKitInputError(f"X must hold 16x16 images as rows of 256; got {X.shape}.")
    images = X.reshape(-1, 16, 16, order="F")
    out = np.stack([ndimage.rotate(im, angle, reshape=False, order=1) for im in images])
    return _unit_rows(out.reshape(len(X), -1, order="F"))


def rotated_mnist_domains(
    angles: Sequence[float],
    sizes: Sequence[int],
    *,
    random_state: Any = None,
    data_home: Any = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Disjoint groups of the 2000 MNIST digits of ``mnist_usps``, each rotated by its angle.

    Parameters
    ----------
    angles : sequence of float
        Rotation of each domain, in degrees.
    sizes : sequence of int
        Number of images of each domain (disjoint; at most 2000 in all).
    random_state : int, RandomState or None
        Shuffles the images before they are split into groups.
    data_home : path, optional
        See :func:`transferkit.datasets.get_data_home`.

    Returns
    -------
    list of (X, y)
        One pair per domain: unit-norm pixel rows and digit labels.
    """
    if len(angles) != len(sizes):
        raise TransferKitInputError(
            f"angles and sizes must have one entry per domain; got {len(angles)} and {len(sizes)}."
        )
    X, y = load_domain("mnist_usps", "mnist", data_home=data_home)
    if any(int(s) < 1 for s in sizes) or sum(sizes) > len(y):
        raise TransferKitInputError(
            f"sizes must be positive and sum to at most {len(y)}; got {list(sizes)}."
        )
    order = check_random_state(random_state).permutation(len(y))
    bounds = np.cumsum([0, *sizes])
    return [
        (rotate_digit_images(X[order[a:b]], angle), y[order[a:b]])
        for angle, a, b in zip(angles, bounds[:-1], bounds[1:], strict=True)
    ]


def coil20_views(
    ranges: Sequence[tuple[int, int]], *, data_home: Any = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """COIL20 images whose viewing angle (degrees) lies in each ``[low, high)`` range.

    Both JDA domains are pooled: 20 objects x 72 views, 5 degrees apart (COIL1 holds the
    views in [0, 90) and [180, 270), COIL2 those in [90, 180) and [270, 360); within each
    object the files store the views in order of angle). Rows have unit L2 norm.

    Examples
    --------
    >>> [(Xa, ya)] = coil20_views([(0, 45)])
    >>> Xa.shape, int(ya.min()), int(ya.max())
    ((180, 1024), 0, 19)
    """
    X1, y1, X2, y2 = load_task("coil20", "COIL1", "COIL2", data_home=data_home)
    view = np.tile(np.arange(36), 20)
    a1 = np.where(view < 18, 5 * view, 180 + 5 * (view - 18))
    a2 = np.where(view < 18, 90 + 5 * view, 270 + 5 * (view - 18))
    X, y, angle = np.vstack([X1, X2]), np.concatenate([y1, y2]), np.concatenate([a1, a2])
    out = []
    for low, high in ranges:
        mask = (angle >= low) & (angle < high)
        if not mask.any():
            raise TransferKitInputError(f"no COIL20 view has an angle in [{low}, {high}).")
        out.append((X[mask], y[mask]))
    return out


def view_windows_between(
    source: int, target: int, *, width: int = 45, period: int = 360
) -> tuple[list[list[tuple[int, int]]], list[tuple[int, int]]]:
    """The angle windows between a source window and a target window on a circle of views.

    The circle ``[0, period)`` is cut into windows ``[k * width, (k + 1) * width)``.
    Views wrap around (``period`` is the same view as 0), so a window lies *between*
    ``source`` and ``target`` when it is on the **shorter** arc from one to the other: from
    ``[0, 45)`` to ``[270, 315)`` the way goes down through ``[315, 360)``, not up through
    ``[45, 90)``. When the target is opposite the source, both arcs are equally short and
    both are returned.

    Parameters
    ----------
    source, target : int
        Start angle (degrees) of the source and target windows: multiples of ``width`` in
        ``[0, period)``, different from each other.
    width : int, default=45
        Width of every window, in degrees; must divide ``period``.
    period : int, default=360
        Angle at which the views wrap around.

    Returns
    -------
    arcs : list of lists of (low, high)
        The windows strictly between source and target on each shorter arc (one arc, or
        two when the target is opposite), in the order met when walking from the source.
    others : list of (low, high)
        Every other window except source and target (the far arc: not between them), in
        order of increasing angular distance from the source, ties by angle.

    Examples
    --------
    >>> view_windows_between(0, 270)                      # down through 315, wrapping
    ([[(315, 360)]], [(45, 90), (90, 135), (135, 180), (225, 270), (180, 225)])
    >>> view_windows_between(0, 180, width=90)             # opposite: both arcs
    ([[(90, 180)], [(270, 360)]], [])
    """
    for name, value in (("width", width), ("period", period), ("source", source)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TransferKitInputError(f"{name} must be an integer (degrees); got {value!r}.")
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise TransferKitInputError(f"target must be an integer (degrees); got {target!r}.")
    if width <= 0 or period <= 0 or period % width:
        raise TransferKitInputError(
            f"width must be positive and divide period; got width={width}, period={period}. "
            "Choose e.g. width=45, period=360."
        )
    n = period // width
    for name, value in (("source", source), ("target", target)):
        if value % width or not 0 <= value < period:
            raise TransferKitInputError(
                f"{name} must be the start of a window: a multiple of width={width} in "
                f"[0, {period}); got {value}."
            )
    s, t = source // width, target // width
    if s == t:
        raise TransferKitInputError(
            f"source and target must be different windows; both start at {source}."
        )
    up, down = (t - s) % n, (s - t) % n  # steps going up (increasing angle) and down

    def window(k: int) -> tuple[int, int]:
        k %= n
        return (k * width, (k + 1) * width)

    arcs = []
    if up <= down:
        arcs.append([window(s + j) for j in range(1, up)])
    if down <= up:
        arcs.append([window(s - j) for j in range(1, down)])
    between = {w for arc in arcs for w in arc}
    others = [window(k) for k in range(n) if k not in (s, t) and window(k) not in between]
    others.sort(key=lambda w: (min((w[0] // width - s) % n, (s - w[0] // width) % n), w[0]))
    return arcs, others
