"""Benchmark entries of multi-source transfer (several labelled sources, one target).

The multi-source entries (``multi_source=True``) are fitted with the suite's
``sample_domain`` and run only on multi-source suites (``office_caltech_surf_multi``,
``amazon_multi`` and their ``_standard`` variants; a single-source suite is refused
before any cell runs). Each wraps one of two single-source base methods, those of
``benchmarks/multisource.py``:

* ``logreg``: no adaptation, ``LogisticRegression(C=0.1, max_iter=2000)``;
* ``coral_logreg``: CORAL (lambda = 1), then the same logistic regression.

Schemes (``NAME`` is ``logreg`` or ``coral_logreg``):

* **pooling**: a single-source entry on a multi-source suite is fitted on the sources
  stacked as one (the runner drops ``sample_domain``): ``source_only_logreg`` and
  ``coral_logreg`` are the pooled baselines (so is any other single-source entry);
* ``best_single_source_NAME``: :class:`~transferkit.multisource.BestSingleSource`, the
  source closest to the target by MMD (label-free). Its candidates ``source: [None, 1,
  2, 3]`` are the label-free choice and each of the three sources, so ``selection:
  oracle`` gives the best single source on the target labels (an upper bound);
* ``select_sources_NAME``: :class:`~transferkit.multisource.SourceSelection`, the k of
  N closest sources pooled (default k = ceil(N/2): 2 of 3; ``params: {n_selected: K}``);
* ``weighted_ensemble_NAME``: :class:`~transferkit.multisource.WeightedSourceEnsemble`,
  one model per source, probabilities averaged with weights exp(-d_k/tau)
  (``params: {weighting: uniform}`` for equal weights).

``m3sda_mlp`` is the deep multi-source method :class:`~transferkit.deep.M3SDA` with the
settings of ``benchmarks/multisource_deep.py`` (needs ``transferkit[torch]``; torch is
imported when an estimator is built, never at registration).
"""

from __future__ import annotations

from typing import Any

from sklearn.linear_model import LogisticRegression

from transferkit.baselines import SourceOnly
from transferkit.bench.registry import register_method
from transferkit.mapping import CORAL
from transferkit.multisource import BestSingleSource, SourceSelection, WeightedSourceEnsemble
from transferkit.pipeline import make_transfer_pipeline

__all__: list[str] = []


def _logistic() -> LogisticRegression:
    return LogisticRegression(C=0.1, max_iter=2000)


_BASES = {
    "logreg": (
        lambda: SourceOnly(_logistic()),
        "logistic regression (C=0.1), no adaptation",
    ),
    "coral_logreg": (
        lambda: make_transfer_pipeline(CORAL(lambda_=1.0), _logistic()),
        "CORAL (λ = 1) + logistic regression (C=0.1)",
    ),
}

register_method(
    "source_only_logreg",
    lambda random_state: _BASES["logreg"][0](),
    description=(
        "no adaptation: logistic regression (C=0.1, lbfgs) on the source; on a multi-source "
        "suite, on the pooled sources"
    ),
)
register_method(
    "coral_logreg",
    lambda random_state: _BASES["coral_logreg"][0](),
    description=(
        "CORAL (λ = 1) + logistic regression (C=0.1); on a multi-source suite, on the "
        "pooled sources"
    ),
)

for _name, (_base, _what) in _BASES.items():
    register_method(
        f"best_single_source_{_name}",
        lambda random_state, base=_base: BestSingleSource(base(), random_state=random_state),
        description=(
            f"{_what} on the one source closest to the target (MMD, label-free); "
            "candidates: that choice or each source id"
        ),
        param_grid={"source": [None, 1, 2, 3]},
        multi_source=True,
    )
    register_method(
        f"select_sources_{_name}",
        lambda random_state, base=_base: SourceSelection(base(), random_state=random_state),
        description=f"{_what} on the k of N sources closest to the target (MMD), pooled",
        multi_source=True,
    )
    register_method(
        f"weighted_ensemble_{_name}",
        lambda random_state, base=_base: WeightedSourceEnsemble(base(), random_state=random_state),
        description=(
            f"{_what} per source, probabilities averaged with weights exp(-d_k/tau) "
            "from each source's MMD to the target"
        ),
        multi_source=True,
    )


def _m3sda(random_state: Any = None) -> Any:
    from transferkit._optional import require

    require("torch", extra="torch", purpose="the benchmark entry of M3SDA")
    from transferkit.deep import M3SDA

    seed = 0 if random_state is None else int(random_state)
    return M3SDA(hidden=(256,), epochs=20, trade_off=0.01, random_state=seed)


register_method(
    "m3sda_mlp",
    _m3sda,
    description=(
        "M3SDA (Peng et al. 2019): shared 256-unit MLP, one classifier per source, "
        "moment matching (λ = 0.01), equal-weight combination; 20 epochs, epoch by DEV"
    ),
    param_grid={"trade_off": [0.01, 0.0, 0.1]},
    multi_source=True,
)
