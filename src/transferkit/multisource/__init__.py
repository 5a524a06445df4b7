"""Multi-source transfer: several labelled source domains, one target.

Sources come stacked in ``X``/``y`` with a positive ``sample_domain`` id per row (the
multi-domain form of the core contract). Pooling every source is the baseline
(:class:`~transferkit.SourceOnly` or any method accepting several sources);
:class:`BestSingleSource` picks the closest source without target labels,
:class:`SourceSelection` pools the k closest, and :class:`WeightedSourceEnsemble`
combines one model per source with distance-based weights.
"""

from transferkit.multisource.sources import (
    BestSingleSource,
    SourceSelection,
    WeightedSourceEnsemble,
    source_distances,
)

__all__ = ["BestSingleSource", "SourceSelection", "WeightedSourceEnsemble", "source_distances"]
