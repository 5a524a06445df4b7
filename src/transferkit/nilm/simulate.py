r"""A physically grounded simulator of appliance voltage and current waveforms.

Every appliance is one of six electrical load types; its current is computed from the
mains voltage by the circuit that defines the type (one steady mains cycle on a fine
grid of :math:`M` points, :math:`\theta = \omega t`, then repeated and sampled):

``"resistive"`` (kettles, heaters, incandescent lamps)
    :math:`i = v / R` with :math:`R = V_n^2 / P` (:math:`V_n`: the rated voltage).
``"motor"`` (induction and universal motors: fridges, fans, vacuum cleaners)
    A series :math:`R`-:math:`L` branch whose displacement power factor at the rated
    frequency is ``pf``, applied to every voltage harmonic :math:`h` as
    :math:`I_h = V_h / (R + j h \omega L)`. The iron saturates near the current peaks
    (the field flux follows the current), which lowers the inductance there and peaks
    the current: :math:`i = i_{lin} + k\,\hat\imath^5` with
    :math:`\hat\imath = i_{lin} / \max|i_{lin}|` (odd harmonics in phase with the
    current; ``saturation`` is the 3rd harmonic of the added term relative to the rated
    fundamental). At switch-on the current envelope starts at ``inrush`` times its
    steady value and decays as :math:`e^{-t/\tau}`.
``"smps"`` (switch-mode supplies: laptop chargers, compact fluorescent lamps)
    A diode bridge charging a smoothing capacitor :math:`C` through a series
    resistance :math:`R_s`, discharged by a constant-power load :math:`P`:
    :math:`C\,dV_c/dt = \max(|v| - V_c, 0)/R_s - P/V_c`. The line current flows only
    near the voltage peaks (odd harmonics, crest factor :math:`\gg \sqrt 2`). The
    dimensionless ``ripple`` :math:`= P / (\omega C V_{pk}^2)` sets :math:`C` and
    ``series_r`` :math:`= R_s P / V_n^2` sets :math:`R_s`. A passive-PFC choke
    :math:`L` in series (``choke`` :math:`= \omega L P / V_n^2`, 0 for none) widens the
    conduction and raises the power factor (then :math:`L\,di/dt = |v| - V_c - R_s i`,
    :math:`i \ge 0`). An EMI capacitor across the line adds a leading current of
    ``x_cap`` times the fundamental.
``"pfc"`` (active power-factor correction: inverter air conditioners)
    The converter emulates a resistance, :math:`i = G v`, except in a dead band
    :math:`|v| < \delta V_{pk}` around the zero crossings.
``"dimmer"`` (phase-angle triac dimmer + lamp)
    :math:`i = v / R` once the phase within each half-cycle passes the firing angle
    :math:`\alpha`; the power factor is
    :math:`\sqrt{1 - \alpha/\pi + \sin 2\alpha / (2\pi)}`.
``"half_wave"`` (a diode in series with a heater: hair irons and dryers on "low")
    :math:`i = v / R` during the half-cycles of one ``polarity`` only (plus ``other``
    times that current in the other half-cycles): even harmonics and a DC component
    (pure half-wave: :math:`I_2 / I_1 = 4/(3\pi) \approx 0.42`, crest factor 2).

The mains voltage of a house is
:math:`v = \sqrt2\, V_{rms}\,(\sin\theta + d_3 \sin 3\theta + d_5 \sin 5\theta)`
(flat-topped when :math:`d_5 < 0`, as in grids loaded by many rectifiers, as measured
in HFHAD-C; slightly peaked when :math:`d_5 > 0`, as measured in PLAID).

Domains. A :class:`Country` fixes the mains frequency, the nominal voltage, the
sampling rate, the typical voltage distortion and its own catalogue of appliance
*models* (parameter ranges per class: a Chinese fridge is not an American one). A
*house* draws its voltage level and distortion around the country's and owns one
instance of every appliance class, whose parameters are drawn from the model's ranges
(the per-instance spread); each record of that instance jitters its power slightly.
The two built-in countries, ``"US"`` (60 Hz, 120 V, 30 kHz as PLAID) and ``"CN"``
(50 Hz, 220 V, 6.4 kHz as HFHAD-C), are calibrated to the median power factor,
harmonic ratios and crest factor measured on the PLAID 2018 and HFHAD-C subsets
(``tests/nilm/test_simulate.py`` checks them against the real data).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_positive, check_random_state

__all__ = [
    "LOAD_KINDS",
    "ApplianceModel",
    "Country",
    "COUNTRIES",
    "APPLIANCES",
    "mains_voltage",
    "load_current",
    "simulate_appliances",
    "with_appliance",
]

#: The six load types of :func:`load_current` and the parameters each one reads.
LOAD_KINDS: dict[str, tuple[str, ...]] = {
    "resistive": (),
    "motor": ("pf", "saturation", "inrush", "inrush_tau"),
    "smps": ("ripple", "series_r", "choke", "x_cap"),
    "pfc": ("dead_band",),
    "dimmer": ("firing_angle",),
    "half_wave": ("polarity", "other"),
}

_GRID = 1024  # points per mains cycle of the fine grid


@dataclass(frozen=True)
class ApplianceModel:
    """Parameter ranges of one appliance model (one class in one country).

    Parameters
    ----------
    kind : str
        One of :data:`LOAD_KINDS`.
    power : (float, float)
        Range of the rated power in W; every instance draws log-uniformly from it.
    params : mapping of str to (float, float)
        Range of every parameter of ``kind`` (see the module docstring); each instance
        draws uniformly. A parameter missing from ``params`` takes its default.
    """

    kind: str
    power: tuple[float, float]
    params: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in LOAD_KINDS:
            raise TransferKitInputError(
                f"kind={self.kind!r} is not a load type; use one of {sorted(LOAD_KINDS)}."
            )
        unknown = set(self.params) - set(LOAD_KINDS[self.kind])
        if unknown:
            raise TransferKitInputError(
                f"parameters {sorted(unknown)} do not apply to a {self.kind!r} load; "
                f"it reads {list(LOAD_KINDS[self.kind])}."
            )
        lo, hi = self.power
        if not 0 < lo <= hi:
            raise TransferKitInputError(f"power must be a range 0 < low <= high; got {self.power}.")


@dataclass(frozen=True)
class Country:
    """A grid and its appliance market: one domain of the simulator.

    Parameters
    ----------
    name : str
    mains_frequency : float
        Hz.
    voltage_rms : float
        Nominal voltage (V rms); appliances are rated for it.
    sampling_rate : float
        Samples per second of the meters used there.
    distortion : (float, float)
        Mean relative 3rd and 5th voltage harmonics :math:`(d_3, d_5)` (signed).
    current_noise : float
        Standard deviation of the meter's current noise, A.
    current_resolution : float or None
        A per ADC count (quantisation), or None.
    appliances : mapping of str to ApplianceModel
        The appliance models sold there, by class name.
    """

    name: str
    mains_frequency: float
    voltage_rms: float
    sampling_rate: float
    distortion: tuple[float, float]
    current_noise: float
    current_resolution: float | None
    appliances: Mapping[str, ApplianceModel]


def _m(kind: str, power: tuple[float, float], **params: tuple[float, float]) -> ApplianceModel:
    return ApplianceModel(kind, power, params)


#: Appliance classes of the built-in countries (both countries sell every class).
APPLIANCES: tuple[str, ...] = (
    "kettle",
    "fridge",
    "fan",
    "air_conditioner",
    "laptop",
    "cfl",
    "hair_iron",
    "vacuum",
    "dimmed_lamp",
)

#: The built-in countries. ``"US"``: PLAID's grid and meter (60 Hz, 120 V, 30 kHz);
#: ``"CN"``: HFHAD-C's (50 Hz, 220 V, 6.4 kHz, 24 mA ADC steps). Ranges are calibrated
#: to the medians of the real subsets where the class is measured there.
COUNTRIES: dict[str, Country] = {
    "US": Country(
        name="US",
        mains_frequency=60.0,
        voltage_rms=120.0,
        sampling_rate=30_000.0,
        distortion=(0.0, 0.013),
        current_noise=0.003,
        current_resolution=None,
        appliances={
            "kettle": _m("resistive", (500.0, 1500.0)),
            "fridge": _m(
                "motor",
                (60.0, 150.0),
                pf=(0.96, 0.995),
                saturation=(0.04, 0.08),
                inrush=(5.0, 8.0),
                inrush_tau=(0.02, 0.05),
            ),
            "fan": _m(
                "motor",
                (30.0, 80.0),
                pf=(0.95, 0.99),
                saturation=(0.03, 0.07),
                inrush=(1.5, 2.5),
                inrush_tau=(0.02, 0.05),
            ),
            "air_conditioner": _m(
                "motor",
                (400.0, 1200.0),
                pf=(0.95, 0.99),
                saturation=(0.01, 0.03),
                inrush=(3.0, 5.0),
                inrush_tau=(0.02, 0.05),
            ),
            "laptop": _m("smps", (20.0, 60.0), ripple=(0.04, 0.08), series_r=(0.02, 0.04)),
            "cfl": _m(
                "smps",
                (8.0, 20.0),
                ripple=(0.01, 0.02),
                series_r=(0.008, 0.02),
                x_cap=(0.1, 0.2),
            ),
            "hair_iron": _m("half_wave", (40.0, 80.0), polarity=(-1.0, -1.0), other=(0.0, 0.02)),
            "vacuum": _m(
                "motor",
                (400.0, 1200.0),
                pf=(0.985, 1.0),
                saturation=(0.16, 0.22),
                inrush=(2.5, 4.0),
                inrush_tau=(0.02, 0.05),
            ),
            "dimmed_lamp": _m("dimmer", (40.0, 100.0), firing_angle=(0.3 * np.pi, 0.6 * np.pi)),
        },
    ),
    "CN": Country(
        name="CN",
        mains_frequency=50.0,
        voltage_rms=220.0,
        sampling_rate=6_400.0,
        distortion=(0.0, -0.02),
        current_noise=0.005,
        current_resolution=1.0 / 41.4738,
        appliances={
            "kettle": _m("resistive", (1000.0, 2200.0)),
            "fridge": _m(
                "motor",
                (50.0, 120.0),
                pf=(0.68, 0.76),
                saturation=(0.09, 0.13),
                inrush=(4.0, 7.0),
                inrush_tau=(0.02, 0.05),
            ),
            "fan": _m(
                "motor",
                (40.0, 100.0),
                pf=(0.85, 0.95),
                saturation=(0.02, 0.05),
                inrush=(1.5, 2.5),
                inrush_tau=(0.02, 0.05),
            ),
            "air_conditioner": _m("pfc", (600.0, 1500.0), dead_band=(0.02, 0.06)),
            "laptop": _m(
                "smps",
                (25.0, 65.0),
                ripple=(0.03, 0.06),
                series_r=(0.01, 0.02),
                choke=(0.2, 0.35),
                x_cap=(0.15, 0.25),
            ),
            "cfl": _m(
                "smps",
                (8.0, 20.0),
                ripple=(0.02, 0.05),
                series_r=(0.04, 0.08),
                x_cap=(0.02, 0.08),
            ),
            "hair_iron": _m("half_wave", (50.0, 100.0), polarity=(1.0, 1.0), other=(0.1, 0.3)),
            "vacuum": _m(
                "motor",
                (600.0, 1400.0),
                pf=(0.95, 0.99),
                saturation=(0.05, 0.12),
                inrush=(2.5, 4.0),
                inrush_tau=(0.02, 0.05),
            ),
            "dimmed_lamp": _m("dimmer", (25.0, 60.0), firing_angle=(0.2 * np.pi, 0.7 * np.pi)),
        },
    ),
}

_DEFAULTS = {
    "pf": 0.9,
    "saturation": 0.0,
    "inrush": 1.0,
    "inrush_tau": 0.05,
    "ripple": 0.05,
    "series_r": 0.03,
    "choke": 0.0,
    "x_cap": 0.0,
    "dead_band": 0.0,
    "firing_angle": 0.0,
    "polarity": 1.0,
    "other": 0.0,
}


def mains_voltage(
    theta: np.ndarray, voltage_rms: float, distortion: tuple[float, float] = (0.0, 0.0)
) -> np.ndarray:
    r"""Mains voltage :math:`\sqrt2 V_{rms}(\sin\theta + d_3\sin3\theta + d_5\sin5\theta)`.

    Examples
    --------
    >>> theta = np.linspace(0, 2 * np.pi, 1000, endpoint=False)
    >>> v = mains_voltage(theta, 230.0)
    >>> round(float(np.sqrt(np.mean(v ** 2))), 6)
    230.0
    """
    d3, d5 = distortion
    return (
        math.sqrt(2.0)
        * voltage_rms
        * (np.sin(theta) + d3 * np.sin(3 * theta) + d5 * np.sin(5 * theta))
    )


def _param(params: Mapping[str, float], name: str) -> float:
    return float(params.get(name, _DEFAULTS[name]))


def _motor(v: np.ndarray, P: float, Vn: float, f_ratio: float, p: Mapping[str, float]):
    pf = _param(p, "pf")
    if not 0.0 < pf <= 1.0:
        raise TransferKitInputError(f"a motor's pf must be in (0, 1]; got {pf}.")
    i1 = P / (Vn * pf)  # rated fundamental current, A rms
    phi = math.acos(pf)
    R, X = (Vn / i1) * math.cos(phi), (Vn / i1) * math.sin(phi) * f_ratio
    V = np.fft.rfft(v)
    h = np.arange(len(V))
    current = np.fft.irfft(V / (R + 1j * h * X), n=len(v))
    sat = _param(p, "saturation")
    if sat > 0:
        shape = current / max(np.abs(current).max(), np.finfo(float).tiny)
        # the 3rd harmonic of shape**5 is 5/16 of its amplitude
        current = current + sat * math.sqrt(2.0) * i1 * (16.0 / 5.0) * shape**5
    return current


def _smps(v: np.ndarray, P: float, Vn: float, f: float, p: Mapping[str, float]):
    vpk = math.sqrt(2.0) * Vn
    omega = 2 * math.pi * f
    C = P / (omega * _param(p, "ripple") * vpk**2)
    Rs = _param(p, "series_r") * Vn**2 / P
    choke = _param(p, "choke")
    L = choke * Vn**2 / (P * omega)
    dt = 1.0 / (f * len(v))
    floor = 0.05 * vpk  # the supply stops below this (no collapse of the bus)
    vc, il = 0.9 * np.abs(v).max(), 0.0
    out = np.empty_like(v)
    av = np.abs(v)
    for _cycle in range(12):  # converge to the periodic steady state
        for k in range(len(v)):
            load = P / max(vc, floor)
            if L > 0:
                # choke current (diodes block it from reversing), then the capacitor
                il = max(il + dt * (av[k] - vc - Rs * il) / L, 0.0)
                vc = vc + dt * (il - load) / C
                out[k] = il
                continue
            # implicit in the diode current, explicit in the load
            cand = (vc + dt / C * (av[k] / Rs - load)) / (1.0 + dt / (C * Rs))
            if cand < av[k]:
                vc = cand
                out[k] = (av[k] - vc) / Rs
            else:
                vc = vc - dt * load / C
                out[k] = 0.0
    current = np.sign(v) * out
    x_cap = _param(p, "x_cap")
    if x_cap > 0:
        V = np.fft.rfft(v)
        h = np.arange(len(V))
        i1 = math.sqrt(2.0) * P / Vn
        current += np.fft.irfft(1j * h * V, n=len(v)) / vpk * x_cap * i1
    return current


def load_current(
    kind: str,
    voltage: np.ndarray,
    power: float,
    *,
    rated_voltage: float,
    mains_frequency: float,
    rated_frequency: float | None = None,
    params: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Steady-state current of one load over one mains cycle of ``voltage``.

    Parameters
    ----------
    kind : str
        One of :data:`LOAD_KINDS`.
    voltage : ndarray of shape (m,)
        One mains cycle, starting at phase 0, sampled at ``m`` equally spaced points.
    power : float
        Rated power in W (at the rated voltage).
    rated_voltage : float
        V rms the appliance is built for.
    mains_frequency : float
        Hz of ``voltage``.
    rated_frequency : float, optional
        Hz the appliance is built for (default ``mains_frequency``): a motor's reactance
        and flux scale with their ratio.
    params : mapping, optional
        The kind's parameters (module docstring).

    Returns
    -------
    ndarray of shape (m,)
        Current in A.

    Examples
    --------
    A resistive 1 kW load at its rated 230 V draws 1 kW:

    >>> theta = np.linspace(0, 2 * np.pi, 512, endpoint=False)
    >>> v = mains_voltage(theta, 230.0)
    >>> i = load_current("resistive", v, 1000.0, rated_voltage=230.0, mains_frequency=50.0)
    >>> round(float(np.mean(v * i)), 6)
    1000.0
    """
    if kind not in LOAD_KINDS:
        raise TransferKitInputError(
            f"kind={kind!r} is not a load type; use one of {sorted(LOAD_KINDS)}."
        )
    check_positive("power", power)
    check_positive("rated_voltage", rated_voltage)
    check_positive("mains_frequency", mains_frequency)
    p = dict(params or {})
    v = np.asarray(voltage, dtype=np.float64)
    P, Vn, f = float(power), float(rated_voltage), float(mains_frequency)
    f_ratio = f / float(rated_frequency or f)
    R = Vn**2 / P
    theta = 2 * np.pi * np.arange(len(v)) / len(v)
    if kind == "resistive":
        return v / R
    if kind == "motor":
        return _motor(v, P, Vn, f_ratio, p)
    if kind == "smps":
        return _smps(v, P, Vn, f, p)
    if kind == "pfc":
        band = _param(p, "dead_band") * np.abs(v).max()
        return np.where(np.abs(v) < band, 0.0, v / R)
    if kind == "dimmer":
        alpha = _param(p, "firing_angle")
        return np.where(np.mod(theta, np.pi) >= alpha, v / R, 0.0)
    # half_wave
    polarity = 1.0 if _param(p, "polarity") >= 0 else -1.0
    on = polarity * v > 0
    return np.where(on, v / R, _param(p, "other") * v / R)


def _draw(model: ApplianceModel, rng: np.random.RandomState) -> tuple[float, dict[str, float]]:
    lo, hi = model.power
    power = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    params = {name: float(rng.uniform(*bounds)) for name, bounds in model.params.items()}
    return power, params


def _record(
    country: Country,
    model: ApplianceModel,
    power: float,
    params: dict[str, float],
    house_v: float,
    house_d: tuple[float, float],
    *,
    mains_frequency: float,
    sampling_rate: float,
    duration: float,
    turn_on: float,
    rng: np.random.RandomState,
) -> tuple[np.ndarray, np.ndarray]:
    grid = 2 * np.pi * np.arange(_GRID) / _GRID
    v_cycle = mains_voltage(grid, house_v, house_d)
    i_cycle = load_current(
        model.kind,
        v_cycle,
        power,
        rated_voltage=country.voltage_rms,
        mains_frequency=mains_frequency,
        rated_frequency=country.mains_frequency,
        params=params,
    )
    n = round(duration * sampling_rate)
    t = np.arange(n) / sampling_rate
    phase0 = rng.uniform(0, 2 * np.pi)
    pos = np.mod(2 * np.pi * mains_frequency * t + phase0, 2 * np.pi) / (2 * np.pi) * _GRID
    xp = np.arange(_GRID + 1)
    voltage = np.interp(pos, xp, np.append(v_cycle, v_cycle[0]))
    current = np.interp(pos, xp, np.append(i_cycle, i_cycle[0]))
    after = t >= turn_on
    envelope = np.where(after, 1.0, 0.0)
    if model.kind == "motor":
        inrush, tau = _param(params, "inrush"), _param(params, "inrush_tau")
        envelope = envelope * (1.0 + (inrush - 1.0) * np.exp(-np.maximum(t - turn_on, 0) / tau))
    current = current * envelope
    voltage = voltage + rng.normal(0.0, 1e-3 * house_v, n)
    current = current + rng.normal(0.0, country.current_noise, n)
    if country.current_resolution:
        current = np.round(current / country.current_resolution) * country.current_resolution
    return voltage, current


def simulate_appliances(
    country: str | Country = "US",
    *,
    n_houses: int = 4,
    records_per_appliance: int = 5,
    appliances: Sequence[str] | None = None,
    duration: float = 0.5,
    turn_on: float = 0.1,
    mains_frequency: float | None = None,
    voltage_rms: float | None = None,
    sampling_rate: float | None = None,
    house_offset: int = 0,
    random_state: Any = None,
) -> list:
    """Simulate switch-on records of appliances in the houses of one country.

    Every house draws its voltage level (nominal x N(1, 0.03)) and distortion
    (country's x U(0.5, 1.5)) and one instance of each appliance class from the
    country's models; every record of an instance jitters its power by +-3 % and starts
    at a random mains phase. The appliance is off until ``turn_on`` seconds, then on
    (motors with their inrush).

    Parameters
    ----------
    country : {"US", "CN"} or Country
        The domain (see :data:`COUNTRIES`).
    n_houses : int, default=4
    records_per_appliance : int, default=5
        Records per appliance instance (per house and class).
    appliances : sequence of str, optional
        Classes to simulate (default: all of the country's).
    duration, turn_on : float
        Record length and switch-on time, s.
    mains_frequency, voltage_rms, sampling_rate : float, optional
        Override the country's grid or meter (the appliances keep their ratings).
    house_offset : int, default=0
        First house id (to keep ids distinct across calls).
    random_state : int, RandomState or None

    Returns
    -------
    list of transferkit.nilm.waveforms.WaveformRecord
        ``label`` the class, ``house`` and ``instance`` ids, ``meta`` the country, the
        load type, power, parameters and switch-on time.

    Examples
    --------
    >>> recs = simulate_appliances("CN", n_houses=2, records_per_appliance=1,
    ...                            appliances=["kettle", "laptop"], random_state=0)
    >>> len(recs), recs[0].mains_frequency, recs[0].sampling_rate, recs[0].label
    (4, 50.0, 6400.0, 'kettle')
    """
    from transferkit.nilm.waveforms import WaveformRecord

    if isinstance(country, str):
        if country not in COUNTRIES:
            raise TransferKitInputError(
                f"country={country!r} is unknown; use one of {sorted(COUNTRIES)} or a Country."
            )
        country = COUNTRIES[country]
    elif not isinstance(country, Country):
        raise TransferKitInputError(
            f"country must be a name or a Country; got {type(country).__name__}."
        )
    check_positive("n_houses", n_houses, integer=True)
    check_positive("records_per_appliance", records_per_appliance, integer=True)
    check_positive("duration", duration)
    check_positive("turn_on", turn_on, strict=False)
    if turn_on >= duration:
        raise TransferKitInputError(
            f"turn_on={turn_on} must be earlier than duration={duration} (seconds)."
        )
    names = list(country.appliances) if appliances is None else list(appliances)
    missing = [a for a in names if a not in country.appliances]
    if missing:
        raise TransferKitInputError(
            f"appliances {missing} are not sold in {country.name!r}; choose from "
            f"{sorted(country.appliances)}."
        )
    f = float(mains_frequency or country.mains_frequency)
    fs = float(sampling_rate or country.sampling_rate)
    vn = float(voltage_rms or country.voltage_rms)
    for name, value in (("mains_frequency", f), ("sampling_rate", fs), ("voltage_rms", vn)):
        check_positive(name, value)
    rng = check_random_state(random_state)
    records = []
    instance = 0
    for h in range(int(n_houses)):
        house = house_offset + h
        house_v = vn * float(rng.normal(1.0, 0.03))
        d3, d5 = country.distortion
        house_d = (d3 * float(rng.uniform(0.5, 1.5)), d5 * float(rng.uniform(0.5, 1.5)))
        for name in names:
            model = country.appliances[name]
            power, params = _draw(model, rng)
            for _ in range(int(records_per_appliance)):
                p = power * float(rng.uniform(0.97, 1.03))
                voltage, current = _record(
                    country,
                    model,
                    p,
                    params,
                    house_v,
                    house_d,
                    mains_frequency=f,
                    sampling_rate=fs,
                    duration=float(duration),
                    turn_on=float(turn_on),
                    rng=rng,
                )
                meta = {
                    "country": country.name,
                    "kind": model.kind,
                    "power": p,
                    "params": dict(params),
                    "turn_on": float(turn_on),
                    "voltage_rms": house_v,
                }
                records.append(
                    WaveformRecord(
                        voltage=voltage,
                        current=current,
                        sampling_rate=fs,
                        mains_frequency=f,
                        label=name,
                        house=f"{country.name}-{house}",
                        instance=f"{country.name}-{house}-{name}",
                        meta=meta,
                    )
                )
            instance += 1
    return records


def with_appliance(country: Country, name: str, model: ApplianceModel) -> Country:
    """A copy of ``country`` whose catalogue has ``model`` for class ``name``.

    Examples
    --------
    >>> cn = with_appliance(COUNTRIES["CN"], "heater", ApplianceModel("resistive", (1e3, 2e3)))
    >>> "heater" in cn.appliances and "heater" not in COUNTRIES["CN"].appliances
    True
    """
    return replace(country, appliances={**country.appliances, name: model})
