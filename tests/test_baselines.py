import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from transferkit import SourceOnly, TargetOnly
from transferkit.datasets import load_task

SURF_TASKS = [(s, t) for s in "CAWD" for t in "CAWD" if s != t]
# Long et al. ICCV 2013, Table 2, NN column (PUBLISHED_RESULTS.md section 1a).
JDA_PAPER_NN = {
    "CA": 23.70, "CW": 25.76, "CD": 25.48, "AC": 26.00, "AW": 29.83, "AD": 25.48,
    "WC": 19.86, "WA": 22.96, "WD": 59.24, "DC": 26.27, "DA": 28.50, "DW": 63.39,
}  # fmt: skip


def test_source_only_1nn_reproduces_jda_paper_exactly(data_home):
    accuracies = []
    for s, t in SURF_TASKS:
        Xs, ys, Xt, yt = load_task("office_caltech10_surf", s, t)
        acc = 100 * SourceOnly(KNeighborsClassifier(1)).fit(Xs, ys).score(Xt, yt)
        assert round(acc, 2) == JDA_PAPER_NN[s + t], (s, t, acc)
        accuracies.append(acc)
    assert round(float(np.mean(accuracies)), 2) == 31.37


def test_target_only_uses_only_labelled_target_and_aligns_proba(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    partial = np.full_like(yt, -1)
    keep = np.flatnonzero(yt != 2)[::4]  # class 2 never labelled in the target
    partial[keep] = yt[keep]
    model = TargetOnly(LogisticRegression()).fit(Xs, ys, X_target=Xt, y_target=partial)
    proba = model.predict_proba(Xt)
    assert proba.shape == (len(Xt), 3)
    np.testing.assert_allclose(proba[:, 2], 0.0)
    assert model.estimator_.n_features_in_ == 3
    # Moving the source does not change a target-only model.
    moved = TargetOnly(LogisticRegression()).fit(Xs + 100, ys, X_target=Xt, y_target=partial)
    np.testing.assert_allclose(moved.predict_proba(Xt), proba)


def test_source_only_ignores_target(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    a = SourceOnly(LogisticRegression()).fit(Xs, ys).predict_proba(Xt)
    b = SourceOnly(LogisticRegression()).fit(Xs, ys, X_target=Xt, y_target=yt).predict_proba(Xt)
    np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="domain='test'"):
        SourceOnly(LogisticRegression()).fit(Xs, ys).predict(Xt, domain="test")


def test_labelled_target_as_source_appends_the_labelled_target_to_the_source(shifted_blobs):
    from transferkit.baselines import LabelledTargetAsSource

    Xs, ys, Xt, yt = shifted_blobs
    partial = np.full_like(yt, -1)
    keep = np.flatnonzero(yt >= 0)[::5]
    partial[keep] = yt[keep]
    model = LabelledTargetAsSource(LogisticRegression(max_iter=500))
    model.fit(Xs, ys, X_target=Xt, y_target=partial)
    # the same classifier fitted by hand on the source with the labelled rows appended
    by_hand = LogisticRegression(max_iter=500).fit(np.vstack([Xs, Xt[keep]]), np.r_[ys, yt[keep]])
    np.testing.assert_array_equal(model.estimator_.coef_, by_hand.coef_)
    np.testing.assert_array_equal(model.predict(Xt), by_hand.predict(Xt))
    assert model.n_target_labelled_ == len(keep)
    # no labelled target sample (none given, or all -1): the source-only fit
    alone = SourceOnly(LogisticRegression(max_iter=500)).fit(Xs, ys).predict(Xt)
    for y_target in (None, np.full_like(yt, -1)):
        fitted = LabelledTargetAsSource(LogisticRegression(max_iter=500)).fit(
            Xs, ys, X_target=Xt, y_target=y_target
        )
        np.testing.assert_array_equal(fitted.predict(Xt), alone)
        assert fitted.n_target_labelled_ == 0
    assert partial[keep[0]] == yt[keep[0]]  # inputs left as they were


def test_labelled_target_as_source_passes_the_whole_target_to_a_transfer_method(shifted_blobs):
    from transferkit import CORAL, make_transfer_pipeline
    from transferkit.baselines import LabelledTargetAsSource

    Xs, ys, Xt, yt = shifted_blobs
    partial = np.full_like(yt, -1)
    keep = np.flatnonzero(yt >= 0)[::7]
    partial[keep] = yt[keep]
    inner = make_transfer_pipeline(CORAL(), LogisticRegression(max_iter=500))
    model = LabelledTargetAsSource(inner).fit(Xs, ys, X_target=Xt, y_target=partial)
    # CORAL aligned the pooled training rows to every target row, labelled or not
    by_hand = make_transfer_pipeline(CORAL(), LogisticRegression(max_iter=500)).fit(
        np.vstack([Xs, Xt[keep]]), np.r_[ys, yt[keep]], X_target=Xt
    )
    np.testing.assert_array_equal(model.predict(Xt), by_hand.predict(Xt))
    assert model.estimator_.domains_.X_target.shape == Xt.shape
