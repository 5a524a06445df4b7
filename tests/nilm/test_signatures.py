"""Power factor, crest factor and harmonic ratios of steady cycles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.nilm.signatures import cycle_signature, cycle_signatures

T = np.linspace(0, 2 * np.pi, 600, endpoint=False)


def test_closed_forms():
    v = 170 * np.sin(T)
    square = np.where(np.arange(600) < 300, 1.0, -1.0)  # half-wave symmetric
    s = cycle_signature(v, square)
    assert s.power_factor == pytest.approx(2 * math.sqrt(2) / math.pi, rel=1e-3)  # 0.9003
    assert s.crest_factor == pytest.approx(1.0)
    assert s.harmonic(3) == pytest.approx(1 / 3, rel=1e-3) and s.harmonic(2) < 1e-9
    lag = cycle_signature(v, np.sin(T - 0.5))
    assert lag.power_factor == pytest.approx(math.cos(0.5), rel=1e-9)
    assert lag.power == pytest.approx(170 / 2 * math.cos(0.5), rel=1e-9)


def test_several_cycles_per_row_use_the_right_bins():
    t3 = np.linspace(0, 6 * np.pi, 1800, endpoint=False)
    i = np.sin(t3) + 0.2 * np.sin(3 * t3)
    s = cycle_signatures(np.sin(t3)[None], i[None], n_cycles=3)[0]
    assert s.harmonic(3) == pytest.approx(0.2, rel=1e-9)


def test_errors():
    with pytest.raises(TransferKitInputError, match="same shape"):
        cycle_signatures(np.zeros((2, 100)), np.zeros((2, 90)))
    with pytest.raises(TransferKitInputError, match="too few"):
        cycle_signatures(np.zeros((1, 8)), np.zeros((1, 8)))


def test_vi_features_blur_keeps_mass_and_spreads_it():
    from transferkit.nilm.features import vi_features

    X, images = vi_features(np.sin(T)[None], np.sin(T - 0.3)[None], size=16, blur=1.0)
    assert X.sum() == pytest.approx(images.sum(), rel=0.05)  # the blur moves ink, not adds
    assert (X > 0).sum() > (images > 0).sum()
    X0, _ = vi_features(np.sin(T)[None], np.sin(T - 0.3)[None], size=16, blur=0)
    np.testing.assert_array_equal(X0, images.reshape(1, -1))
