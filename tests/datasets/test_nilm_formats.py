"""PLAID (CSV + metadata JSON) and WHITED (FLAC + naming convention) readers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.datasets import (
    WHITED_CALIBRATION,
    NilmFileError,
    parse_whited_name,
    read_plaid,
    read_plaid_metadata,
    read_whited,
)
from transferkit.nilm import steady_cycles, vi_image

FS = 30_000
T = np.arange(3000) / FS
W = 2 * np.pi * 60 * T


def _plaid_entry(kind, house, when="July, 2013", rate="30000Hz"):
    return {
        "appliance": {"type": kind, "brand": "b", "status": "off-on"},
        "location": house,
        "header": {"collection_time": when, "sampling_frequency": rate},
        "instances": {"length": "0.10s"},
    }


@pytest.fixture
def plaid_dir(tmp_path):
    np.savetxt(tmp_path / "1.csv", np.c_[2.0 * np.sin(W), 170 * np.sin(W)], delimiter=",")
    np.savetxt(tmp_path / "2.csv", np.c_[0.5 * np.sin(W - 1.2), 170 * np.sin(W)], delimiter=",")
    np.savetxt(tmp_path / "10.csv", np.c_[np.sign(np.sin(W)), 170 * np.sin(W)], delimiter=",")
    meta = {
        "10": _plaid_entry("Laptop", "house2", "December, 2014"),
        "1": _plaid_entry("Water kettle", "house1"),
        "2": _plaid_entry("Fridge", "house1"),
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    return tmp_path


def test_read_plaid(plaid_dir):
    ws = read_plaid(plaid_dir, plaid_dir / "meta.json")
    assert [r.instance for r in ws] == ["1", "2", "10"]  # numeric id order
    assert ws.labels.tolist() == ["Water kettle", "Fridge", "Laptop"]
    assert ws.houses.tolist() == ["July, 2013_house1", "July, 2013_house1", "December, 2014_house2"]
    kettle = ws[0]
    assert kettle.sampling_rate == 30_000 and kettle.mains_frequency == 60
    np.testing.assert_allclose(kettle.current, 2.0 * np.sin(W), atol=1e-12)  # column 0 is current
    np.testing.assert_allclose(kettle.voltage, 170 * np.sin(W), atol=1e-9)
    assert kettle.meta["file"] == "1.csv" and kettle.meta["brand"] == "b"
    # the resistive kettle draws the diagonal, the fridge lags (a loop)
    v, i = steady_cycles(kettle, n_points=100)
    assert vi_image(v, i, size=16)[::-1].diagonal().all()
    some = read_plaid(plaid_dir, plaid_dir / "meta.json", ids=[2], last_samples=1000)
    assert len(some) == 1 and some[0].label == "Fridge" and some[0].n_samples == 1000


def test_read_plaid_2014_list_layout(plaid_dir):
    meta = [{"id": 2, "meta": _plaid_entry("Fridge", "house9")}]
    ws = read_plaid(plaid_dir, meta)
    assert len(ws) == 1 and ws[0].house == "July, 2013_house9"


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("1.0,2.0\n3.0\n", r"line 2: expected two comma-separated numbers"),
        ("current,voltage\n1.0,2.0\n", r"line 1"),
        ("1.0,2.0,3.0\n", r"line 1"),
        ("1.0,2.0\n", "at least 2 rows"),
        ("1.0,nan\n2.0,3.0\n", "NaN or infinite"),
        ("", "at least 2 rows"),
        ("1.0;2.0\n3.0;4.0\n", r"line 1: expected two comma-separated numbers"),
    ],
)
def test_malformed_plaid_csv(plaid_dir, content, match):
    (plaid_dir / "1.csv").write_text(content)
    with pytest.raises(NilmFileError, match=match):
        read_plaid(plaid_dir, plaid_dir / "meta.json", ids=["1"])


def test_malformed_plaid_metadata(plaid_dir, tmp_path):
    bad = plaid_dir / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(NilmFileError, match="not valid JSON"):
        read_plaid_metadata(bad)
    with pytest.raises(NilmFileError, match="does not exist"):
        read_plaid_metadata(plaid_dir / "missing.json")
    entry = _plaid_entry("Fan", "house1")
    del entry["location"]
    with pytest.raises(NilmFileError, match=r"id 7: missing field 'location'"):
        read_plaid_metadata({"7": entry})
    with pytest.raises(NilmFileError, match="not a frequency"):
        read_plaid_metadata({"7": _plaid_entry("Fan", "house1", rate="fast")})
    with pytest.raises(NilmFileError, match="2014 layout"):
        read_plaid_metadata([{"meta": {}}])
    with pytest.raises(NilmFileError, match="not in the PLAID metadata"):
        read_plaid(plaid_dir, plaid_dir / "meta.json", ids=[99])
    (plaid_dir / "2.csv").unlink()
    with pytest.raises(NilmFileError, match=r"2\.csv does not exist"):
        read_plaid(plaid_dir, plaid_dir / "meta.json")


def test_plaid_2018_metadata_houses(data_home):
    from transferkit.datasets import load_plaid_metadata

    meta = load_plaid_metadata(data_home)
    assert len(meta.ids) == 1876 and len(set(meta.houses.tolist())) == 65
    types, counts = np.unique(meta.labels, return_counts=True)
    assert dict(zip(types.tolist(), counts.tolist(), strict=True))["Hairdryer"] == 246
    assert set(meta.sampling_rates.tolist()) == {30_000.0}


# ---------------------------------------------------------------- WHITED ---------------


def _write_whited(path, voltage, current, rate=44_100):
    import soundfile as sf

    sf.write(str(path), np.c_[voltage, current], rate, format="FLAC", subtype="PCM_24")


@pytest.fixture
def whited_dir(tmp_path):
    t = np.arange(44_100 // 5) / 44_100  # 0.2 s = 10 cycles at 50 Hz
    w = 2 * np.pi * 50 * t
    _write_whited(
        tmp_path / "Kettle_Severin_R1_MK2_20151001121314.flac", 0.8 * np.sin(w), 0.5 * np.sin(w)
    )
    _write_whited(
        tmp_path / "Fridge_Bosch_KGV_r3_MK1_20151002080000.flac",
        0.8 * np.sin(w),
        0.2 * np.sin(w - 1.0),
    )
    (tmp_path / "readme.txt").write_text("not a recording")
    return tmp_path


def test_parse_whited_name():
    n = parse_whited_name("Fridge_Bosch_KGV_r3_MK1_20151002080000.flac")
    assert (n.appliance_type, n.model, n.region, n.kit, n.timestamp) == (
        "Fridge", "Bosch_KGV", "R3", "MK1", "20151002080000"
    )  # fmt: skip
    for bad in ("Kettle_Severin_MK2_20151001121314.flac", "Kettle_R1_MK2_2015.flac", "x.wav"):
        with pytest.raises(NilmFileError, match="naming convention"):
            parse_whited_name(bad)


def test_read_whited(whited_dir):
    ws = read_whited(whited_dir, calibration=None)
    assert ws.labels.tolist() == ["Fridge", "Kettle"]  # sorted file names
    fridge, kettle = ws
    assert kettle.sampling_rate == 44_100 and kettle.mains_frequency == 50
    assert kettle.instance == "Kettle_Severin" and kettle.house is None
    assert (
        kettle.meta["region"] == "R1"
        and kettle.meta["kit"] == "MK2"
        and not kettle.meta["calibrated"]
    )
    t = np.arange(kettle.n_samples) / 44_100
    np.testing.assert_allclose(
        kettle.voltage, 0.8 * np.sin(2 * np.pi * 50 * t), atol=1e-6
    )  # channel 0
    np.testing.assert_allclose(
        kettle.current, 0.5 * np.sin(2 * np.pi * 50 * t), atol=1e-6
    )  # channel 1
    cal = read_whited(whited_dir, calibration={"MK1": (1000.0, 50.0), "MK2": (400.0, 10.0)})
    np.testing.assert_allclose(cal[1].voltage, 400.0 * kettle.voltage)
    np.testing.assert_allclose(cal[0].current, 50.0 * fridge.current)
    assert cal[0].meta["calibrated"]
    assert read_whited(whited_dir, max_samples=1000)[0].n_samples == 1000


def test_read_whited_applies_the_published_kit_factors_by_default(tmp_path):
    """WHITED as published: full-scale FLAC samples times the README's factor per kit."""
    assert WHITED_CALIBRATION == {
        "MK1": (1033.64, 61.4835),
        "MK2": (861.15, 60.200),
        "MK3": (988.926, 60.9562),
    }
    t = np.arange(44_100 // 5) / 44_100
    w = 2 * np.pi * 50 * t
    # a 230 V rms, 4 A rms kettle recorded with each kit: full scale = value / factor
    for kit, (a_v, a_i) in WHITED_CALIBRATION.items():
        v, i = 230 * np.sqrt(2) * np.sin(w), 4 * np.sqrt(2) * np.sin(w)
        _write_whited(tmp_path / f"Kettle_Severin_R1_{kit}_20151001121314.flac", v / a_v, i / a_i)
    ws = read_whited(tmp_path)
    raw = read_whited(tmp_path, calibration=None)
    assert [r.meta["kit"] for r in ws] == ["MK1", "MK2", "MK3"]
    for rec, r0 in zip(ws, raw, strict=True):
        a_v, a_i = WHITED_CALIBRATION[rec.meta["kit"]]
        assert rec.meta["calibrated"] and not r0.meta["calibrated"]
        np.testing.assert_allclose(rec.voltage, a_v * r0.voltage)
        np.testing.assert_allclose(rec.current, a_i * r0.current)
        # volts and amperes: the rms values written (24-bit FLAC, so to 0.01 %)
        assert np.sqrt(np.mean(rec.voltage**2)) == pytest.approx(230, rel=1e-4)
        assert np.sqrt(np.mean(rec.current**2)) == pytest.approx(4, rel=1e-4)
    assert read_whited(tmp_path, calibration="published")[0].voltage.max() == pytest.approx(
        ws[0].voltage.max()
    )
    (tmp_path / "Kettle_Severin_R1_MK4_20151001121314.flac").write_bytes(
        (tmp_path / "Kettle_Severin_R1_MK1_20151001121314.flac").read_bytes()
    )
    with pytest.raises(NilmFileError, match=r"kit MK4.*calibration=None"):
        read_whited(tmp_path)
    assert len(read_whited(tmp_path, calibration=None)) == 4
    with pytest.raises(TransferKitInputError, match="calibration must be 'published'"):
        read_whited(tmp_path, calibration="README")
    with pytest.raises(TransferKitInputError, match="calibration must be"):
        read_whited(tmp_path, calibration=1.0)


def test_malformed_whited(whited_dir, tmp_path):
    with pytest.raises(NilmFileError, match="does not list"):
        read_whited(whited_dir, calibration={"MK2": (1.0, 1.0)})
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NilmFileError, match=r"no \.flac"):
        read_whited(empty)
    (empty / "Kettle_X_R1_MK1_20151001121314.flac").write_bytes(b"not flac at all")
    with pytest.raises(NilmFileError, match="could not be read as FLAC"):
        read_whited(empty)
    mono = tmp_path / "mono"
    mono.mkdir()
    import soundfile as sf

    sf.write(
        str(mono / "Kettle_X_R1_MK1_20151001121314.flac"), np.zeros(1000), 44_100, format="FLAC"
    )
    with pytest.raises(NilmFileError, match="1 channel"):
        read_whited(mono)
    bad_name = tmp_path / "badname"
    bad_name.mkdir()
    _write_whited(bad_name / "kettle.flac", np.zeros(10), np.zeros(10))
    with pytest.raises(NilmFileError, match="naming convention"):
        read_whited(bad_name)


def test_read_whited_finds_the_mains_frequency_of_each_file(tmp_path):
    t = np.arange(44_100 // 4) / 44_100
    for f0, name in (
        (50, "Kettle_A_R1_MK1_20151001121314"),
        (60, "Kettle_B_R5_MK1_20151001121315"),
    ):
        w = 2 * np.pi * f0 * t - 0.3
        _write_whited(tmp_path / f"{name}.flac", 0.3 * np.sin(w), 0.05 * np.sin(w))
    ws = read_whited(tmp_path)
    assert [r.mains_frequency for r in ws] == [50.0, 60.0]
    # the 60 Hz record then gives its true cycle (not 6/5 of one)
    _, i = steady_cycles(ws[1], n_points=64, n_cycles=5)
    np.testing.assert_allclose(
        i / np.abs(i).max(), np.sin(2 * np.pi * np.arange(64) / 64), atol=0.02
    )
    assert [r.mains_frequency for r in read_whited(tmp_path, mains_frequency=50)] == [50.0] * 2
    with pytest.raises(TransferKitInputError, match="mains_frequency must be 'auto'"):
        read_whited(tmp_path, mains_frequency="50Hz")
    w = 2 * np.pi * 55 * t
    _write_whited(tmp_path / "Kettle_C_R1_MK1_20151001121316.flac", 0.3 * np.sin(w), np.sin(w))
    with pytest.raises(NilmFileError, match=r"55\.0 Hz, neither 50 nor 60"):
        read_whited(tmp_path)
    with pytest.raises(NilmFileError, match="too few to tell 50 from 60 Hz"):
        read_whited(tmp_path, max_samples=500)
    assert read_whited(tmp_path, max_samples=500, mains_frequency=50)[0].n_samples == 500
