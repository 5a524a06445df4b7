"""The ``classification=False`` path of check_source_target used by regressors."""

import numpy as np
import pytest

from transferkit._validation import LabelError, check_regression_targets, check_source_target


def test_continuous_targets_and_nan_marks_unlabelled():
    rng = np.random.default_rng(0)
    Xs, Xt = rng.normal(size=(5, 2)), rng.normal(size=(4, 2))
    ys = np.array([0.5, -1.0, 2.0, 3.5, 0.0])
    yt = np.array([1.5, np.nan, -1.0, np.nan])
    d = check_source_target(Xs, ys, Xt, yt, classification=False)
    assert d.classes is None
    np.testing.assert_array_equal(d.y, ys)
    np.testing.assert_array_equal(d.target_labelled, [True, False, True, False])  # -1 is a value
    ys_before = ys.copy()
    d.y[0] = 99.0
    np.testing.assert_array_equal(ys, ys_before)  # a copy, never the caller's array


def test_classification_path_is_unchanged():
    rng = np.random.default_rng(0)
    with pytest.raises(LabelError, match="continuous"):
        check_source_target(rng.normal(size=(3, 2)), [0.5, 1.0, 0.0], rng.normal(size=(2, 2)))


@pytest.mark.parametrize(
    ("y", "match"),
    [(["a", "b"], "numbers"), ([[1.0, 2.0]], "1-D"), ([np.inf, 1.0], "non-finite")],
)
def test_bad_regression_targets(y, match):
    with pytest.raises(LabelError, match=match):
        check_regression_targets(y, 2)


def test_nan_in_source_targets_is_refused():
    with pytest.raises(LabelError, match="non-finite"):
        check_regression_targets([np.nan, 1.0], 2)
    assert np.isnan(check_regression_targets([np.nan, 1.0], 2, allow_unlabelled=True)[0])
