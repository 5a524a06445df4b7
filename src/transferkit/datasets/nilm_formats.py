"""Readers of the published NILM waveform formats: PLAID (CSV + JSON) and WHITED (FLAC).

Both return a :class:`~transferkit.nilm.WaveformSet` of
:class:`~transferkit.nilm.WaveformRecord` s with labels as the data set publishes them
(make them canonical with :mod:`transferkit.nilm.labels`).

**PLAID** (Gao et al., BuildSys 2014; Medico et al., Scientific Data 7:49, 2020): one CSV
file per recording, ``<id>.csv``, two comma-separated columns **current (A), voltage (V)**
and no header, sampled at 30 kHz on 60 Hz mains (Pittsburgh, USA); and a metadata JSON.
PLAID 2018's ``metadata_submetered.json`` maps each id (``"1"``..``"1876"``) to
``{"appliance": {"type": ..., ...}, "header": {"collection_time": ...,
"sampling_frequency": "30000Hz"}, "location": "houseN", ...}``; the 2014 release's
``meta1.json`` is a list of ``{"id": ..., "meta": {...}}`` with the same inner fields.
The house of a recording is ``"<collection_time>_<location>"`` (65 houses in PLAID 2018:
the same ``houseN`` in two campaigns is two houses), as in the published
leave-one-house-out protocols.

**WHITED** (Kahl, Haq, Kriechbaumer & Jacobsen, "WHITED - A worldwide household and
industry transient energy data set", NILM Workshop 2016): one FLAC file per recording,
44.1 kHz, two channels (**voltage first, then current**), 50 or 60 Hz mains by region, named
``<Type>_<BrandModel>_<Region>_<Kit>_<YYYYMMDDhhmmss>.flac``, e.g.
``Kettle_Severin_r1_MK2_20151001121314.flac``: appliance type, brand/model, recording region
``R<k>``, measurement kit ``MK<k>`` and the recording time. The samples are the sound
card's full-scale values in [-1, 1); each measurement kit has its own scaling, published
in the WHITED v1.1 README and kept here as :data:`WHITED_CALIBRATION` (volts and amperes
per full-scale unit: MK1 1033.64 V and 61.4835 A, MK2 861.15 V and 60.200 A, MK3
988.926 V and 60.9562 A). :func:`read_whited` applies them by default, so records are in
volts and amperes as the data set intends; ``calibration=None`` keeps full-scale units
(V-I images do not mind: they are scale-free) and a mapping replaces the factors.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transferkit._optional import require
from transferkit._validation import TransferKitInputError
from transferkit.nilm.waveforms import WaveformRecord, WaveformSet

__all__ = [
    "NilmFileError",
    "PlaidMetadata",
    "WHITED_CALIBRATION",
    "WHITED_NAME",
    "WhitedName",
    "parse_whited_name",
    "read_plaid",
    "read_plaid_csv",
    "read_plaid_metadata",
    "read_whited",
]

PathLike = str | os.PathLike[str]


class NilmFileError(TransferKitInputError):
    """A NILM data file is missing or does not follow its published format."""


# ---------------------------------------------------------------- PLAID ----------------


@dataclass(frozen=True)
class PlaidMetadata:
    """The fields of a PLAID metadata file that loaders need, one entry per recording.

    Attributes
    ----------
    ids : tuple of str
        Recording ids (the CSV file names without ``.csv``), in increasing order.
    labels, houses : numpy.ndarray of str
        Appliance type and house (``"<collection_time>_<location>"``) of each id.
    sampling_rates : numpy.ndarray of float
        Hz, from ``header.sampling_frequency``.
    records : tuple of dict
        The raw metadata entry of each id.
    """

    ids: tuple[str, ...]
    labels: np.ndarray
    houses: np.ndarray
    sampling_rates: np.ndarray
    records: tuple[Mapping[str, Any], ...]


def _hz(value: Any, where: str) -> float:
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*(k?)Hz\s*", str(value), flags=re.IGNORECASE)
    if not m:
        raise NilmFileError(
            f"{where}: sampling_frequency {value!r} is not a frequency like '30000Hz'."
        )
    return float(m.group(1)) * (1000.0 if m.group(2) else 1.0)


def read_plaid_metadata(metadata: PathLike | Mapping[str, Any] | list[Any]) -> PlaidMetadata:
    """Read a PLAID metadata JSON (2018 ``{id: entry}`` or 2014 ``[{id, meta}]`` layout).

    Parameters
    ----------
    metadata : path or the already parsed JSON

    Returns
    -------
    PlaidMetadata

    Raises
    ------
    NilmFileError
        Not JSON, or an entry lacks ``appliance.type``, ``location`` or
        ``header.sampling_frequency`` (the message names the id and the field).

    Examples
    --------
    >>> meta = {"2": {"appliance": {"type": "Fan"}, "location": "house3",
    ...               "header": {"collection_time": "July, 2013",
    ...                          "sampling_frequency": "30000Hz"}},
    ...         "10": {"appliance": {"type": "Laptop"}, "location": "house3",
    ...                "header": {"collection_time": "December, 2014",
    ...                           "sampling_frequency": "30kHz"}}}
    >>> m = read_plaid_metadata(meta)
    >>> m.ids, m.labels.tolist(), m.sampling_rates.tolist()
    (('2', '10'), ['Fan', 'Laptop'], [30000.0, 30000.0])
    >>> m.houses.tolist()                  # the same houseN in two campaigns: two houses
    ['July, 2013_house3', 'December, 2014_house3']
    """
    source = "metadata"
    if isinstance(metadata, (str, os.PathLike)):
        source = str(metadata)
        path = Path(metadata)
        if not path.is_file():
            raise NilmFileError(f"PLAID metadata file {source} does not exist.")
        try:
            metadata = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise NilmFileError(
                f"PLAID metadata file {source} is not valid JSON ({exc}); use the "
                "metadata_submetered.json (or meta1.json) published with the CSV files."
            ) from None
    if isinstance(metadata, list):
        entries = {}
        for k, item in enumerate(metadata):
            if not isinstance(item, Mapping) or "id" not in item or "meta" not in item:
                raise NilmFileError(
                    f"{source}: list entry {k} is not {{'id': ..., 'meta': {{...}}}} (PLAID "
                    "2014 layout)."
                )
            entries[str(item["id"])] = item["meta"]
    elif isinstance(metadata, Mapping):
        entries = {str(k): v for k, v in metadata.items()}
    else:
        raise NilmFileError(
            f"{source}: PLAID metadata must be a JSON object {{id: entry}} or a list of "
            f"{{id, meta}}; got {type(metadata).__name__}."
        )
    if not entries:
        raise NilmFileError(f"{source}: the metadata holds no recording.")

    def order(key: str) -> tuple[int, Any]:
        return (0, int(key)) if key.isdigit() else (1, key)

    ids = tuple(sorted(entries, key=order))
    labels, houses, rates, records = [], [], [], []
    for i in ids:
        e = entries[i]
        where = f"{source}, id {i}"
        try:
            label = e["appliance"]["type"]
            location = e["location"]
            header = e["header"]
            rate = header["sampling_frequency"]
        except (KeyError, TypeError) as exc:
            raise NilmFileError(
                f"{where}: missing field {exc} (needs appliance.type, location and "
                "header.sampling_frequency)."
            ) from None
        labels.append(str(label))
        houses.append(f"{header.get('collection_time', '')}_{location}")
        rates.append(_hz(rate, where))
        records.append(e)
    return PlaidMetadata(
        ids=ids,
        labels=np.array(labels, dtype=object).astype(str),
        houses=np.array(houses, dtype=object).astype(str),
        sampling_rates=np.asarray(rates, dtype=np.float64),
        records=tuple(records),
    )


def read_plaid_csv(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Current and voltage columns of one PLAID CSV file (no header, ``current,voltage``).

    Raises
    ------
    NilmFileError
        Missing file, a line without exactly two numbers (named by its number), fewer than
        two rows, or non-finite values.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "1.csv"
    >>> _ = f.write_text("0.5,10.0\\n-0.25,-3.5\\n")
    >>> [c.tolist() for c in read_plaid_csv(f)]
    [[0.5, -0.25], [10.0, -3.5]]
    """
    path = Path(path)
    if not path.is_file():
        raise NilmFileError(f"PLAID CSV file {path} does not exist.")
    try:  # fast path (full PLAID files hold up to millions of rows)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            data = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError:
        data = None  # the line-by-line pass below names the bad line
    if data is not None and data.shape[1] == 2 and data.shape[0] >= 2:
        if not np.isfinite(data).all():
            raise NilmFileError(f"{path}: holds NaN or infinite values.")
        return data[:, 0].copy(), data[:, 1].copy()
    rows = []
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            parts = line.split(",")
            try:
                if len(parts) != 2:
                    raise ValueError
                rows.append((float(parts[0]), float(parts[1])))
            except ValueError:
                raise NilmFileError(
                    f"{path}, line {n}: expected two comma-separated numbers "
                    f"'current,voltage' (PLAID CSV, no header); got {line[:60]!r}."
                ) from None
    if len(rows) < 2:
        raise NilmFileError(f"{path}: needs at least 2 rows of current,voltage; got {len(rows)}.")
    data = np.asarray(rows, dtype=np.float64)
    if not np.isfinite(data).all():
        raise NilmFileError(f"{path}: holds NaN or infinite values.")
    return data[:, 0], data[:, 1]


def read_plaid(
    csv_dir: PathLike,
    metadata: PathLike | Mapping[str, Any] | list[Any],
    *,
    ids: Iterable[Any] | None = None,
    mains_frequency: float = 60.0,
    last_samples: int | None = None,
    name: str = "PLAID",
) -> WaveformSet:
    """Read PLAID recordings (``<csv_dir>/<id>.csv`` + metadata) as waveform records.

    Parameters
    ----------
    csv_dir : path
        Folder holding ``<id>.csv``.
    metadata : path or parsed JSON
        See :func:`read_plaid_metadata`.
    ids : iterable, optional
        Recordings to read (default: every id in the metadata).
    mains_frequency : float, default=60.0
        PLAID was recorded on US 60 Hz mains.
    last_samples : int, optional
        Keep only the last samples of each file (the steady state after the turn-on, as
        the published PLAID pipelines do with 10,000 samples).
    name : str
        Name of the returned set.

    Returns
    -------
    WaveformSet
        ``label`` = appliance type, ``house`` = ``"<collection_time>_<location>"``,
        ``instance`` = id, ``meta`` = the appliance fields plus ``file``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> import numpy as np
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> t = np.arange(1000) / 30_000
    >>> rows = np.c_[2 * np.sin(2 * np.pi * 60 * t), 170 * np.sin(2 * np.pi * 60 * t)]
    >>> np.savetxt(d / "1.csv", rows, delimiter=",")
    >>> meta = {"1": {"appliance": {"type": "Fan", "brand": "x"}, "location": "house1",
    ...               "header": {"collection_time": "July, 2013",
    ...                          "sampling_frequency": "30000Hz"}}}
    >>> _ = (d / "meta.json").write_text(json.dumps(meta))
    >>> ws = read_plaid(d, d / "meta.json")
    >>> rec = ws[0]
    >>> rec.label, rec.house, rec.sampling_rate, rec.mains_frequency, rec.n_samples
    ('Fan', 'July, 2013_house1', 30000.0, 60.0, 1000)
    """
    meta = read_plaid_metadata(metadata)
    folder = Path(csv_dir)
    if not folder.is_dir():
        raise NilmFileError(f"PLAID CSV folder {folder} does not exist.")
    position = {i: k for k, i in enumerate(meta.ids)}
    wanted = meta.ids if ids is None else tuple(str(i) for i in ids)
    if last_samples is not None and (
        isinstance(last_samples, bool) or not isinstance(last_samples, int) or last_samples < 2
    ):
        raise TransferKitInputError(f"last_samples must be an integer >= 2; got {last_samples!r}.")
    records = []
    for i in wanted:
        if i not in position:
            raise NilmFileError(f"id {i!r} is not in the PLAID metadata ({len(meta.ids)} ids).")
        k = position[i]
        current, voltage = read_plaid_csv(folder / f"{i}.csv")
        if last_samples is not None:
            current, voltage = current[-last_samples:], voltage[-last_samples:]
        entry = meta.records[k]
        extra = dict(entry.get("appliance", {})) if isinstance(entry, Mapping) else {}
        extra["file"] = f"{i}.csv"
        records.append(
            WaveformRecord(
                voltage,
                current,
                sampling_rate=float(meta.sampling_rates[k]),
                mains_frequency=mains_frequency,
                label=str(meta.labels[k]),
                house=str(meta.houses[k]),
                instance=i,
                meta=extra,
            )
        )
    return WaveformSet(records, name=name)


# ---------------------------------------------------------------- WHITED ---------------

#: The WHITED file-name convention, ``<Type>_<BrandModel>_<Region>_<Kit>_<timestamp>.flac``.
WHITED_NAME = re.compile(
    r"^(?P<type>[A-Za-z0-9]+)_(?P<model>.+)_(?P<region>[Rr][0-9]+)_(?P<kit>MK[0-9]+)_"
    r"(?P<timestamp>[0-9]{14})\.flac$",
    flags=re.IGNORECASE,
)


#: Published WHITED (v1.1 README) scaling per measurement kit: ``kit -> (volts per
#: full-scale unit, amperes per full-scale unit)``; sample x (in [-1, 1)) -> x * factor.
WHITED_CALIBRATION: Mapping[str, tuple[float, float]] = {
    "MK1": (1033.64, 61.4835),
    "MK2": (861.15, 60.200),
    "MK3": (988.926, 60.9562),
}


@dataclass(frozen=True)
class WhitedName:
    """The fields of a WHITED file name."""

    appliance_type: str
    model: str
    region: str
    kit: str
    timestamp: str


def parse_whited_name(filename: str) -> WhitedName:
    """Split a WHITED file name into appliance type, model, region, kit and time stamp.

    Raises
    ------
    NilmFileError
        The name does not follow ``<Type>_<BrandModel>_<Region>_<Kit>_<YYYYMMDDhhmmss>.flac``.

    Examples
    --------
    >>> parse_whited_name("GuitarAmp_Marshall8240_R3_MK2_20151115133402.flac")
    WhitedName(appliance_type='GuitarAmp', model='Marshall8240', region='R3', kit='MK2', \
timestamp='20151115133402')
    """
    base = os.path.basename(str(filename))
    m = WHITED_NAME.match(base)
    if not m:
        raise NilmFileError(
            f"{base!r} does not follow the WHITED naming convention "
            "<Type>_<BrandModel>_<Region>_<Kit>_<YYYYMMDDhhmmss>.flac (e.g. "
            "Kettle_Severin_R1_MK2_20151001121314.flac)."
        )
    return WhitedName(
        appliance_type=m["type"],
        model=m["model"],
        region=m["region"].upper(),
        kit=m["kit"].upper(),
        timestamp=m["timestamp"],
    )


def _mains_of(voltage: np.ndarray, rate: float, path: Path) -> float:
    """50.0 or 60.0: the mains frequency of a recording, from its voltage zero crossings."""
    from transferkit.nilm.cycles import rising_zero_crossings

    t = rising_zero_crossings(voltage, rate, 65.0)  # ignores crossings < 1/130 s apart
    if t.size < 2:
        raise NilmFileError(
            f"{path.name}: fewer than two rising voltage zero crossings ({voltage.size} "
            "samples), too few to tell 50 from 60 Hz. Pass mains_frequency=<Hz>, or read "
            "more samples (max_samples)."
        )
    f = rate / float(np.median(np.diff(t)))
    for nominal in (50.0, 60.0):
        if abs(f / nominal - 1) <= 0.05:
            return nominal
    raise NilmFileError(
        f"{path.name}: the voltage's zero crossings give a mains frequency of {f:.1f} Hz, "
        "neither 50 nor 60 Hz (a damaged or voltage-free recording?). Pass "
        "mains_frequency=<Hz> to impose one."
    )


def read_whited(
    directory: PathLike,
    *,
    calibration: Mapping[str, tuple[float, float]] | str | None = "published",
    mains_frequency: float | str = "auto",
    max_samples: int | None = None,
    name: str = "WHITED",
) -> WaveformSet:
    """Read every WHITED FLAC file of a folder as waveform records (needs ``[nilm]``).

    Parameters
    ----------
    directory : path
        Folder with the ``.flac`` files (other files are ignored).
    calibration : "published", mapping or None, default="published"
        ``"published"``: the per-kit factors of the WHITED README
        (:data:`WHITED_CALIBRATION`), :math:`v = x_0 \\, a_V(\\mathrm{kit})`,
        :math:`i = x_1 \\, a_I(\\mathrm{kit})` with :math:`x` the FLAC samples in
        [-1, 1), giving volts and amperes; a mapping ``kit -> (volts_per_unit,
        amps_per_unit)`` replaces them; ``None`` keeps full-scale units
        (``meta["calibrated"]`` is False).
    mains_frequency : float or "auto", default="auto"
        WHITED was recorded in several regions of the world. ``"auto"``: from each file's
        voltage, :math:`f = f_s / \\operatorname{median}(\\Delta t)` over its rising zero
        crossings, snapped to 50 or 60 Hz (within 5 %, else an error naming the file);
        a number imposes it on every file.
    max_samples : int, optional
        Keep only the first samples of each file.
    name : str

    Returns
    -------
    WaveformSet
        ``label`` = appliance type, ``instance`` = ``"<Type>_<BrandModel>"`` (one
        appliance), ``house`` = None (WHITED has regions, not houses: in ``meta``), ``meta``
        = the name fields, ``file`` and ``calibrated``.

    Raises
    ------
    NilmFileError
        No FLAC file, a name off the convention, an unreadable file, a file without two
        channels, or a kit missing from ``calibration``.
    TransferKitInputError
        ``calibration`` is neither ``"published"``, a mapping nor None.

    Examples
    --------
    >>> import tempfile, numpy as np, soundfile as sf
    >>> folder = tempfile.mkdtemp()
    >>> w = 2 * np.pi * 50 * np.arange(4410) / 44_100           # 0.1 s at 50 Hz
    >>> x = np.c_[0.3 * np.sin(w), 0.05 * np.sin(w)]              # full-scale units
    >>> sf.write(f"{folder}/Kettle_Severin_R1_MK1_20151001121314.flac", x, 44_100)
    >>> rec = read_whited(folder)[0]
    >>> round(float(rec.voltage.max()), 1), round(float(rec.current.max()), 2)  # V, A
    (310.1, 3.07)
    >>> round(float(read_whited(folder, calibration=None)[0].voltage.max()), 2)
    0.3
    """
    sf = require("soundfile", extra="nilm", purpose="reading WHITED FLAC files")
    if isinstance(calibration, str):
        if calibration != "published":
            raise TransferKitInputError(
                f"calibration must be 'published' (the WHITED README's factors per kit), a "
                f"mapping kit -> (volts_per_unit, amps_per_unit) or None; got {calibration!r}."
            )
        calibration = WHITED_CALIBRATION
    elif calibration is not None and not isinstance(calibration, Mapping):
        raise TransferKitInputError(
            "calibration must be 'published', a mapping kit -> (volts_per_unit, "
            f"amps_per_unit) or None; got {type(calibration).__name__}."
        )
    if isinstance(mains_frequency, str) and mains_frequency != "auto":
        raise TransferKitInputError(
            f"mains_frequency must be 'auto' (50 or 60 Hz from each file's voltage) or a "
            f"frequency in Hz; got {mains_frequency!r}."
        )
    folder = Path(directory)
    if not folder.is_dir():
        raise NilmFileError(f"WHITED folder {folder} does not exist.")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".flac")
    if not files:
        raise NilmFileError(f"{folder} holds no .flac file (WHITED recordings are FLAC).")
    records = []
    for path in files:
        fields = parse_whited_name(path.name)
        try:
            data, rate = sf.read(
                str(path), dtype="float64", always_2d=True, frames=max_samples or -1
            )
        except Exception as exc:  # soundfile raises its own LibsndfileError (a RuntimeError)
            raise NilmFileError(f"{path} could not be read as FLAC: {exc}.") from None
        if data.shape[1] != 2:
            raise NilmFileError(
                f"{path} has {data.shape[1]} channel(s); WHITED files hold two: voltage, "
                "then current."
            )
        voltage, current = data[:, 0], data[:, 1]
        if calibration is not None:
            if fields.kit not in calibration:
                raise NilmFileError(
                    f"{path.name} was recorded with kit {fields.kit}, which calibration does "
                    f"not list (it has {sorted(calibration)}). Pass its factors as "
                    f"calibration={{..., {fields.kit!r}: (volts_per_unit, amps_per_unit)}}, "
                    "or calibration=None for full-scale units."
                )
            volts, amps = calibration[fields.kit]
            voltage, current = voltage * float(volts), current * float(amps)
        f0 = _mains_of(voltage, float(rate), path) if mains_frequency == "auto" else mains_frequency
        records.append(
            WaveformRecord(
                voltage,
                current,
                sampling_rate=float(rate),
                mains_frequency=f0,
                label=fields.appliance_type,
                instance=f"{fields.appliance_type}_{fields.model}",
                meta={
                    "model": fields.model,
                    "region": fields.region,
                    "kit": fields.kit,
                    "timestamp": fields.timestamp,
                    "file": path.name,
                    "calibrated": calibration is not None,
                },
            )
        )
    return WaveformSet(records, name=name)
