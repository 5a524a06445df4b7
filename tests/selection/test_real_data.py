"""Criteria on a real benchmark task (Office-Caltech SURF, webcam -> dslr)."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from transferkit.datasets import load_task
from transferkit.selection import IWCV, SourceCV, StratifiedSourceKFold, score_candidates

from ._helpers import UnitWeighter

GRID = [1, 3, 9]


@pytest.fixture(scope="module")
def webcam_dslr(data_home):
    return load_task("office_caltech10_surf", "W", "D", data_home=data_home)


def test_criteria_on_real_data_match_scikit_learn(webcam_dslr):
    Xs, ys, Xt, yt = webcam_dslr
    cv = StratifiedSourceKFold(3, random_state=0)
    table = score_candidates(
        KNeighborsClassifier(algorithm="brute"),
        {"n_neighbors": GRID},
        Xs,
        ys,
        Xt,
        criteria=[IWCV(weighter=UnitWeighter()), SourceCV(), "oracle", "snd"],
        y_target=yt,
        cv=cv,
    )
    folds = list(cv.split(Xs, ys))
    for i, k in enumerate(GRID):
        model = KNeighborsClassifier(k, algorithm="brute")
        expected_cv = cross_val_score(model, Xs, ys, cv=folds).mean()
        assert table.scores["source_cv"][i].score == pytest.approx(expected_cv)
        assert table.scores["iwcv"][i].score == pytest.approx(expected_cv - 1.0)
        expected_target = accuracy_score(yt, model.fit(Xs, ys).predict(Xt))
        assert table.scores["oracle"][i].score == pytest.approx(expected_target)
    # 1NN on W -> D is the JDA paper's NN cell (Long et al. 2013, Table 2): 59.24 %
    assert 100 * table.scores["oracle"][0].score == pytest.approx(59.24, abs=0.01)
    assert np.all(np.isfinite(table.table("snd")))
