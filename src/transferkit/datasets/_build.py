"""Recipes that rebuild derived data files from their upstream files, byte for byte.

HFHAD-C subset (``hfhadc_subset``): the upstream ``<class>/<k>.txt`` files are ASCII hex
with line breaks. Without whitespace, the first 8 hex digits are a header (``FFFFFFFF``);
the rest are little-endian int16 pairs ``[current, voltage]`` in ADC counts, sampled at
6.4 kHz. Each recording is cut or edge-padded to 19,200 samples (3 s), and files k = 1..20
of each class are stacked in the order of :data:`HFHADC_RAW`. ``numpy.savez_compressed``
writes zip members with a fixed date, so the same arrays give the same bytes: the recorded
SHA-256 is reproduced.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from transferkit.datasets._hfhadc_files import HFHADC_RAW, HFHADC_UPSTREAM

__all__ = ["BUILDERS", "decode_hfhadc_txt", "build_hfhadc_subset", "write_hfhadc_npz"]

HFHADC_SAMPLES = 19_200
HFHADC_SCALE_CURRENT = 41.4738  # ADC counts per A (upstream script.py)
HFHADC_SCALE_VOLTAGE = 21.3872  # ADC counts per V (upstream script.py)
HFHADC_RAW_DIR = "nilm/hfhadc_subset/raw"


def decode_hfhadc_txt(payload: bytes, *, n_samples: int = HFHADC_SAMPLES) -> np.ndarray:
    """Decode one upstream HFHAD-C ``.txt`` file into int16 counts of shape (n_samples, 2).

    Column 0 is current, column 1 voltage, in ADC counts. Longer recordings are cut,
    shorter ones repeat their last sample (edge padding).

    Examples
    --------
    >>> decode_hfhadc_txt(b"FFFFFFFF\\n0100FEFF\\n02000300", n_samples=3).tolist()
    [[1, -2], [2, 3], [2, 3]]
    """
    text = "".join(payload.decode("ascii").split())
    if not text.upper().startswith("FFFFFFFF") or (len(text) - 8) % 8:
        raise ValueError(
            "not an HFHAD-C recording: expected the header FFFFFFFF followed by whole "
            f"[current, voltage] int16 pairs, got {len(text)} hex digits starting {text[:8]!r}"
        )
    counts = np.frombuffer(bytes.fromhex(text[8:]), dtype="<i2").reshape(-1, 2)
    if counts.shape[0] < n_samples:
        counts = np.pad(counts, ((0, n_samples - counts.shape[0]), (0, 0)), mode="edge")
    return np.ascontiguousarray(counts[:n_samples], dtype=np.int16)


def write_hfhadc_npz(
    path: str | os.PathLike[str],
    counts: np.ndarray,
    labels: np.ndarray,
    class_names: np.ndarray,
    source_files: np.ndarray,
) -> Path:
    """Write the subset's ``.npz`` with the recorded keys, order, dtypes and constants."""
    path = Path(path)
    with open(path, "wb") as fh:
        np.savez_compressed(
            fh,
            counts=np.asarray(counts, dtype=np.int16),
            labels=np.asarray(labels, dtype=np.int64),
            class_names=np.asarray(class_names, dtype=str),
            source_files=np.asarray(source_files, dtype=str),
            scale_current_counts_per_A=np.float64(HFHADC_SCALE_CURRENT),
            scale_voltage_counts_per_V=np.float64(HFHADC_SCALE_VOLTAGE),
            fs_hz=np.float64(6400.0),
            mains_hz=np.float64(50.0),
        )
    return path


def build_hfhadc_subset(
    data_home: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    per_class: int = 20,
) -> Path:
    """Build the HFHAD-C subset ``.npz`` from ``<data_home>/nilm/hfhadc_subset/raw``.

    Parameters
    ----------
    data_home : path
        Folder holding ``nilm/hfhadc_subset/raw/<class>/<k>.txt`` (the upstream files,
        class folders renamed to ASCII).
    output : path
        File to write.
    per_class : int, default=20
        Files k = 1..per_class of each class; 20 gives the published subset.

    Returns
    -------
    path : Path
    """
    if not 1 <= per_class <= 20:
        raise ValueError(f"per_class must be between 1 and 20, got {per_class}")
    raw = Path(data_home) / HFHADC_RAW_DIR
    class_names = np.array(sorted(HFHADC_UPSTREAM))
    counts, labels, sources = [], [], []
    for name, k, _, _ in HFHADC_RAW:
        if k > per_class:
            continue
        file = raw / name / f"{k}.txt"
        if not file.is_file():
            raise FileNotFoundError(
                f"Upstream file {file} is missing; run `transferkit datasets fetch "
                f"hfhadc_subset` to download the upstream files first."
            )
        counts.append(decode_hfhadc_txt(file.read_bytes()))
        labels.append(int(np.searchsorted(class_names, name)))
        sources.append(f"{HFHADC_UPSTREAM[name]}/{k}.txt")
    return write_hfhadc_npz(output, np.stack(counts), np.array(labels), class_names, sources)


# data set name -> function(data_home, output) writing its single derived file.
BUILDERS: dict[str, Callable[[str | os.PathLike[str], str | os.PathLike[str]], Path]] = {
    "hfhadc_subset": build_hfhadc_subset,
}
