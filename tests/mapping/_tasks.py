"""Shared helper: evaluate an adapter with 1-NN on a benchmark task (the papers' protocol)."""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from transferkit.datasets import load_task


def one_nn_accuracy(adapter, dataset: str, source: str, target: str) -> float:
    """Fit ``adapter`` on the task, train 1-NN on the mapped source, return target accuracy %."""
    Xs, ys, Xt, yt = load_task(dataset, source, target)
    adapter.fit(Xs, ys, X_target=Xt)
    clf = KNeighborsClassifier(n_neighbors=1).fit(adapter.transform(Xs, "source"), ys)
    return 100.0 * float(np.mean(clf.predict(adapter.transform(Xt, "target")) == yt))
