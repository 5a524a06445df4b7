"""Benchmark entries of the kernel feature-mapping family: TCA, JDA, BDA, weighted BDA.

The published protocols differ by suite (Long et al. ICCV 2013): Office-Caltech SURF
uses the linear kernel with λ = 1, digits and COIL the primal kernel with λ = 0.1; k = 100,
T = 10 and 1-NN everywhere. Each method is therefore registered twice: ``<name>`` for
SURF (and Amazon) and ``<name>_primal`` for digits and COIL.
"""

from __future__ import annotations

from typing import Any

from sklearn.neighbors import KNeighborsClassifier

from transferkit.bench.registry import register_method
from transferkit.mapping import BDA, JDA, TCA
from transferkit.pipeline import make_transfer_pipeline

__all__: list[str] = []

_PROTOCOLS = {
    "": ("linear", 1.0, ("office_caltech_surf", "amazon")),
    "_primal": ("primal", 0.1, ("digits", "coil")),
}

_PUBLISHED = {
    "tca": {
        "office_caltech_surf": ["jda2013_t2:TCA", "meda2018_t2:TCA", "coral2016_t3:TCA"],
        "amazon": ["coral2016_t5:TCA"],
        "digits": ["meda2018_t3:TCA"],
        "coil": ["jpda2020:TCA"],
    },
    "jda": {
        "office_caltech_surf": ["jda2013_t2:JDA", "rerun:JDA", "meda2018_t2:JDA"],
        "digits": ["jpda2020:JDA", "meda2018_t3:JDA", "rerun:JDA"],
        "coil": ["jpda2020:JDA", "rerun:JDA"],
    },
    "bda": {
        "office_caltech_surf": ["jpda2020:BDA"],
        "digits": ["jpda2020:BDA"],
        "coil": ["jpda2020:BDA"],
    },
    "wbda": {},
}


def _one_nn() -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=1, algorithm="brute")


def _factory(name: str, kernel: str, lam: float):
    def build(random_state: Any = None):
        if name == "tca":
            adapter = TCA(100, kernel=kernel, lambda_=lam, random_state=random_state)
        elif name == "jda":
            adapter = JDA(100, kernel=kernel, lambda_=lam, n_iter=10, random_state=random_state)
        elif name == "bda":
            adapter = BDA(
                100, kernel=kernel, lambda_=lam, mu="auto", n_iter=10, random_state=random_state
            )
        else:
            adapter = BDA(
                100,
                kernel=kernel,
                lambda_=lam,
                mu=1.0,
                weighted=True,
                n_iter=10,
                random_state=random_state,
            )
        return make_transfer_pipeline(adapter, _one_nn())

    return build


_DESCRIPTIONS = {
    "tca": "TCA (k = 100, {kernel} kernel, λ = {lam}) + 1NN",
    "jda": "JDA (k = 100, {kernel} kernel, λ = {lam}, T = 10) + 1NN",
    "bda": "BDA (k = 100, {kernel}, λ = {lam}, T = 10, μ by proxy A-distance) + 1NN",
    "wbda": "weighted BDA (k = 100, {kernel}, λ = {lam}, T = 10, μ = 1) + 1NN",
}

for _name in ("tca", "jda", "bda", "wbda"):
    for _suffix, (_kernel, _lam, _suites) in _PROTOCOLS.items():
        register_method(
            _name + _suffix,
            _factory(_name, _kernel, _lam),
            description=_DESCRIPTIONS[_name].format(kernel=_kernel, lam=_lam),
            suites=_suites,
            published={s: v for s, v in _PUBLISHED[_name].items() if s in _suites},
        )
