"""Shared test fixtures.

Benchmark data is found through ``TRANSFERKIT_DATA`` (or ``../shared/data`` next to the
checkout). Locally a missing data set skips the tests that need it; under CI
(``CI=true``) it is a failure, never a silent skip.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from transferkit.datasets import DATASETS, get_data_home, verify_dataset


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def data_home():
    """The verified data home; fails under CI and skips locally when data is missing."""
    home = get_data_home()
    problems = [s.message for name in DATASETS for s in verify_dataset(name) if s.status != "ok"]
    if problems:
        message = "benchmark data unavailable:\n" + "\n".join(problems)
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return home


@pytest.fixture
def rng():
    """A seeded NumPy generator."""
    return np.random.default_rng(0)


@pytest.fixture
def shifted_blobs(rng):
    """A small labelled source and a shifted, rescaled target with the same classes."""
    n = 60
    ys = np.repeat([0, 1, 2], n // 3)
    centres = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 1.0], [0.0, 3.0, -1.0]])
    Xs = centres[ys] + rng.normal(scale=0.6, size=(n, 3))
    yt = np.repeat([0, 1, 2], 15)
    Xt = 1.5 * (centres[yt] + rng.normal(scale=0.6, size=(45, 3))) + 2.0
    return Xs, ys, Xt, yt
