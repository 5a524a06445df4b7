"""The appliance simulator: closed-form circuit results and the real subsets' signatures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from transferkit._validation import TransferKitInputError
from transferkit.datasets import load_hfhadc_subset, load_plaid_subset
from transferkit.nilm import steady_cycles_batch
from transferkit.nilm.signatures import cycle_signature, cycle_signatures
from transferkit.nilm.simulate import (
    APPLIANCES,
    COUNTRIES,
    ApplianceModel,
    load_current,
    mains_voltage,
    simulate_appliances,
    with_appliance,
)

M = 2048
THETA = 2 * np.pi * np.arange(M) / M
V230 = mains_voltage(THETA, 230.0)


def _sig(kind, power=100.0, v=V230, **params):
    i = load_current(kind, v, power, rated_voltage=230.0, mains_frequency=50.0, params=params)
    return cycle_signature(v, i), i


# ----------------------------------------------------------------- closed forms
def test_resistive_draws_its_rated_power_at_unit_power_factor():
    s, _ = _sig("resistive", 1500.0)
    assert s.power == pytest.approx(1500.0, rel=1e-9)
    assert s.power_factor == pytest.approx(1.0, abs=1e-12)
    assert s.crest_factor == pytest.approx(math.sqrt(2), rel=1e-6)


@pytest.mark.parametrize("pf", [0.5, 0.7, 0.95])
def test_linear_motor_has_its_displacement_power_factor_and_power(pf):
    s, _ = _sig("motor", 200.0, pf=pf)
    assert s.power_factor == pytest.approx(pf, abs=1e-9)
    assert s.power == pytest.approx(200.0, rel=1e-9)


def test_motor_reactance_scales_with_frequency():
    """The same motor (rated 60 Hz) lags less at 50 Hz: tan(phi) scales with f."""
    i = load_current(
        "motor",
        V230,
        200.0,
        rated_voltage=230.0,
        mains_frequency=50.0,
        rated_frequency=60.0,
        params={"pf": 0.6},
    )
    expected = math.cos(math.atan(math.tan(math.acos(0.6)) * 50 / 60))
    assert cycle_signature(V230, i).power_factor == pytest.approx(expected, abs=1e-9)


def test_motor_saturation_adds_in_phase_third_harmonic():
    s, _ = _sig("motor", 200.0, pf=1.0, saturation=0.1)
    # i = sin + a sin^5 with a = 0.1 * 16/5: I3/I1 = a(5/16) / (1 + a(10/16))
    a = 0.1 * 16 / 5
    assert s.harmonic(3) == pytest.approx(a * 5 / 16 / (1 + a * 10 / 16), rel=1e-6)
    assert s.crest_factor > math.sqrt(2)


@pytest.mark.parametrize("alpha", [0.0, np.pi / 4, np.pi / 2, 2 * np.pi / 3])
def test_dimmer_power_factor_is_the_closed_form(alpha):
    s, _ = _sig("dimmer", firing_angle=alpha)
    expected = math.sqrt(1 - alpha / np.pi + math.sin(2 * alpha) / (2 * np.pi))
    assert s.power_factor == pytest.approx(expected, abs=2e-3)  # grid of 2048 points


def test_half_wave_has_the_rectified_sine_spectrum():
    s, i = _sig("half_wave", polarity=-1.0)
    assert s.harmonic(2) == pytest.approx(4 / (3 * np.pi), rel=1e-3)
    assert s.crest_factor == pytest.approx(2.0, rel=1e-3)
    assert s.power_factor == pytest.approx(math.sqrt(2) / 2, rel=1e-3)
    assert i.max() <= 0  # only negative half-cycles conduct


def test_smps_power_balance_and_peaky_current():
    """With a tiny series resistance the bridge delivers the load power; the current
    flows only near the voltage peaks."""
    s, i = _sig("smps", 60.0, ripple=0.03, series_r=0.002)
    assert s.power == pytest.approx(60.0, rel=0.05)
    assert s.crest_factor > 2.5 and s.harmonic(3) > 0.6
    assert np.all(i[np.abs(V230) < 0.7 * np.abs(V230).max()] == 0)  # no conduction off-peak
    assert s.harmonic(2) < 1e-3  # half-wave symmetric: no even harmonics


def test_smps_choke_widens_conduction():
    bare, _ = _sig("smps", 60.0, ripple=0.03, series_r=0.01)
    choke, _ = _sig("smps", 60.0, ripple=0.03, series_r=0.01, choke=0.3)
    assert choke.power_factor > bare.power_factor + 0.1
    assert choke.crest_factor < bare.crest_factor


def test_pfc_follows_the_voltage():
    s, _ = _sig("pfc", 1000.0, dead_band=0.0)
    assert s.power_factor == pytest.approx(1.0, abs=1e-12)


def test_voltage_distortion_shapes_the_crest_factor():
    flat = mains_voltage(THETA, 220.0, (0.0, -0.02))
    peaky = mains_voltage(THETA, 120.0, (0.0, 0.02))
    crest = lambda v: np.abs(v).max() / np.sqrt(np.mean(v**2))  # noqa: E731
    assert crest(flat) < math.sqrt(2) < crest(peaky)


# ----------------------------------------------------------------- records and domains
def test_records_are_reproducible_and_carry_their_domain():
    a = simulate_appliances("US", n_houses=2, records_per_appliance=2, random_state=3)
    b = simulate_appliances("US", n_houses=2, records_per_appliance=2, random_state=3)
    assert len(a) == 2 * 2 * len(APPLIANCES)
    for r, s in zip(a, b, strict=True):
        np.testing.assert_array_equal(r.current, s.current)
    r = a[0]
    assert (r.mains_frequency, r.sampling_rate) == (60.0, 30_000.0)
    assert len(r.current) == int(0.5 * 30_000)
    assert {x.house for x in a} == {"US-0", "US-1"}
    assert r.meta["country"] == "US" and r.meta["kind"] == COUNTRIES["US"].appliances[r.label].kind
    c = simulate_appliances("US", n_houses=2, records_per_appliance=2, random_state=4)
    assert not np.array_equal(a[0].current, c[0].current)


def test_appliance_is_off_before_turn_on_and_motor_inrush_decays():
    recs = simulate_appliances(
        "US", n_houses=1, records_per_appliance=1, appliances=["fridge"], random_state=0
    )
    r = recs[0]
    n = int(r.sampling_rate / r.mains_frequency)
    on = int(r.meta["turn_on"] * r.sampling_rate)
    before = r.current[:on]
    assert np.abs(before).max() < 6 * COUNTRIES["US"].current_noise
    first = np.abs(r.current[on : on + n]).max()
    last = np.abs(r.current[-n:]).max()
    assert first > 3 * last  # inrush 5-8x, decaying within 0.05 s


def test_houses_differ_in_voltage_and_instances():
    recs = simulate_appliances(
        "CN", n_houses=3, records_per_appliance=1, appliances=["kettle"], random_state=0
    )
    assert len({round(r.meta["voltage_rms"], 3) for r in recs}) == 3
    assert len({round(r.meta["power"], 1) for r in recs}) == 3


def test_grid_overrides_and_custom_country():
    recs = simulate_appliances(
        "US",
        n_houses=1,
        records_per_appliance=1,
        appliances=["kettle"],
        mains_frequency=50.0,
        sampling_rate=10_000.0,
        duration=0.2,
        random_state=0,
    )
    assert recs[0].mains_frequency == 50.0 and len(recs[0].voltage) == 2000
    heater = ApplianceModel("resistive", (1000.0, 1000.0))
    cn = with_appliance(COUNTRIES["CN"], "heater", heater)
    recs = simulate_appliances(cn, n_houses=1, records_per_appliance=1, appliances=["heater"])
    assert recs[0].label == "heater"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"country": "FR"}, "country='FR' is unknown"),
        ({"country": 3}, "country must be"),
        ({"appliances": ["toaster"]}, "not sold in 'US'"),
        ({"turn_on": 1.0, "duration": 0.5}, "turn_on=1.0 must be earlier"),
        ({"n_houses": 0}, "n_houses"),
    ],
)
def test_errors_name_the_argument(kwargs, match):
    with pytest.raises(TransferKitInputError, match=match):
        simulate_appliances(**kwargs)


def test_model_errors():
    with pytest.raises(TransferKitInputError, match="not a load type"):
        ApplianceModel("nuclear", (1.0, 2.0))
    with pytest.raises(TransferKitInputError, match=r"\['pf'\] do not apply"):
        ApplianceModel("resistive", (1.0, 2.0), {"pf": (0.5, 0.6)})
    with pytest.raises(TransferKitInputError, match="pf must be in"):
        load_current(
            "motor", V230, 1.0, rated_voltage=230.0, mains_frequency=50.0, params={"pf": 0}
        )


# ----------------------------------------------------------------- the real subsets
# Tolerances on the medians per class: power factor 0.06, I3/I1 0.10, crest factor 0.25.
TOL = {"pf": 0.06, "h3": 0.10, "cf": 0.25, "h2": 0.10}

# simulator class -> (name in the real subset, signatures compared)
PLAID_SHARED = {
    "kettle": ("Water kettle", ("pf", "h3", "cf")),
    "fridge": ("Fridge", ("pf", "h3", "cf")),
    "fan": ("Fan", ("pf", "h3", "cf")),
    "air_conditioner": ("AC", ("pf", "h3", "cf")),
    "cfl": ("CFL", ("pf", "h3", "cf")),
    "vacuum": ("Vacuum", ("pf", "h3", "cf")),
    # PLAID's hair-iron row is one cycle after switch-on through an AC-coupled sensor: its
    # DC (hence PF and crest factor) is a transient, but the even harmonic is the diode's.
    "hair_iron": ("HairIron", ("h2",)),
}
HFHADC_SHARED = {
    "kettle": ("electric_kettle", ("pf", "h3", "cf")),
    "fridge": ("fridge", ("pf", "h3", "cf")),
    "air_conditioner": ("air_conditioner", ("pf", "h3", "cf")),
    "laptop": ("laptop", ("pf", "h3", "cf")),
}


def _medians(signatures) -> dict[str, float]:
    return {
        "pf": float(np.median([s.power_factor for s in signatures])),
        "h2": float(np.median([s.harmonic(2) for s in signatures])),
        "h3": float(np.median([s.harmonic(3) for s in signatures])),
        "cf": float(np.median([s.crest_factor for s in signatures])),
    }


def _simulated(country: str) -> dict[str, dict[str, float]]:
    """Median signatures per class of one averaged steady cycle (5 cycles, 256 points)."""
    recs = simulate_appliances(country, n_houses=6, records_per_appliance=2, random_state=0)
    out = {}
    for name in APPLIANCES:
        V, I = steady_cycles_batch([r for r in recs if r.label == name], n_points=256, n_cycles=5)  # noqa: E741
        out[name] = _medians(cycle_signatures(V, I))
    return out


def _compare(sim, real, shared):
    bad = []
    for cls, (real_name, keys) in shared.items():
        for key in keys:
            if abs(sim[cls][key] - real[real_name][key]) > TOL[key]:
                bad.append(
                    f"{cls}.{key}: simulated {sim[cls][key]:.3f}, real {real[real_name][key]:.3f}"
                )
    return bad


def test_us_classes_show_plaid_signatures():
    """Off events: the appliance's own steady current just before it switches off."""
    plaid = load_plaid_subset()
    real = {}
    for c, name in enumerate(plaid.class_names):
        rows = (plaid.labels == c) & (plaid.on_events == 0)
        real[name] = _medians(cycle_signatures(plaid.voltage[rows], plaid.current[rows]))
    assert _compare(_simulated("US"), real, PLAID_SHARED) == []


def test_cn_classes_show_hfhadc_signatures():
    """Ten steady cycles (1 s to 1.2 s into each 3 s recording), averaged."""
    data = load_hfhadc_subset()
    n = int(data.sampling_rate_hz / data.mains_hz)
    window = slice(50 * n, 60 * n)
    V = data.voltage[:, window].reshape(len(data.labels), 10, n).mean(1)
    I = data.current[:, window].reshape(len(data.labels), 10, n).mean(1)  # noqa: E741
    real = {
        name: _medians(cycle_signatures(V[data.labels == c], I[data.labels == c]))
        for c, name in enumerate(data.class_names)
    }
    assert _compare(_simulated("CN"), real, HFHADC_SHARED) == []


def test_the_countries_differ_where_the_real_data_differ():
    """The fridge's power factor and the air conditioner's circuit are the domain shift."""
    us, cn = _simulated("US"), _simulated("CN")
    assert us["fridge"]["pf"] - cn["fridge"]["pf"] > 0.2
    assert cn["laptop"]["cf"] < us["laptop"]["cf"] - 0.5
