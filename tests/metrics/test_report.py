"""domain_distances: every distance with its uncertainty."""

from __future__ import annotations

import pytest

from transferkit.metrics import (
    DISTANCE_NAMES,
    bootstrap_interval,
    coral_distance,
    domain_distances,
    energy_distance,
    mmd2,
)


def test_all_distances_with_uncertainty(rng):
    X, Y = rng.normal(size=(80, 3)), rng.normal(size=(70, 3)) + 0.8
    rows = domain_distances(X, Y, n_permutations=50, n_bootstrap=5, random_state=0)
    assert [r.name for r in rows] == list(DISTANCE_NAMES)
    by_name = {r.name: r for r in rows}
    for name in ("mmd2_gaussian", "mmd2_multi", "mmd2_linear", "energy"):
        assert by_name[name].p_value < 0.05
    for name in ("kl_knn", "kl_gaussian", "coral", "wasserstein2", "sinkhorn2", "proxy_a"):
        assert by_name[name].ci_low <= by_name[name].ci_high
    assert by_name["energy"].value == pytest.approx(energy_distance(X, Y))
    sigma = by_name["mmd2_gaussian"].details["bandwidth"]
    assert by_name["mmd2_gaussian"].value == pytest.approx(mmd2(X, Y, bandwidth=sigma))
    again = domain_distances(X, Y, n_permutations=50, n_bootstrap=5, random_state=0)
    assert [r.as_dict() for r in again] == [r.as_dict() for r in rows]


def test_same_distribution_is_not_rejected(rng):
    X, Y = rng.normal(size=(80, 3)), rng.normal(size=(70, 3))
    rows = domain_distances(
        X, Y, n_permutations=100, n_bootstrap=0, include=("mmd2_gaussian", "energy"), random_state=1
    )
    assert all(r.p_value > 0.01 for r in rows)
    assert all(r.ci_low is None for r in rows)


def test_bootstrap_interval_brackets_the_spread(rng):
    X, Y = rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) * 2
    low, high = bootstrap_interval(coral_distance, X, Y, n_bootstrap=40, random_state=0)
    assert low < coral_distance(X, Y) < high


def test_unknown_distance_name(rng):
    X = rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match="unknown distance"):
        domain_distances(X, X, include=("bogus",))
