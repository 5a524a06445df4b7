"""A tiny synthetic suite and method for the runner and CLI tests (milliseconds each).

Imported as fixtures by ``tests/bench/conftest.py`` and ``tests/test_cli.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly
from transferkit.bench import Suite, Task, register_method, register_suite, unregister_method
from transferkit.bench.suites import unregister_suite


def _blobs(seed: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], 10)
    X = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])[y] + rng.normal(size=(30, 2)) + shift
    return X, y


def _load(task: Task):
    Xs, ys = _blobs(0, 0.0)
    Xt, yt = _blobs(int(task.target), 0.5 * int(task.target))
    return Xs, ys, Xt, yt


@pytest.fixture
def tiny_loader():
    """The loader of the synthetic suite: ``loader(task) -> (Xs, ys, Xt, yt)``."""
    return _load


class CountingFactory:
    """Builds 1NN source-only models and counts how many were built."""

    def __init__(self):
        self.calls = 0

    def __call__(self, random_state):
        self.calls += 1
        return SourceOnly(KNeighborsClassifier(n_neighbors=1))


@pytest.fixture
def fake_suite():
    suite = register_suite(
        Suite(
            name="tiny",
            dataset="synthetic",
            tasks=(Task("0->1", "0", "1"), Task("0->2", "0", "2"), Task("0->3", "0", "3")),
            protocol="three synthetic blob tasks with growing shift",
            loader=_load,
        ),
        replace=True,
    )
    yield suite
    unregister_suite("tiny")


@pytest.fixture
def counting_method(fake_suite):
    factory = CountingFactory()
    register_method(
        "tiny_1nn",
        factory,
        description="1NN on the raw source",
        param_grid={"estimator__n_neighbors": [1, 3, 15]},
        replace=True,
    )
    yield factory
    unregister_method("tiny_1nn")
