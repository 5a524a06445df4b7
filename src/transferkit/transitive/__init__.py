"""Transitive transfer: from a source to a distant target through intermediate domains.

:func:`domain_distance_matrix` and :func:`best_chain` build the graph of label-free
domain distances and choose the chain of domains; :class:`GradualSelfTraining` adapts
hop by hop along a given chain (Kumar et al., ICML 2020) and :class:`TransitiveTransfer`
chooses the chain among candidate intermediate domains, then adapts along it.
"""

from transferkit.transitive.chain import best_chain, chain_cost, domain_distance_matrix
from transferkit.transitive.gradual import (
    GradualSelfTraining,
    TransitiveTransfer,
    self_train_along,
)

__all__ = [
    "GradualSelfTraining",
    "TransitiveTransfer",
    "best_chain",
    "chain_cost",
    "domain_distance_matrix",
    "self_train_along",
]
