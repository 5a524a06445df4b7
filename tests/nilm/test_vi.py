"""Binary V-I trajectory images."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.nilm import vi_binary_image, vi_image

T = np.linspace(0, 2 * np.pi, 500, endpoint=False)


def test_resistive_load_is_the_diagonal():
    img = vi_binary_image(2.0 * np.sin(T), 170 * np.sin(T), size=16)
    assert img.dtype == np.uint8 and img.shape == (16, 16)
    assert img[::-1].diagonal().all()  # bottom-left (v<0, i<0) to top-right
    assert img.sum() <= 16 + 6


def test_reactive_load_is_a_closed_loop():
    """A 90-degree lag draws a circle: every row and every column is hit, the centre is empty."""
    img = vi_binary_image(np.sin(T - np.pi / 2), np.sin(T), size=16)
    assert img.any(axis=0).all() and img.any(axis=1).all()
    assert img[6:10, 6:10].sum() == 0
    np.testing.assert_array_equal(img, img[::-1, ::-1])  # point symmetric


def test_batch_equals_single_and_input_untouched():
    I = np.stack([np.sin(T), np.sin(T) ** 3])  # noqa: E741
    V = np.stack([np.sin(T), np.sin(T)])
    before = I.copy()
    batch = vi_binary_image(I, V, size=20)
    assert batch.shape == (2, 20, 20)
    np.testing.assert_array_equal(batch[1], vi_binary_image(I[1], V[1], size=20))
    np.testing.assert_array_equal(I, before)


def test_scale_invariant():
    a = vi_binary_image(np.sin(T) ** 3, np.sin(T))
    b = vi_binary_image(40 * np.sin(T) ** 3, 0.1 * np.sin(T))
    np.testing.assert_array_equal(a, b)


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        vi_binary_image(np.zeros((2, 10)), np.zeros((2, 11)))
    with pytest.raises(ValueError, match="NaN"):
        vi_binary_image(np.full(10, np.nan), np.zeros(10))
    with pytest.raises(ValueError, match="size"):
        vi_binary_image(np.zeros(10), np.zeros(10), size=0)


def test_plaid_images(data_home):
    from transferkit.datasets import load_plaid_subset

    plaid = load_plaid_subset(data_home)
    imgs = vi_binary_image(plaid.current, plaid.voltage, size=32)
    assert imgs.shape == (250, 32, 32) and set(np.unique(imgs)) <= {0, 1}
    # resistive loads draw the anti-diagonal, electronic (SMPS, CFL) loads do not
    r, c = np.mgrid[0:32, 0:32]
    near = np.abs((31 - r) - c) <= 3

    def median_on_diagonal(name):
        x = imgs[plaid.labels == plaid.class_names.index(name)]
        return np.median((x * near).sum((1, 2)) / x.sum((1, 2)))

    for name in ("ILB", "Water kettle", "CoffeeMaker"):
        assert median_on_diagonal(name) > 0.85, name
    for name in ("CFL", "LaptopCharger"):
        assert median_on_diagonal(name) < 0.4, name


# ---- vi_image: every encoding -------------------------------------------------------


def test_binary_encoding_is_vi_binary_image():
    I = np.stack([np.sin(T - 0.7), np.sign(np.sin(T)) * np.sin(T) ** 2])  # noqa: E741
    V = np.stack([np.sin(T), np.sin(T)])
    np.testing.assert_array_equal(vi_image(V, I, size=24), vi_binary_image(I, V, size=24))


def test_weighted_counts_hits_by_hand():
    # 5 points, no up-sampling, v = i on a 2x2 grid: -1 and -0.9 fall bottom-left (row 1,
    # col 0), 0.9, 1 and 1 (a repeated point counts again) top-right (row 0, col 1)
    v = np.array([-1.0, -0.9, 0.9, 1.0, 1.0])
    img = vi_image(v, v, size=2, encoding="weighted", upsample=1)
    np.testing.assert_array_equal(img, [[0.0, 1.0], [2 / 3, 0.0]])


def test_weighted_is_brighter_where_the_trajectory_lingers():
    # a clipped current (flat top) dwells at the top row
    i = np.clip(1.5 * np.sin(T), -1, 1)
    img = vi_image(np.sin(T), i, size=16, encoding="weighted")
    assert img.max() == 1.0 and img[0].sum() > img[8].sum()
    assert set(np.unique(vi_image(np.sin(T), i, size=16) > 0)) == set(np.unique(img > 0))


def test_colour_channels():
    img = vi_image(np.sin(T), np.sin(T - 0.5), size=16, encoding="colour")
    assert img.shape == (3, 16, 16) and img.min() >= 0 and img.max() <= 1
    on = img[0] > 0
    np.testing.assert_array_equal(on, vi_image(np.sin(T), np.sin(T - 0.5), size=16) == 1)
    assert (img[1][on] > 0).all() and (img[1][~on] == 0).all()  # time only where drawn
    # time channel: the loop starts at v = 0 rising (left to right along the middle)
    # and ends there, so early pixels (upper right quadrant) are darker than late ones
    assert img[1][:8, 8:][on[:8, 8:]].mean() < img[1][8:, :8][on[8:, :8]].mean()
    # derivative channel: a square-wave current has its steep edges at the zero crossings
    sq = vi_image(np.sin(T), np.tanh(20 * np.sin(T)), size=16, encoding="colour")
    middle_rows = sq[2][6:10][sq[0][6:10] > 0]
    top_rows = sq[2][:2][sq[0][:2] > 0]
    assert middle_rows.mean() > 5 * top_rows.mean()


def test_wrg_by_hand():
    # cycle of 4 samples, size 4 (PAA is the identity): x = (0, 1, 3, 6) A
    x = np.array([0.0, 1.0, 3.0, 6.0])
    R = vi_image(np.sin(np.arange(4)), x, size=4, encoding="wrg", epsilon=1.0, delta=4)
    d = [[0, 1, 3, 4], [1, 0, 2, 4], [3, 2, 0, 3], [4, 4, 3, 0]]  # floor(|xi - xj|), capped at 4
    np.testing.assert_array_equal(R * 4, d)
    # epsilon = 2: floor(d / 2) = [[0,0,1,3],[0,0,1,2],[1,1,0,1],[3,2,1,0]], delta 4 uncapped
    R2 = vi_image(np.sin(np.arange(4)), x, size=4, encoding="wrg", epsilon=2.0, delta=4)
    np.testing.assert_array_equal(R2 * 4, [[0, 0, 1, 3], [0, 0, 1, 2], [1, 1, 0, 1], [3, 2, 1, 0]])
    # delta = 1 is the thresholded distance Theta(d - eps)
    R3 = vi_image(np.sin(np.arange(4)), x, size=4, encoding="wrg", epsilon=2.0, delta=1)
    np.testing.assert_array_equal(R3, (np.abs(x[:, None] - x[None, :]) >= 2).astype(float))


def test_wrg_uses_paa_and_keeps_magnitude():
    x = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0])  # PAA to 4: 1, 5, 9, 13
    R = vi_image(np.zeros(8) + np.arange(8), x, size=4, encoding="wrg", epsilon=4.0, delta=10)
    np.testing.assert_array_equal(
        R * 10, np.abs(np.subtract.outer([1, 5, 9, 13], [1, 5, 9, 13])) // 4
    )
    # unlike V-I images, the WRG sees the current's scale
    a = vi_image(np.sin(T), np.sin(T), size=8, encoding="wrg", epsilon=0.1)
    b = vi_image(np.sin(T), 3 * np.sin(T), size=8, encoding="wrg", epsilon=0.1)
    assert b.sum() > a.sum()


def test_piecewise_aggregate_fractional_segments():
    from transferkit.nilm import piecewise_aggregate

    # 5 samples into 2 segments: [0, 2.5) and [2.5, 5): sample 2 splits half and half
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    np.testing.assert_allclose(
        piecewise_aggregate(x, 2), [(1 + 2 + 1.5) / 2.5, (1.5 + 4 + 5) / 2.5]
    )
    np.testing.assert_allclose(piecewise_aggregate(np.stack([x, 2 * x]), 5), np.stack([x, 2 * x]))


def test_batch_shapes_and_errors():
    V = np.stack([np.sin(T)] * 3)
    I = np.stack([np.sin(T - a) for a in (0, 0.5, 1.0)])  # noqa: E741
    for enc, shape in [
        ("binary", (3, 8, 8)),
        ("weighted", (3, 8, 8)),
        ("colour", (3, 3, 8, 8)),
        ("wrg", (3, 8, 8)),
    ]:
        out = vi_image(V, I, size=8, encoding=enc)
        assert out.shape == shape, enc
        np.testing.assert_array_equal(out[2], vi_image(V[2], I[2], size=8, encoding=enc))
    with pytest.raises(ValueError, match="British"):
        vi_image(V, I, encoding="color")
    with pytest.raises(ValueError, match="epsilon"):
        vi_image(V, I, encoding="wrg", epsilon=0)
    with pytest.raises(ValueError, match="delta"):
        vi_image(V, I, encoding="wrg", delta=1.5)


def test_real_subsets_all_encodings(data_home):
    from transferkit.datasets import load_plaid_subset

    plaid = load_plaid_subset(data_home)
    for enc in ("weighted", "colour", "wrg"):
        imgs = vi_image(plaid.voltage[:20], plaid.current[:20], size=32, encoding=enc)
        assert np.isfinite(imgs).all() and imgs.min() >= 0 and imgs.max() <= 1


def test_plaid_binary_images_are_those_of_the_committed_benchmark(data_home):
    """benchmarks/results/finetune_plaid_vi.md was made with these exact pixels (SHA-256 of
    the (250, 32, 32) uint8 array computed with the earlier vi_binary_image)."""
    import hashlib

    from transferkit.datasets import load_plaid_subset

    plaid = load_plaid_subset(data_home)
    imgs = vi_image(plaid.voltage, plaid.current, size=32, encoding="binary")
    assert imgs.dtype == np.uint8 and imgs.shape == (250, 32, 32)
    assert hashlib.sha256(imgs.tobytes()).hexdigest().startswith("128b89db3f34a53c")
