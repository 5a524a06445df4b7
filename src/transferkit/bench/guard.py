"""Guarded variants of benchmark methods: ``METHOD+guard`` (``transferkit bench --guard``).

The guarded variant of a registered method wraps it in
:class:`~transferkit.negative.NegativeTransferGuard` with the no-transfer baseline that
uses the method's own final classifier (``SourceOnly(classifier)``), so the guard decides
between "this transfer" and "no transfer with the same classifier", label-free.
"""

from __future__ import annotations

from typing import Any

from sklearn.base import clone, is_classifier

from transferkit._validation import TransferKitInputError
from transferkit.baselines import SourceOnly
from transferkit.bench.registry import MethodSpec

__all__ = ["GUARD_SUFFIX", "guarded_spec", "no_transfer_baseline"]

GUARD_SUFFIX = "+guard"


def no_transfer_baseline(estimator: Any) -> SourceOnly:
    """``SourceOnly`` with the final classifier of a transfer estimator.

    Examples
    --------
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from transferkit import CORAL, make_transfer_pipeline
    >>> no_transfer_baseline(make_transfer_pipeline(CORAL(), KNeighborsClassifier(1)))
    SourceOnly(estimator=KNeighborsClassifier(n_neighbors=1))
    """
    if isinstance(estimator, SourceOnly):
        return clone(estimator)
    final = getattr(estimator, "estimator", None)
    if final is not None and is_classifier(final):
        return SourceOnly(clone(final))
    raise TransferKitInputError(
        f"{type(estimator).__name__} has no final classifier (an `estimator` parameter) to "
        "build its no-transfer baseline from; guard pipeline methods, e.g. "
        "make_transfer_pipeline(CORAL(), LogisticRegression())."
    )


def guarded_spec(spec: MethodSpec) -> MethodSpec:
    """The ``METHOD+guard`` entry of a registered method."""
    from transferkit.negative import NegativeTransferGuard

    def factory(random_state: Any) -> Any:
        method = spec.build(random_state)
        return NegativeTransferGuard(
            method, no_transfer_baseline(method), n_splits=3, random_state=random_state
        )

    return MethodSpec(
        name=spec.name + GUARD_SUFFIX,
        factory=factory,
        description=f"{spec.description}; kept only if a label-free negative-transfer check "
        "(reverse validation vs source only with the same classifier) says it helps",
        suites=spec.suites,
        param_grid={f"method__{k}": v for k, v in (spec.param_grid or {}).items()} or None,
        published={},
        multi_source=spec.multi_source,
    )
