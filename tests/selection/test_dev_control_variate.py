"""DEV's control variate is active: it differs from IWCV, and eta matches the paper by hand."""

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from transferkit.selection import DEV, IWCV, StratifiedSourceKFold, score_candidates

from ._helpers import FunctionWeighter, make_knn_shift, true_ratio


def test_dev_differs_from_iwcv_with_an_estimated_density_ratio():
    # before, the input-space weights were fitted on the whole source and rescaled to
    # mean 1 there, so the pooled control variate mean(w) - 1 was 0 and DEV == IWCV
    Xs, ys, Xt, _ = make_knn_shift(seed=0)
    table = score_candidates(
        KNeighborsClassifier(),
        {"n_neighbors": [1, 25, 75]},
        Xs,
        ys,
        Xt,
        criteria=[IWCV(), DEV()],
        random_state=0,
    )
    gaps = np.abs(table.table("dev") - table.table("iwcv"))
    assert gaps.max() > 1e-3
    assert all(abs(s.details["eta"]) > 0 for s in table.scores["dev"])


def test_dev_risk_and_eta_by_hand():
    """You et al. (ICML 2019): eta = -Cov(L, W) / Var(W), R = mean(L) + eta mean(W) - eta."""
    Xs, ys, Xt, _ = make_knn_shift(seed=2)
    cv = StratifiedSourceKFold(3, random_state=0)
    table = score_candidates(
        KNeighborsClassifier(),
        {"n_neighbors": [15]},
        Xs,
        ys,
        Xt,
        criteria=[DEV(weighter=FunctionWeighter(true_ratio))],
        cv=cv,
        random_state=0,
    )
    losses, weights = [], []
    for train, val in cv.split(Xs, ys):
        model = KNeighborsClassifier(15).fit(Xs[train], ys[train])
        losses.append((model.predict(Xs[val]) != ys[val]).astype(float))
        # the ratio is rescaled to mean 1 on the training source it was fitted on
        weights.append(true_ratio(Xs[val]) / true_ratio(Xs[train]).mean())
    ell, w = np.concatenate(losses), np.concatenate(weights)
    L = w * ell
    eta = -np.cov(L, w, ddof=1)[0, 1] / np.var(w, ddof=1)
    risk = L.mean() + eta * w.mean() - eta
    score = table.scores["dev"][0]
    assert score.details["eta"] == pytest.approx(eta, rel=1e-10)
    assert score.score == pytest.approx(-risk, rel=1e-10)
    assert abs(w.mean() - 1.0) > 1e-3  # the control variate has something to correct
