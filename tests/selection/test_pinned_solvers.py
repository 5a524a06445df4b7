"""Selection fits every fold and the refit with the same automatically chosen KMM solver."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from transferkit.instance import KMM, ImportanceWeighted
from transferkit.selection import select
from transferkit.selection._problem import pin_solvers


def test_pin_solvers_resolves_nested_auto_choices():
    model = ImportanceWeighted(LogisticRegression(), KMM())
    pinned = pin_solvers(model, 1100)
    assert pinned.weighter.solver == "pgd"  # 1100 samples: pgd; a 4/5 fold alone: qp
    assert model.weighter.solver == "auto"  # the candidate itself is left untouched
    assert pin_solvers(KMM(), 500).solver == "qp"
    assert pin_solvers(KMM(solver="nystroem"), 500).solver == "nystroem"
    assert pin_solvers(LogisticRegression(), 500).get_params() == LogisticRegression().get_params()


def test_cv_folds_and_refit_run_the_same_solver(monkeypatch):
    rng = np.random.default_rng(0)
    # 1,100 source samples: a 5-fold training part has 880 (<= 1,000, "qp" on its own)
    Xs = rng.normal(size=(1100, 2))
    ys = (Xs[:, 0] + 0.3 * rng.normal(size=1100) > 0).astype(int)
    Xt = rng.normal(size=(300, 2)) + np.array([0.5, 0.0])
    ran = []
    fit = KMM._fit

    def recording_fit(self, data):
        weights = fit(self, data)
        ran.append((data.X.shape[0], self.solver_))
        return weights

    monkeypatch.setattr(KMM, "_fit", recording_fit)
    model = ImportanceWeighted(LogisticRegression(), KMM(sigma=1.0, max_iter=50, tol=0.5))
    result = select(
        model, {"estimator__C": [1.0]}, Xs, ys, Xt, criterion="iwcv", cv=5, random_state=0
    )
    sizes = {n for n, _ in ran}
    assert 880 in sizes and 1100 in sizes  # folds and the refit both ran KMM
    assert {solver for _, solver in ran} == {"pgd"}
    assert result.best_estimator.weighter_.solver_ == "pgd"
