"""The domain graph and the choice of a chain."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from transferkit import TransferKitInputError
from transferkit.transitive import best_chain, chain_cost, domain_distance_matrix


def _all_chains(k: int):
    inner = range(1, k - 1)
    for size in range(k - 1):
        for middle in itertools.permutations(inner, size):
            yield [0, *middle, k - 1]


@pytest.mark.parametrize("cost", ["bottleneck", "squared"])
@pytest.mark.parametrize("seed", range(5))
def test_best_chain_is_the_cheapest_of_all_chains(cost, seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(6, 2))
    D = np.linalg.norm(points[:, None] - points[None], axis=2)
    chosen = best_chain(D, cost=cost)
    costs = {tuple(c): chain_cost(D, c, cost) for c in _all_chains(6)}
    assert chain_cost(D, chosen, cost) == min(costs.values())
    assert chosen[0] == 0 and chosen[-1] == 5


def test_squared_cost_takes_a_detour_through_a_point_between():
    # source, a point half way, the target, and a distractor off the line
    points = np.array([[0.0, 0.0], [1.0, 0.1], [2.0, 0.0], [1.0, 3.0]])
    D = np.linalg.norm(points[:, None] - points[None], axis=2)
    assert best_chain(D, 0, 2, cost="squared") == [0, 1, 2]
    assert best_chain(D, 0, 2, cost="bottleneck") == [0, 1, 2]
    # plain sums would never leave the direct edge (triangle inequality)
    assert D[0, 2] <= D[0, 1] + D[1, 2]


def test_distances_grow_with_the_shift_and_accept_a_callable():
    rng = np.random.default_rng(0)
    domains = [rng.normal(loc=(shift, 0.0), size=(80, 2)) for shift in (0.0, 0.5, 1.0, 2.0)]
    D = domain_distance_matrix(domains, random_state=0)
    assert np.allclose(D, D.T) and np.all(np.diag(D) == 0)
    assert D[0, 1] < D[0, 2] < D[0, 3]
    means = domain_distance_matrix(
        domains, distance=lambda a, b: float(np.linalg.norm(a.mean(0) - b.mean(0)))
    )
    assert means[0, 3] == pytest.approx(np.linalg.norm(domains[0].mean(0) - domains[3].mean(0)))
    proxy = domain_distance_matrix(domains, distance="proxy_a", random_state=0)
    assert proxy[0, 3] > proxy[0, 1]


def test_bad_inputs_are_named():
    with pytest.raises(TransferKitInputError, match="at least 2 domains"):
        domain_distance_matrix([np.zeros((3, 2))])
    with pytest.raises(TransferKitInputError, match="distance"):
        domain_distance_matrix([np.zeros((3, 2)), np.ones((3, 2))], distance="bogus")
    with pytest.raises(TransferKitInputError, match="cost"):
        best_chain(np.zeros((3, 3)), cost="cheapest")
    with pytest.raises(TransferKitInputError, match="square"):
        best_chain(np.zeros((3, 2)))
    with pytest.raises(TransferKitInputError, match="negative or non-finite"):
        domain_distance_matrix([np.zeros((3, 2)), np.ones((3, 2))], distance=lambda a, b: -1.0)
