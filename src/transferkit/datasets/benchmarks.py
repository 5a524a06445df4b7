"""Loaders for the shallow-transfer benchmark data sets (features + labels per domain)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy.io import loadmat

from transferkit._validation import TransferKitInputError, check_option
from transferkit.datasets._fetch import fetch_dataset
from transferkit.datasets._files import dataset_info, fetch_file

__all__ = ["load_domain", "load_task", "list_datasets", "PREPROCESSING", "DOMAIN_ALIASES"]

PREPROCESSING = ("standard", "none", "l1_zscore", "l2")

# The published protocol of each data set (see PUBLISHED_RESULTS.md).
_STANDARD = {
    "office_caltech10_surf": "l1_zscore",
    "amazon_review_400": "l1_zscore",
    "mnist_usps": "l2",
    "coil20": "l2",
}

DOMAIN_ALIASES = {
    "office_caltech10_surf": {"A": "amazon", "C": "caltech", "D": "dslr", "W": "webcam"},
    "mnist_usps": {"M": "mnist", "U": "usps"},
    "coil20": {"COIL1": "coil1", "COIL2": "coil2", "1": "coil1", "2": "coil2"},
    "amazon_review_400": {
        "B": "books",
        "D": "dvd",
        "E": "elec",
        "K": "kitchen",
        "electronics": "elec",
    },
}

_SURF_FILES = {
    "amazon": "amazon_SURF_L10.mat",
    "caltech": "Caltech10_SURF_L10.mat",
    "dslr": "dslr_SURF_L10.mat",
    "webcam": "webcam_SURF_L10.mat",
}


def list_datasets() -> list[str]:
    """Names of the benchmark data sets :func:`load_domain` reads."""
    return sorted(_STANDARD)


def _resolve_domain(dataset: str, domain: str) -> str:
    info = dataset_info(dataset)
    name = DOMAIN_ALIASES.get(dataset, {}).get(domain, domain)
    name = DOMAIN_ALIASES.get(dataset, {}).get(name.upper(), name)
    if name not in info.domains:
        aliases = DOMAIN_ALIASES.get(dataset, {})
        raise TransferKitInputError(
            f"Unknown domain {domain!r} of dataset {dataset!r}; choose one of "
            f"{', '.join(info.domains)} (aliases: {', '.join(sorted(aliases))})."
        )
    return name


def _path(dataset: str, relative: str, data_home) -> Path:
    info = dataset_info(dataset)
    file = next(f for f in info.files if f.path.endswith(relative))
    return fetch_file(info, file, data_home)


def _read_raw(dataset: str, domain: str, data_home) -> tuple[np.ndarray, np.ndarray]:
    if dataset == "office_caltech10_surf":
        mat = loadmat(_path(dataset, _SURF_FILES[domain], data_home))
        return mat["fts"].astype(np.float64), mat["labels"].ravel().astype(np.int64) - 1
    if dataset == "amazon_review_400":
        mat = loadmat(_path(dataset, f"{domain}_400.mat", data_home))
        return mat["fts"].astype(np.float64), mat["labels"].ravel().astype(np.int64)
    if dataset in ("mnist_usps", "coil20"):
        relative = "MNIST_vs_USPS.mat" if dataset == "mnist_usps" else "COIL_1.mat"
        mat = loadmat(_path(dataset, relative, data_home))
        key = "src" if domain in ("mnist", "coil1") else "tar"
        X = np.ascontiguousarray(mat[f"X_{key}"].T, dtype=np.float64)  # columns are samples
        return X, mat[f"Y_{key}"].ravel().astype(np.int64) - 1
    raise TransferKitInputError(
        f"{dataset!r} is not a feature benchmark; choose one of {', '.join(list_datasets())} "
        "(NILM data sets load with transferkit.datasets.nilm)."
    )


def _preprocess(X: np.ndarray, how: str) -> np.ndarray:
    if how == "none":
        return X
    if how == "l1_zscore":
        sums = X.sum(axis=1, keepdims=True)
        X = X / np.where(sums == 0, 1.0, sums)
        std = X.std(axis=0)  # population std, MATLAB zscore(X, 1)
        return (X - X.mean(axis=0)) / np.where(std == 0, 1.0, std)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)


def load_domain(
    dataset: str,
    domain: str,
    *,
    preprocessing: str = "none",
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one domain of a benchmark data set as ``(X, y)``.

    Every file is verified by SHA-256 first; a missing or altered file raises an error
    naming the file, where it was expected and where it is published.

    Parameters
    ----------
    dataset : {"office_caltech10_surf", "mnist_usps", "coil20", "amazon_review_400"}
    domain : str
        Domain name or its usual letter: amazon/caltech/dslr/webcam (A, C, D, W);
        mnist/usps (M, U); coil1/coil2; books/dvd/elec/kitchen (B, D, E, K).
    preprocessing : {"none", "standard", "l1_zscore", "l2"}, default="none"
        ``"standard"`` applies the published protocol of the data set: each row
        L1-normalised then each column z-scored with the population std, separately per
        domain (SURF and Amazon; MATLAB ``zscore(X, 1)``), or each sample scaled to unit
        L2 norm (digits and COIL). ``"none"`` returns the raw values as float64.
    data_home : path, optional
        Overrides ``TRANSFERKIT_DATA`` (see :func:`get_data_home`).
    download : bool, default=False
        Download missing or altered files first (:func:`fetch_dataset`).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int64, classes numbered from 0

    Examples
    --------
    >>> X, y = load_domain("office_caltech10_surf", "A", preprocessing="standard")
    >>> X.shape, int(y.min()), int(y.max())
    ((958, 800), 0, 9)
    """
    dataset_info(dataset)
    check_option("preprocessing", preprocessing, PREPROCESSING)
    name = _resolve_domain(dataset, domain)
    if download:
        fetch_dataset(dataset, data_home)
    X, y = _read_raw(dataset, name, data_home)
    how = _STANDARD[dataset] if preprocessing == "standard" else preprocessing
    return _preprocess(X, how), y


def load_task(
    dataset: str,
    source: str,
    target: str,
    *,
    preprocessing: str = "standard",
    data_home: str | os.PathLike[str] | None = None,
    download: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load a transfer task ``source -> target`` as ``(X_source, y_source, X_target, y_target)``.

    Preprocessing defaults to the published protocol (``"standard"``), applied to each
    domain separately. ``download=True`` fetches missing files first.

    Examples
    --------
    >>> Xs, ys, Xt, yt = load_task("mnist_usps", "U", "M")
    >>> Xs.shape, Xt.shape
    ((1800, 256), (2000, 256))
    """
    options = {"preprocessing": preprocessing, "data_home": data_home}
    Xs, ys = load_domain(dataset, source, download=download, **options)
    Xt, yt = load_domain(dataset, target, **options)
    return Xs, ys, Xt, yt
