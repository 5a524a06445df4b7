"""Binary V-I trajectory images."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit.nilm import vi_binary_image

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
