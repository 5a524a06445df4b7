r"""V-I trajectory images and weighted recurrence graphs of one mains cycle.

A steady-state cycle (from :func:`~transferkit.nilm.steady_cycles`, or a row cut at a
rising voltage zero crossing) of voltage :math:`v[k]` and current :math:`i[k]`,
:math:`k = 0..M-1`, becomes an :math:`n \times n` image. For the V-I encodings both are
scaled by their own peak magnitude, :math:`\tilde v = v / \max_k |v[k]|` and likewise
:math:`\tilde i`, the curve is linearly up-sampled ``upsample`` times
(:math:`P = (M - 1)\,u + 1` points :math:`p`), and each point falls into the pixel

.. math::

    \text{col}(p) = \min(\lfloor (\tilde v_p + 1) n / 2 \rfloor, n - 1), \qquad
    \text{row}(p) = \min(\lfloor (1 - \tilde i_p) n / 2 \rfloor, n - 1)

(voltage along the columns, positive current at the top). Encodings (``encoding=``):

``"binary"``
    :math:`B_{rc} = 1` if any point falls into pixel :math:`(r, c)`, else 0
    (Gao, Kara, Giri & Bergés, GlobalSIP 2015; De Baets et al., Energy and Buildings 2018).
``"weighted"``
    Hit counts scaled to :math:`[0, 1]`: :math:`W_{rc} = h_{rc} / \max h` with
    :math:`h_{rc} = |\{p : (\text{row}(p), \text{col}(p)) = (r, c)\}|`; slow parts of the
    cycle (where the trajectory lingers) are bright.
``"colour"``
    Three channels, in the spirit of the colour V-I images of Liu, Wang, Zhang & Chen
    ("Non-intrusive load monitoring by voltage-current trajectory enabled transfer
    learning", IEEE Trans. Smart Grid 2019): channel 0 is :math:`W` above (density);
    channel 1 is *time*, the mean phase :math:`(p + 1) / P \in (0, 1]` of the points in
    the pixel (the direction in which the loop is drawn); channel 2 is the *derivative*,
    the mean :math:`|\Delta \tilde i_p| / \max_q |\Delta \tilde i_q|` of the points in the
    pixel (steep current edges of switched loads are bright). Empty pixels are 0.
``"wrg"``
    The weighted recurrence graph of Faustine & Pereira ("Improved appliance
    classification in non-intrusive load monitoring using weighted recurrence graph and
    convolutional neural networks", Energies 13(13) 3374, 2020), computed from the
    *current* cycle (in amperes, not normalised: magnitude is part of the signature). The
    cycle is first shortened to :math:`n` values by piecewise aggregate approximation,
    :math:`x_a = \frac{n}{M} \sum_k w_{ak}\, i[k]` where :math:`w_{ak}` is the overlap of
    sample :math:`k`'s interval :math:`[k, k+1)` with segment :math:`[a M/n, (a+1) M/n)`;
    then with :math:`d_{ab} = |x_a - x_b|`, threshold :math:`\varepsilon > 0` (``epsilon``,
    amperes) and ceiling :math:`\delta \geq 1` (``delta``)

    .. math::

        R_{ab} = \begin{cases}
            \lfloor d_{ab} / \varepsilon \rfloor & \text{if } \lfloor d_{ab} / \varepsilon
            \rfloor < \delta \\
            \delta & \text{otherwise}
        \end{cases}

    returned as :math:`R / \delta \in [0, 1]` (all encodings share that range). With
    :math:`\delta = 1`, :math:`R_{ab} = \Theta(d_{ab} - \varepsilon)`, the complement of
    the classic recurrence plot :math:`\Theta(\varepsilon - d_{ab})`. (The authors' code
    writes :math:`\lfloor d \lambda \rfloor` with :math:`\lambda = 1 / \varepsilon`.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_matrix, check_positive

__all__ = ["ENCODINGS", "piecewise_aggregate", "vi_binary_image", "vi_image"]

ENCODINGS = ("binary", "weighted", "colour", "wrg")
_TINY = np.finfo(float).tiny


def _pair(voltage: Any, current: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    single = np.ndim(current) == 1
    V = check_matrix(np.atleast_2d(voltage), "voltage", min_samples=1)
    I = check_matrix(np.atleast_2d(current), "current", min_samples=1)  # noqa: E741
    if I.shape != V.shape:
        raise TransferKitInputError(
            f"current and voltage must have the same shape; got {I.shape} and {V.shape}."
        )
    if I.shape[1] < 2:
        raise TransferKitInputError("each cycle needs at least 2 samples.")
    return V, I, single


def _trajectory(v: np.ndarray, i: np.ndarray, size: int, upsample: int):
    """Up-sampled, peak-scaled trajectory and the pixel of each of its points."""
    m = v.size
    grid = np.linspace(0.0, m - 1.0, (m - 1) * upsample + 1)
    base = np.arange(m)
    i = np.interp(grid, base, i)
    v = np.interp(grid, base, v)
    i = i / max(np.abs(i).max(), _TINY)
    v = v / max(np.abs(v).max(), _TINY)
    col = np.clip(np.floor((v + 1.0) / 2.0 * size), 0, size - 1).astype(int)
    row = np.clip(np.floor((1.0 - i) / 2.0 * size), 0, size - 1).astype(int)
    return v, i, row, col


def _pixel_mean(row, col, values, size, counts):
    total = np.zeros((size, size))
    np.add.at(total, (row, col), values)
    return np.divide(total, counts, out=np.zeros_like(total), where=counts > 0)


def piecewise_aggregate(x: Any, n_segments: int) -> np.ndarray:
    r"""Piecewise aggregate approximation: the means of ``n_segments`` equal segments.

    Segment :math:`a` covers :math:`[a M / n, (a + 1) M / n)` of the :math:`M` samples
    (sample :math:`k` covering :math:`[k, k + 1)`); a sample split between two segments
    counts in both with its overlap as weight, so
    :math:`x_a = \frac{n}{M} \sum_k |[k, k+1) \cap [aM/n, (a+1)M/n)|\; x[k]`.

    Parameters
    ----------
    x : array-like of shape (n_rows, M) or (M,)
    n_segments : int

    Returns
    -------
    numpy.ndarray of shape (n_rows, n_segments) (or (n_segments,))

    Examples
    --------
    >>> piecewise_aggregate([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3).tolist()
    [1.5, 3.5, 5.5]
    >>> piecewise_aggregate([0.0, 3.0, 6.0], 2).tolist()   # the 3 counts half in each
    [1.0, 5.0]
    """
    check_positive("n_segments", n_segments, integer=True)
    single = np.ndim(x) == 1
    X = check_matrix(np.atleast_2d(x), "x")
    m, n = X.shape[1], int(n_segments)
    edges = np.arange(n + 1) * (m / n)
    k = np.arange(m)
    overlap = np.clip(
        np.minimum(k[None, :] + 1, edges[1:, None]) - np.maximum(k[None, :], edges[:-1, None]),
        0,
        None,
    )  # (n, m)
    out = X @ overlap.T * (n / m)
    return out[0] if single else out


def vi_image(
    voltage_cycle: Any,
    current_cycle: Any,
    size: int = 32,
    encoding: str = "binary",
    *,
    upsample: int = 4,
    epsilon: float = 0.1,
    delta: int = 20,
) -> np.ndarray:
    """``size x size`` image of one mains cycle (or one per row) in the chosen encoding.

    The encodings and their maths are in the module docstring of
    :mod:`transferkit.nilm.vi`.

    Parameters
    ----------
    voltage_cycle, current_cycle : array-like of shape (n_cycles, n_points) or (n_points,)
        Cycles starting at a rising voltage zero crossing, aligned sample by sample.
    size : int, default=32
        Image side :math:`n` in pixels.
    encoding : {"binary", "weighted", "colour", "wrg"}, default="binary"
    upsample : int, default=4
        Linear interpolation factor along the cycle before rasterising (V-I encodings).
    epsilon : float, default=0.1
        WRG threshold :math:`\\varepsilon` in amperes (``"wrg"`` only).
    delta : int, default=20
        WRG ceiling :math:`\\delta` (``"wrg"`` only).

    Returns
    -------
    numpy.ndarray
        ``"binary"``: uint8 of shape (size, size); ``"weighted"`` and ``"wrg"``: float64
        in [0, 1] of shape (size, size); ``"colour"``: float64 in [0, 1] of shape
        (3, size, size). A leading (n_cycles,) axis for 2-D input.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 2 * np.pi, 500, endpoint=False)
    >>> img = vi_image(np.sin(t), np.sin(t), size=8)          # resistive load: a diagonal
    >>> bool(img[::-1].diagonal().all()), int(img.sum()) <= 12
    (True, True)
    >>> vi_image(np.sin(t), np.sin(t), size=8, encoding="colour").shape
    (3, 8, 8)
    >>> R = vi_image(np.sin(t), 2 * np.sin(t), size=4, encoding="wrg", epsilon=1.0, delta=4)
    >>> (R * 4).round().astype(int).tolist()[0]   # PAA of 2 sin: 4/pi, 4/pi, -4/pi, -4/pi
    [0, 0, 2, 2]
    """
    check_positive("size", size, integer=True)
    check_positive("upsample", upsample, integer=True)
    if encoding not in ENCODINGS:
        hint = " (British spelling)" if encoding == "color" else ""
        raise TransferKitInputError(
            f"encoding={encoding!r} is not supported{hint}; choose one of "
            f"{', '.join(map(repr, ENCODINGS))}."
        )
    V, I, single = _pair(voltage_cycle, current_cycle)  # noqa: E741
    size, upsample = int(size), int(upsample)
    n = V.shape[0]
    if encoding == "wrg":
        check_positive("epsilon", epsilon)
        check_positive("delta", delta, integer=True)
        x = piecewise_aggregate(I, size)
        d = np.abs(x[:, :, None] - x[:, None, :])
        out = np.minimum(np.floor(d / float(epsilon)), float(delta)) / float(delta)
        return out[0] if single else out
    if encoding == "binary":
        out = np.zeros((n, size, size), dtype=np.uint8)
    elif encoding == "weighted":
        out = np.zeros((n, size, size))
    else:
        out = np.zeros((n, 3, size, size))
    for k in range(n):
        _, i, row, col = _trajectory(V[k], I[k], size, upsample)
        if encoding == "binary":
            out[k, row, col] = 1
            continue
        counts = np.zeros((size, size))
        np.add.at(counts, (row, col), 1.0)
        weighted = counts / counts.max()
        if encoding == "weighted":
            out[k] = weighted
            continue
        p = row.size
        phase = (np.arange(p) + 1.0) / p
        slope = np.abs(np.diff(i, append=i[0]))
        slope = slope / max(slope.max(), _TINY)
        out[k, 0] = weighted
        out[k, 1] = _pixel_mean(row, col, phase, size, counts)
        out[k, 2] = _pixel_mean(row, col, slope, size, counts)
    return out[0] if single else out


def vi_binary_image(current: Any, voltage: Any, size: int = 32, upsample: int = 4) -> np.ndarray:
    """Binary ``size x size`` V-I images, one per row of ``current``/``voltage``.

    The same as ``vi_image(voltage, current, size, "binary", upsample=upsample)`` (note
    the argument order: current first here, for backward compatibility).

    Parameters
    ----------
    current, voltage : array-like of shape (n_events, n_samples) or (n_samples,)
        One (or more) mains cycles, aligned sample by sample.
    size : int, default=32
        Image side length in pixels.
    upsample : int, default=4
        Linear interpolation factor along the cycle before rasterising, so that fast
        current changes still draw connected lines.

    Returns
    -------
    numpy.ndarray of shape (n_events, size, size) (or (size, size) for 1-D input), uint8

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 500, endpoint=False)
    >>> img = vi_binary_image(np.sin(t), np.sin(t), size=8)   # resistive load: a diagonal
    >>> img.shape, bool(img[::-1].diagonal().all())   # every anti-diagonal pixel is on
    ((8, 8), True)
    >>> int(img.sum()) <= 12                            # and little else
    True
    """
    check_positive("size", size, integer=True)
    check_positive("upsample", upsample, integer=True)
    V, I, single = _pair(voltage, current)  # noqa: E741
    out = vi_image(V, I, size, "binary", upsample=upsample)
    return out[0] if single else out
