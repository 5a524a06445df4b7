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

__all__ = ["SUITES", "Task", "Suite", "register_suite", "get_suite", "list_suites"]

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
    """

    name: str
    dataset: str
    tasks: tuple[Task, ...]
    protocol: str
    loader: Callable[[Task], TaskData] | None = None

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
