r"""A graph of domain distances and the chain of domains from a source to a target.

Nodes are domains (the source, candidate intermediate domains, the target); the weight of
edge :math:`(a, b)` is a label-free domain distance :math:`d(a, b)`. A chain
:math:`s = c_0 \to c_1 \to \dots \to c_m = t` is chosen to minimise a cost that stands in
for the target error of adapting hop by hop:

* ``"bottleneck"`` (default): the largest hop, :math:`\max_k d(c_{k-1}, c_k)`, ties broken
  by the smaller sum of squared hops. Gradual self-training (Kumar, Ma & Liang, ICML 2020,
  Theorem 3.2) keeps its error bounded as long as *every* hop is small; its bound grows
  with the size of the largest shift, so the largest hop is what a chain must keep small.
* ``"squared"``: :math:`\sum_k d(c_{k-1}, c_k)^2`. With a metric :math:`d` a plain sum
  never prefers a detour over the direct edge (triangle inequality); squared hops do when
  an intermediate domain lies between source and target.

Distances: ``"mmd"`` is :math:`\sqrt{\max(0, \widehat{\mathrm{MMD}}^2)}` (unbiased, one
Gaussian bandwidth for every pair — the median heuristic on a pooled subsample — so that
distances are comparable across pairs); ``"proxy_a"`` is the proxy A-distance of a
cross-validated domain classifier; any callable ``f(X_a, X_b) -> float`` also works.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_option
from transferkit.metrics.domain_measure import comparable_distance

__all__ = ["domain_distance_matrix", "best_chain", "chain_cost", "COSTS"]

COSTS = ("bottleneck", "squared")


def domain_distance_matrix(
    domains: Sequence[np.ndarray],
    *,
    distance: str | Callable[[np.ndarray, np.ndarray], float] = "mmd",
    random_state: Any = None,
) -> np.ndarray:
    """Symmetric matrix of label-free distances between every pair of domains.

    Parameters
    ----------
    domains : sequence of arrays of shape (n_k, d)
        The samples of each domain (at least 2 domains, one feature space).
    distance : {"mmd", "proxy_a"} or callable
        See the module docstring.
    random_state : int, RandomState or None
        Seeds the bandwidth subsample and the proxy A-distance folds.

    Returns
    -------
    ndarray of shape (k, k)
        Zero diagonal, non-negative entries.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> doms = [rng.normal(loc=shift, size=(60, 2)) for shift in (0.0, 1.0, 2.0)]
    >>> D = domain_distance_matrix(doms, random_state=0)
    >>> bool(D[0, 1] < D[0, 2] and D[1, 2] < D[0, 2])
    True
    """
    if len(domains) < 2:
        raise TransferKitInputError(f"need at least 2 domains; got {len(domains)}.")
    measure = comparable_distance(distance, domains, random_state=random_state)
    k = len(domains)
    D = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            D[i, j] = D[j, i] = measure(domains[i], domains[j])
    if not np.all(np.isfinite(D)) or np.any(D < 0):
        raise TransferKitInputError("the distance returned negative or non-finite values.")
    return D


def chain_cost(distances: np.ndarray, chain: Sequence[int], cost: str = "bottleneck"):
    """Cost of a chain of node indices (see the module docstring); a tuple for ordering."""
    check_option("cost", cost, COSTS)
    hops = np.array([distances[a, b] for a, b in itertools.pairwise(chain)])
    squared = float(np.sum(hops**2))
    if cost == "squared":
        return (squared, len(hops))
    return (float(hops.max()) if hops.size else 0.0, squared)


def best_chain(
    distances: np.ndarray,
    source: int = 0,
    target: int = -1,
    *,
    cost: str = "bottleneck",
) -> list[int]:
    """The chain of node indices from ``source`` to ``target`` of least cost (Dijkstra).

    Both costs are monotone along a path (a longer path never costs less than its
    prefix), so Dijkstra's algorithm with the cost tuple as priority is exact.

    Examples
    --------
    >>> import numpy as np
    >>> D = np.array([[0.0, 1.0, 3.0], [1.0, 0.0, 1.0], [3.0, 1.0, 0.0]])
    >>> best_chain(D)
    [0, 1, 2]
    >>> best_chain(np.array([[0.0, 5.0, 1.0], [5.0, 0.0, 5.0], [1.0, 5.0, 0.0]]))
    [0, 2]
    """
    check_option("cost", cost, COSTS)
    D = np.asarray(distances, dtype=float)
    if D.ndim != 2 or D.shape[0] != D.shape[1] or D.shape[0] < 2:
        raise TransferKitInputError(f"distances must be a square matrix; got {D.shape}.")
    k = D.shape[0]
    source, target = source % k, target % k
    best: dict[int, tuple] = {source: (0.0, 0.0)}
    previous: dict[int, int] = {}
    queue = [((0.0, 0.0), source)]
    done: set[int] = set()
    while queue:
        key, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        if node == target:
            break
        for nxt in range(k):
            if nxt == node or nxt in done:
                continue
            hop = D[node, nxt]
            if cost == "squared":
                new = (key[0] + hop**2, key[1] + 1)
            else:
                new = (max(key[0], hop), key[1] + hop**2)
            if nxt not in best or new < best[nxt]:
                best[nxt] = new
                previous[nxt] = node
                heapq.heappush(queue, (new, nxt))
    chain = [target]
    while chain[-1] != source:
        chain.append(previous[chain[-1]])
    return chain[::-1]
