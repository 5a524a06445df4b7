"""Property-based test: random shapes and values into every discovered estimator.

Whatever the input (bounded sizes: at most 40 rows per domain and 6 features; values
drawn with NaN, infinities, huge, tiny and duplicated numbers), an estimator must
either raise a clear transferkit error or return a finite result, must leave its inputs
unchanged, and must not hang (each example runs under a CPU-time alarm). Hypothesis
runs derandomised, so CI sees the same examples every time.
"""

from __future__ import annotations

import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from test_contract import as_images, build
from transferkit import TransferKitInputError
from transferkit._discovery import all_estimators
from transferkit.base import BaseAdapter, BaseTransferClassifier, BaseWeighter

ESTIMATORS = all_estimators()
SECONDS_PER_EXAMPLE = 60  # CPU seconds; examples take well under 2 s

# Plain values, a few special ones, and magnitudes from tiny to huge. Values beyond
# about 1e150 overflow squared distances in float64; see docs/reliability.md.
SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e100, -1e100, 1e-300, 5e-324, 1.0, 1.0]
values = st.one_of(
    st.floats(-10.0, 10.0, allow_nan=False, width=64),
    st.sampled_from(SPECIAL),
)


@st.composite
def problems(draw):
    n_source = draw(st.integers(1, 40))
    n_target = draw(st.integers(1, 40))
    n_features = draw(st.integers(1, 6))
    special_rate = draw(st.sampled_from([0.0, 0.0, 0.05, 0.5]))
    shape = (n_source + n_target, n_features)
    base = np.asarray(draw(st.lists(values, min_size=8, max_size=8)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(scale=draw(st.sampled_from([1.0, 1e-6, 1e6])), size=shape)
    mask = rng.random(shape) < special_rate
    X[mask] = rng.choice(base, size=int(mask.sum()))
    if draw(st.booleans()):  # duplicated rows
        X[1::2] = X[::2][: len(X[1::2])]
    n_classes = draw(st.integers(1, 3))
    y = rng.integers(0, n_classes, size=n_source)
    yt = rng.integers(0, n_classes, size=n_target)
    yt[rng.random(n_target) < 0.6] = -1
    return X[:n_source], y, X[n_source:], yt


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError if the block uses more than ``seconds`` of CPU time (a hang).

    CPU time, not wall-clock time: on a loaded CI machine an example may wait long for a
    core without being slow itself, while a spinning solver burns CPU and is caught.
    """

    def handler(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, handler)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _check_result(est, Xt):
    if isinstance(est, BaseAdapter):
        out = est.transform(Xt)
        assert np.all(np.isfinite(out)), "transform returned non-finite values"
    if isinstance(est, BaseWeighter):
        assert np.all(np.isfinite(est.weights_)) and np.all(est.weights_ >= 0)
    if isinstance(est, BaseTransferClassifier):
        assert set(np.unique(est.predict(Xt))) <= set(est.classes_)


FAST = [(n, c) for n, c in ESTIMATORS if n != "FineTuneClassifier"]


@pytest.mark.parametrize(("name", "cls"), FAST, ids=[n for n, _ in FAST])
@settings(
    max_examples=20,
    deadline=None,  # the alarm below bounds each example; timing noise is not a failure
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(problem=problems())
def test_random_inputs_give_a_clear_error_or_a_finite_result(name, cls, problem):
    Xs, ys, Xt, yt = problem
    est = build(cls)
    copies = [a.copy() for a in (Xs, ys, Xt, yt)]
    y_target = yt if getattr(est, "_requires_target_labels", False) else None
    try:
        with time_limit(SECONDS_PER_EXAMPLE), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xs, ys, X_target=Xt, y_target=y_target)
            _check_result(est, Xt)
    except (TransferKitInputError, NotFittedError) as exc:
        assert str(exc).strip(), "an error without a message"
    for before, after in zip(copies, (Xs, ys, Xt, yt), strict=True):
        np.testing.assert_array_equal(before, after)


@settings(max_examples=3, deadline=None, derandomize=True, database=None)
@given(problem=problems())
def test_random_inputs_fine_tuning(problem):
    cls = dict(ESTIMATORS)["FineTuneClassifier"]
    Xs, ys, Xt, _ = problem
    est = build(cls)
    Xs_img, Xt_img = as_images(est, Xs, Xt)
    try:
        with time_limit(180), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(Xs_img, ys, X_target=Xt_img)
            _check_result(est, Xt_img)
    except (TransferKitInputError, NotFittedError) as exc:
        assert str(exc).strip()
