"""A 1-NN method that coordinates the nodes of the test cluster through marker files.

The Ray workers of :mod:`experiments._ray_cluster` nodes import this module (the tests
folder is on their ``PYTHONPATH``); each node's environment names it
(``TRANSFERKIT_TEST_NODE``). Outside the cluster (the sequential reference run) the
method is a plain 1-NN on the source: the waits change where and when cells run, never
their results.

``mode="meet"``: the first cell on each node waits until a cell has started on every
node of ``nodes`` (so the cells cannot all run on one node). ``mode="meet_within:S"``:
the same wait, for at most ``S`` seconds, then the cell goes on (for runs where a node
may be unable to start any cell). ``mode="die_on:NAME"``:
on node NAME the cell announces itself and hangs until the test kills that node;
elsewhere it first waits for that announcement.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly

NODE_VAR = "TRANSFERKIT_TEST_NODE"
WAIT_S = 60.0


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {WAIT_S} s for {what}")
        time.sleep(0.05)


class CoordinatedKNN(ClassifierMixin, BaseEstimator):
    """k-NN whose ``fit`` first waits on the other nodes (see the module docstring)."""

    def __init__(self, n_neighbors=1, markers="", mode="meet", nodes=()):
        self.n_neighbors = n_neighbors
        self.markers = markers
        self.mode = mode
        self.nodes = nodes

    def _coordinate(self) -> None:
        node = os.environ.get(NODE_VAR)
        if node is None or not self.markers:
            return  # not on the test cluster
        folder = Path(self.markers)
        (folder / f"started.{node}.{os.getpid()}").write_text(str(self.n_neighbors))
        if self.mode == "meet":
            _wait_for(
                lambda: all(any(folder.glob(f"started.{n}.*")) for n in self.nodes),
                f"cells started on every node of {self.nodes}",
            )
        elif self.mode.startswith("meet_within:"):
            deadline = time.monotonic() + float(self.mode.split(":", 1)[1])
            while not all(any(folder.glob(f"started.{n}.*")) for n in self.nodes):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        elif self.mode.startswith("die_on:"):
            doomed = self.mode.split(":", 1)[1]
            if node == doomed:
                (folder / f"running-on-{doomed}").write_text(str(self.n_neighbors))
                time.sleep(10 * WAIT_S)  # until the test kills this node
                raise RuntimeError(f"node {doomed} was not killed")
            _wait_for(lambda: (folder / f"running-on-{doomed}").exists(), f"a cell on {doomed}")

    def fit(self, X, y):
        self._coordinate()
        self.model_ = KNeighborsClassifier(n_neighbors=self.n_neighbors).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def _build(random_state, markers, mode, nodes):
    return SourceOnly(CoordinatedKNN(markers=markers, mode=mode, nodes=tuple(nodes)))


def factory(markers: str | os.PathLike[str], mode: str, nodes=()):
    """The ``register_method`` factory of a coordinated 1-NN source-only model."""
    return functools.partial(_build, markers=str(markers), mode=mode, nodes=tuple(nodes))
