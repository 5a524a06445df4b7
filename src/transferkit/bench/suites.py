"""Benchmark suites: ordered lists of transfer tasks with the protocol they follow.

Each built-in task loads through :func:`transferkit.datasets.load_task`, which applies
the dataset's standard ("published protocol") preprocessing. Task names use ASCII
arrows (``"C->A"``) so that they match the keys of the published tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from transferkit._validation import TransferKitInputError
from transferkit.registry import Registry

__all__ = [
    "SUITES",
    "Task",
    "Suite",
    "register_suite",
    "get_suite",
    "list_suites",
    "is_multi_source",
]

#: ``(Xs, ys, Xt, yt)``, or ``(Xs, ys, Xt, yt, sample_domain)`` for several source domains
#: stacked in ``Xs`` (skada's ids, ``>= 0``), which the runner passes to ``fit``.
TaskData = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Task:
    """One transfer task: ``name`` (e.g. ``"C->A"``) and the dataset's domain names."""

    name: str
    source: str
    target: str


@dataclass(frozen=True)
class Suite:
    """A named, ordered list of tasks of one dataset.

    Attributes
    ----------
    name : str
        Suite name used on the command line.
    dataset : str
        Dataset name understood by :func:`transferkit.datasets.load_task`.
    tasks : tuple of Task
    protocol : str
        How the tasks are run (which domains, preprocessing, evaluation).
    loader : callable, optional
        ``loader(task) -> (Xs, ys, Xt, yt)`` (or with a fifth ``sample_domain`` array
        for several sources stacked in ``Xs``); defaults to ``load_task`` on ``dataset``.
    multi_source : bool, default=False
        Every task stacks several labelled source domains (the loader returns the fifth
        ``sample_domain`` array). Multi-source methods run only on such suites; the
        single-source methods see their sources pooled as one (see
        :mod:`transferkit.bench.methods_multisource`).
    """

    name: str
    dataset: str
    tasks: tuple[Task, ...]
    protocol: str
    loader: Callable[[Task], TaskData] | None = None
    multi_source: bool = False

    def load(self, task: Task) -> TaskData:
        """Source features, source labels, target features, target labels of ``task``."""
        if self.loader is not None:
            return self.loader(task)
        from transferkit.datasets import load_task

        return load_task(self.dataset, task.source, task.target)

    def task(self, name: str) -> Task:
        """The task called ``name``."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise TransferKitInputError(
            f"suite {self.name!r} has no task {name!r}; tasks: "
            f"{', '.join(t.name for t in self.tasks)}."
        )


#: Every benchmark suite, by name, in registration order.
SUITES: Registry[Suite] = Registry("benchmark suite")


def register_suite(suite: Suite, *, replace: bool = False) -> Suite:
    """Add a suite (e.g. a small one for tests, or a new dataset)."""
    if not suite.tasks:
        raise TransferKitInputError(f"suite {suite.name!r} has no tasks.")
    return SUITES.register(suite.name, suite, replace=replace)


def unregister_suite(name: str) -> None:
    """Remove a suite (mainly for tests); unknown names are ignored."""
    SUITES.unregister(name)


def get_suite(name: str) -> Suite:
    """The suite called ``name`` (raises with the list of known suites)."""
    return SUITES.lookup(name)


def list_suites() -> list[Suite]:
    """All suites, in registration order."""
    return list(SUITES.values())


def is_multi_source(suite: str) -> bool:
    """Whether the registered suite ``suite`` stacks several sources (unknown: ``False``)."""
    found = SUITES.get(suite)
    return bool(found is not None and found.multi_source)


def _tasks(pairs: Iterable[tuple[str, str, str]]) -> tuple[Task, ...]:
    return tuple(Task(name, source, target) for name, source, target in pairs)


_SURF = {"C": "caltech", "A": "amazon", "W": "webcam", "D": "dslr"}
_SURF_ORDER = ["C->A", "C->W", "C->D", "A->C", "A->W", "A->D"]
_SURF_ORDER += ["W->C", "W->A", "W->D", "D->C", "D->A", "D->W"]
_AMAZON = {"B": "books", "D": "dvd", "E": "elec", "K": "kitchen"}
_AMAZON_ORDER = [f"{s}->{t}" for s in "BDEK" for t in "BDEK" if s != t]


def _split(name: str, domains: dict[str, str]) -> tuple[str, str, str]:
    s, t = name.split("->")
    return name, domains[s], domains[t]


register_suite(
    Suite(
        name="office_caltech_surf",
        dataset="office_caltech10_surf",
        tasks=_tasks(_split(n, _SURF) for n in _SURF_ORDER),
        protocol=(
            "Office-Caltech10, 800-bin SURF bag-of-words; 12 tasks, all labelled source "
            "samples -> all (unlabelled) target samples, single split; each row "
            "L1-normalised then z-scored per domain (ddof=0); accuracy on every target "
            "sample (JDA ICCV 2013 / CORAL AAAI 2016 full protocol)."
        ),
    )
)
register_suite(
    Suite(
        name="digits",
        dataset="mnist_usps",
        tasks=_tasks([("U->M", "usps", "mnist"), ("M->U", "mnist", "usps")]),
        protocol=(
            "USPS (1800) and MNIST (2000) 16x16 grey images of the JDA paper; each sample "
            "scaled to unit L2 norm; all source -> all target, single split."
        ),
    )
)


def _pixels_loader(task: Task) -> TaskData:
    from transferkit.datasets import load_domain

    Xs, ys = load_domain("mnist_usps", task.source, preprocessing="none")
    Xt, yt = load_domain("mnist_usps", task.target, preprocessing="none")
    return Xs, ys, Xt, yt


register_suite(
    Suite(
        name="digits_pixels",
        dataset="mnist_usps",
        tasks=_tasks([("U->M", "usps", "mnist"), ("M->U", "mnist", "usps")]),
        protocol=(
            "USPS (1800) and MNIST (2000) 16x16 grey images of the JDA paper as raw pixels "
            "in [0, 1] (load_domain with preprocessing='none'; 256 columns, row-major "
            "16x16), the input of the image networks (benchmarks/deep_digits.py, "
            "finetune_mnist_usps.py); all source -> all target, single split."
        ),
        loader=_pixels_loader,
    )
)


register_suite(
    Suite(
        name="coil",
        dataset="coil20",
        tasks=_tasks([("COIL1->COIL2", "coil1", "coil2"), ("COIL2->COIL1", "coil2", "coil1")]),
        protocol=(
            "COIL-20 split of the JDA paper (COIL1: views in quadrants 1 and 3; COIL2: "
            "quadrants 2 and 4), 720 images each; unit L2 norm per sample; all source -> "
            "all target."
        ),
    )
)
register_suite(
    Suite(
        name="amazon",
        dataset="amazon_review_400",
        tasks=_tasks(_split(n, _AMAZON) for n in _AMAZON_ORDER),
        protocol=(
            "Amazon reviews (Blitzer et al. 2007), 400 term-frequency features, about "
            "2000 reviews per domain (books, dvd, elec, kitchen); 12 tasks on the full "
            "domains; rows L1-normalised then z-scored per domain (ddof=0). The CORAL "
            "paper's Table 5 used a subsample ('standard subset') of each domain, so its "
            "4 published tasks are not exactly comparable."
        ),
    )
)


# -- several sources to one target -----------------------------------------------------
# Each domain in turn is the target; the other three, in the data set's order, are the
# labelled sources stacked in Xs with ids 1, 2, 3 (benchmarks/multisource.py's order, on
# which the MMD subsample of the source scores depends).

_THREE_TO_ONE = {
    "office_caltech10_surf": (["amazon", "caltech", "dslr", "webcam"], "ACDW"),
    "amazon_review_400": (["books", "dvd", "elec", "kitchen"], "BDEK"),
}


def _three_to_one_tasks(dataset: str) -> tuple[Task, ...]:
    domains, letters = _THREE_TO_ONE[dataset]
    tasks = []
    for t, target in enumerate(domains):
        sources = [d for d in domains if d != target]
        name = "+".join(letters[i] for i in range(len(domains)) if i != t) + f"->{letters[t]}"
        tasks.append(Task(name, "+".join(sources), target))
    return tuple(tasks)


def _three_to_one_loader(dataset: str, preprocessing: str) -> Callable[[Task], TaskData]:
    def load(task: Task) -> TaskData:
        from transferkit.datasets import load_domain

        Xt, yt = load_domain(dataset, task.target, preprocessing=preprocessing)
        parts = [
            load_domain(dataset, s, preprocessing=preprocessing) for s in task.source.split("+")
        ]
        Xs = np.vstack([X for X, _ in parts])
        ys = np.concatenate([y for _, y in parts])
        ids = np.concatenate(
            [np.full(len(y), k + 1, dtype=np.int64) for k, (_, y) in enumerate(parts)]
        )
        return Xs, ys, Xt, yt, ids

    return load


_FEATURES = {
    "none": "raw features (load_domain without preprocessing; benchmarks/results/multisource.md)",
    "standard": (
        "rows L1-normalised then z-scored per domain (ddof=0), the single-source suite's "
        "preprocessing (benchmarks/results/multisource_standard.md, multisource_deep.md)"
    ),
}

for _dataset, _stem, _what in (
    ("office_caltech10_surf", "office_caltech_surf_multi", "Office-Caltech10 800-bin SURF"),
    ("amazon_review_400", "amazon_multi", "Amazon reviews, 400 term-frequency features"),
):
    for _pre, _suffix in (("none", ""), ("standard", "_standard")):
        register_suite(
            Suite(
                name=_stem + _suffix,
                dataset=_dataset,
                tasks=_three_to_one_tasks(_dataset),
                protocol=(
                    f"{_what}; three sources to one target (4 tasks: each domain in turn "
                    "is the target, the other three are labelled sources stacked with ids "
                    "1-3 in the order of the task name); all source samples -> all "
                    f"(unlabelled) target samples; {_FEATURES[_pre]}; accuracy on every "
                    "target sample (benchmarks/multisource.py)."
                ),
                loader=_three_to_one_loader(_dataset, _pre),
                multi_source=True,
            )
        )


# -- NILM: PLAID 2018 (US) -> HFHAD-C (China), benchmarks/nilm_cross_country.py ----------
# The same arrays as a ``nilm: {dataset: plaid_hfhadc, features: ...}`` data entry
# (transferkit.experiments.data.load_nilm); as suites, a config's methods entries can
# name them in ``suites`` (image networks run on the pixels only).


def _nilm_loader(features: str) -> Callable[[Task], TaskData]:
    def load(task: Task) -> TaskData:
        from transferkit.experiments.config import NilmData
        from transferkit.experiments.data import load_nilm

        return load_nilm(NilmData(dataset="plaid_hfhadc", features=features))

    return load


_NILM_TASK = _tasks([("PLAID->HFHAD-C", "plaid2018", "hfhadc")])
_NILM_COMMON = (
    "PLAID 2018 (US, 60 Hz; 80 events, one cycle each) -> HFHAD-C (China, 50 Hz; 80 "
    "recordings, one steady cycle from 10 averaged) on the shared classes air "
    "conditioner, fridge, kettle, laptop (transferkit.nilm.load_cross_country; labels are "
    "the class names), 128 points per cycle; all source -> all target records"
)
register_suite(
    Suite(
        name="plaid_hfhadc",
        dataset="plaid_hfhadc",
        tasks=_NILM_TASK,
        protocol=(
            f"{_NILM_COMMON}; each record a 32x32 binary V-I image blurred by 0.7 px "
            "(transferkit.nilm.vi_features), 1024 columns, row-major: the input of the "
            "image networks (1x32x32)."
        ),
        loader=_nilm_loader("pixels"),
    )
)
register_suite(
    Suite(
        name="plaid_hfhadc_efficientnet",
        dataset="plaid_hfhadc",
        tasks=_NILM_TASK,
        protocol=(
            f"{_NILM_COMMON}; each record the 1280 head features of the frozen ImageNet "
            "EfficientNet-Lite0 on its unblurred 32x32 binary V-I image resized to 64x64 "
            "(transferkit.nilm.vi_cnn_features; needs transferkit[torch])."
        ),
        loader=_nilm_loader("efficientnet"),
    )
)
