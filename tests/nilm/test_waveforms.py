"""WaveformRecord and WaveformSet: validation, read-only copies, label and house arrays."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.nilm import WaveformRecord, WaveformSet

T = np.arange(1200) / 12_000.0
V = 170 * np.sin(2 * np.pi * 60 * T)
I = 2 * np.sin(2 * np.pi * 60 * T)  # noqa: E741


def test_record_copies_and_freezes_its_arrays():
    v = V.copy()
    rec = WaveformRecord(v, I, 12_000, 60, label="kettle", house="h1", instance=7)
    v[0] = 99.0
    assert rec.voltage[0] == 0.0  # a copy, not a view
    assert rec.voltage.dtype == np.float64 and not rec.voltage.flags.writeable
    with pytest.raises(ValueError):
        rec.current[0] = 1.0
    with pytest.raises(AttributeError):
        rec.label = "fridge"  # frozen
    assert rec.instance == "7" and rec.samples_per_cycle == 200.0 and rec.n_cycles == 6.0
    assert rec.duration == pytest.approx(0.1)


def test_record_equality_and_meta_is_read_only():
    a = WaveformRecord(V, I, 12_000, 60, meta={"brand": "x"})
    b = WaveformRecord(V.tolist(), I, 12_000.0, 60.0, meta={"brand": "x"})
    assert a == b and a != WaveformRecord(V, -I, 12_000, 60, meta={"brand": "x"})
    with pytest.raises(TypeError):
        a.meta["brand"] = "y"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"voltage": V[:-1]}, "same number of samples"),
        ({"voltage": np.stack([V, V])}, "must be 1-D"),
        ({"current": np.where(T > 0.05, np.nan, I)}, "NaN or infinite"),
        ({"current": ["a"] * V.size}, "array of numbers"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"sampling_rate": -5.0}, "sampling_rate"),
        ({"mains_frequency": float("inf")}, "mains_frequency"),
        ({"mains_frequency": "60"}, "mains_frequency"),
        ({"sampling_rate": 100.0}, "samples per mains cycle"),
        ({"label": 3.5}, "label"),
        ({"voltage": [1.0], "current": [1.0]}, "at least 2 samples"),
    ],
)
def test_record_errors(kwargs, match):
    args = {"voltage": V, "current": I, "sampling_rate": 12_000, "mains_frequency": 60}
    args.update(kwargs)
    with pytest.raises(TransferKitInputError, match=match):
        WaveformRecord(**args)


def test_set_arrays_subset_and_errors():
    recs = [
        WaveformRecord(V, a * I, 12_000, 60, label=lab, house=h)
        for a, lab, h in [(1, "kettle", "h1"), (2, "fridge", None), (3, "kettle", "h2")]
    ]
    ws = WaveformSet(recs, name="toy")
    assert ws.labels.tolist() == ["kettle", "fridge", "kettle"]
    assert ws.houses.tolist() == ["h1", "", "h2"]
    assert ws.class_names == ("fridge", "kettle") and ws.y.tolist() == [1, 0, 1]
    assert ws[1] is recs[1] and len(ws[1:]) == 2 and list(ws) == recs
    assert [r.current.max() for r in ws.subset([2, 0])] == [
        recs[2].current.max(),
        recs[0].current.max(),
    ]
    assert WaveformSet(recs[1:2]).houses is None
    assert "n_records=3" in repr(ws)
    with pytest.raises(TransferKitInputError, match="boolean mask"):
        ws.subset(np.array([True, False]))
    with pytest.raises(TransferKitInputError, match=r"records\[1\]"):
        WaveformSet([recs[0], V])
