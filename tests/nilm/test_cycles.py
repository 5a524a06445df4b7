"""Steady cycles: zero crossings, 50/60 Hz resampling, the steady window, averaging."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.nilm import (
    WaveformRecord,
    resample_cycles,
    rising_zero_crossings,
    steady_cycles,
    steady_cycles_batch,
)


def _sine_record(fs, f0, n_cycles, phase=0.3, amp=2.0, harmonic=0.0, **kw):
    t = np.arange(round(fs / f0 * n_cycles)) / fs
    w = 2 * np.pi * f0 * t + phase
    return WaveformRecord(
        230 * np.sqrt(2) * np.sin(w),
        amp * (np.sin(w - 0.4) + harmonic * np.sin(3 * w)),
        fs,
        f0,
        **kw,
    )


def test_crossings_are_interpolated_and_debounced():
    # zero-mean ramp pieces: -1.5, -0.5 | 0.5 ... crosses between samples 1 and 2, at 1.5
    v = np.array([-1.5, -0.5, 0.5, 1.5, -1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(rising_zero_crossings(v, 4, 1), [1.5, 5.5])
    # chatter closer than half a cycle to the previous crossing is dropped
    chatter = np.array([-1.0, 0.5, -0.1, 0.6, 1.0, 0.2, -0.8, -1.0, -0.4] * 1)
    t = rising_zero_crossings(chatter - chatter.mean() + chatter.mean(), 8, 1)
    assert t.size == 1
    # a row cut just after a crossing keeps that crossing (less than a sample before)
    k = np.arange(100)
    assert rising_zero_crossings(np.sin(2 * np.pi * (k + 0.3) / 100), 100, 1)[0] == pytest.approx(
        -0.3, abs=1e-3
    )


def test_50_and_60_hz_give_the_same_cycle():
    """The same load at 50 Hz (6.4 kHz) and 60 Hz (10 kHz, 166.7 samples a cycle)."""
    v50, i50 = steady_cycles(_sine_record(6400, 50, 20, harmonic=0.2), n_points=128)
    v60, i60 = steady_cycles(_sine_record(10_000, 60, 20, harmonic=0.2), n_points=128)
    j = np.arange(128) / 128
    expect = 2 * (np.sin(2 * np.pi * j - 0.4) + 0.2 * np.sin(6 * np.pi * j))
    np.testing.assert_allclose(i50, expect, atol=2e-3)
    np.testing.assert_allclose(i60, expect, atol=2e-3)
    np.testing.assert_allclose(v50 / v50.max(), v60 / v60.max(), atol=1e-3)
    assert abs(v50[0]) < 1.0 and v50[1] > 0  # starts at a rising zero crossing


def test_resampling_is_within_the_linear_interpolation_bound():
    # 128 samples per cycle: error of a unit sine below (pi / 128)^2 / 2
    _, i = steady_cycles(_sine_record(6400, 50, 12, amp=1.0, phase=0.0), n_points=1000)
    j = np.arange(1000) / 1000
    assert np.abs(i - np.sin(2 * np.pi * j - 0.4)).max() < (np.pi / 128) ** 2 / 2


def test_steady_window_skips_the_inrush_and_averages_noise(rng):
    fs, f0 = 6400, 50
    t = np.arange(128 * 40) / fs
    w = 2 * np.pi * f0 * t
    envelope = np.where(t < 0.1, 0.0, 1.0 + 4.0 * np.exp(-(t - 0.1) / 0.03))  # on at cycle 5
    noise = rng.normal(scale=0.05, size=t.size)
    rec = WaveformRecord(325 * np.sin(w), envelope * np.sin(w) + noise, fs, f0)
    _, i, info = steady_cycles(rec, n_points=128, n_cycles=8, tolerance=0.02, return_info=True)
    assert info.onset == 5 and info.steady and info.start > 5 + 2
    # the averaged cycle is the steady one: amplitude 1 +- (decay) +- noise / sqrt(8)
    decayed = 4.0 * np.exp(-(info.start_time - 0.1) / 0.03)
    assert decayed < 0.03
    np.testing.assert_allclose(i, np.sin(2 * np.pi * np.arange(128) / 128), atol=0.1)
    # averaging 8 cycles shrinks the noise about sqrt(8)-fold
    single = steady_cycles(rec, n_points=128, n_cycles=1, skip_cycles=30)[1]
    resid_8 = np.std(i - np.sin(2 * np.pi * np.arange(128) / 128))
    resid_1 = np.std(single - np.sin(2 * np.pi * np.arange(128) / 128))
    assert resid_8 < 0.6 * resid_1


def test_short_records_use_their_last_cycles():
    rec = _sine_record(6400, 50, 3)  # the first crossing is at 121.9 of 384 samples
    _, _, info = steady_cycles(rec, n_cycles=10, return_info=True)
    assert info.n_cycles_found == 2 and info.n_averaged == 2 and info.start == 0
    assert info.start_time * 6400 == pytest.approx(128 * (1 - 0.3 / (2 * np.pi)), abs=1e-2)


def test_one_cycle_row_cut_at_a_crossing_is_returned_as_is():
    n = 500
    k = np.arange(n)
    v = 170 * np.sin(2 * np.pi * k / n)
    i = 3 * np.sin(2 * np.pi * k / n - 1.0)
    vc, ic = steady_cycles(WaveformRecord(v, i, 30_000, 60), n_points=n, n_cycles=1)
    np.testing.assert_allclose(vc, v, atol=1e-9)
    np.testing.assert_allclose(ic, i, atol=1e-9)


def test_batch_matches_single_and_errors_name_the_record():
    recs = [_sine_record(6400, 50, 12), _sine_record(30_000, 60, 12, amp=5.0)]
    V, I = steady_cycles_batch(recs, n_points=64, n_cycles=4)  # noqa: E741
    v1, i1 = steady_cycles(recs[1], n_points=64, n_cycles=4)
    np.testing.assert_array_equal(V[1], v1)
    np.testing.assert_array_equal(I[1], i1)
    wrong = WaveformRecord(recs[0].voltage, recs[0].current, 6400, 60)  # claims 60 Hz
    with pytest.raises(TransferKitInputError, match=r"records\[1\].*mains_frequency"):
        steady_cycles_batch([recs[0], wrong], n_cycles=2)
    with pytest.raises(TransferKitInputError, match="WaveformRecord"):
        steady_cycles(np.zeros(10))
    with pytest.raises(TransferKitInputError, match="on_fraction"):
        steady_cycles(recs[0], on_fraction=0)
    with pytest.raises(TransferKitInputError, match="n_points"):
        steady_cycles(recs[0], n_points=2)
    with pytest.raises(TransferKitInputError, match="return_info"):
        steady_cycles_batch(recs, return_info=True)


def test_flat_voltage_is_a_clear_error():
    rec = WaveformRecord(np.zeros(1000), np.ones(1000), 6400, 50)
    with pytest.raises(TransferKitInputError, match="no full mains cycle"):
        steady_cycles(rec)


def test_resample_cycles_wraps_and_keeps_input():
    x = np.stack(
        [np.sin(2 * np.pi * np.arange(500) / 500), np.cos(2 * np.pi * np.arange(500) / 500)]
    )
    before = x.copy()
    y = resample_cycles(x, 100)
    j = np.arange(100) / 100
    np.testing.assert_allclose(
        y, np.stack([np.sin(2 * np.pi * j), np.cos(2 * np.pi * j)]), atol=1e-4
    )
    np.testing.assert_array_equal(x, before)
    # 128 -> 500: interpolated between the last sample and the first (wrap)
    z = resample_cycles(np.sin(2 * np.pi * np.arange(128) / 128), 500)
    np.testing.assert_allclose(z, np.sin(2 * np.pi * np.arange(500) / 500), atol=2e-3)


def test_real_subsets_give_steady_cycles(data_home):
    from transferkit.datasets import load_hfhadc_subset, load_plaid_subset

    h = load_hfhadc_subset(data_home)
    recs = [
        WaveformRecord(h.voltage[k], h.current[k], h.sampling_rate_hz, h.mains_hz)
        for k in range(0, 240, 20)
    ]
    infos = [steady_cycles(r, n_points=128, return_info=True)[2] for r in recs]
    assert all(i.n_cycles_found >= 149 for i in infos)  # 3 s at 50 Hz
    p = load_plaid_subset(data_home)
    _, I = steady_cycles_batch(  # noqa: E741
        [WaveformRecord(p.voltage[k], p.current[k], 30_000, 60) for k in range(250)],
        n_points=500,
        n_cycles=1,
    )
    # one cycle per row, re-read from its interpolated crossing: the same waveform
    corr = [np.corrcoef(I[k], p.current[k])[0, 1] for k in range(250)]
    assert np.median(corr) > 0.99
