"""comparable_distance: one bandwidth for every pair, reproducible from random_state."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist

from transferkit.metrics import comparable_distance, mmd2


def _domains(n: int = 700):
    rng = np.random.default_rng(0)
    return [rng.normal(loc=shift, size=(n, 3)) for shift in (0.0, 0.5, 1.0)]


def test_mmd_bandwidth_is_the_median_of_the_pooled_rows():
    a, b, c = _domains(300)  # 900 rows: all of them are pooled
    bandwidth = float(np.median(pdist(np.vstack([a, b, c]))))
    d = comparable_distance("mmd", [a, b, c], random_state=0)
    assert np.isclose(d(a, c), np.sqrt(mmd2(a, c, bandwidth=bandwidth)))


def test_mmd_over_1000_rows_is_reproducible_and_leaves_the_global_rng_alone():
    a, b, c = _domains(700)  # 2100 rows pooled: a seeded subsample of 2000 sets the bandwidth
    global_rng = np.random.mtrand._rand  # the legacy global state that fit must not touch
    global_rng.seed(123)
    before = global_rng.get_state()[1].copy()
    first = comparable_distance("mmd", [a, b, c], random_state=7)(a, c)
    assert np.array_equal(global_rng.get_state()[1], before)
    for _ in range(3):
        global_rng.seed(None)  # whatever the global state, the same seed gives the same value
        assert comparable_distance("mmd", [a, b, c], random_state=7)(a, c) == first
