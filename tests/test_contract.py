"""Every transferkit estimator honours the core contract (one parametrised test each)."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from transferkit import (
    CORAL,
    SourceOnly,
    TargetDomain,
    TransferKitInputError,
    make_transfer_pipeline,
)
from transferkit._discovery import all_estimators
from transferkit.base import BaseAdapter, BaseTransferEstimator, BaseWeighter
from transferkit.instance import ULSIF

# Arguments for constructor parameters that have no default.
REQUIRED = {
    "estimator": lambda: LogisticRegression(max_iter=200),
    "transfer": lambda: CORAL(),
    "method": lambda: make_transfer_pipeline(CORAL(), LogisticRegression(max_iter=200)),
    "baseline": lambda: SourceOnly(LogisticRegression(max_iter=200)),
    "weighter": lambda: ULSIF(),
    "steps": lambda: [("coral", CORAL()), ("logisticregression", LogisticRegression())],
}

# Small values for dimension-like parameters so that 3-feature test data suffices.
SMALL = {"n_components": 2, "dim": 2, "subspace_dim": 2, "k": 2}
# Image models are trained briefly on the test features tiled into 16x16 images.
IMAGE = {"epochs": 1, "pretrain_epochs": 1, "verbose": False}


def as_images(est, *arrays):
    """Tile 3-feature test data to 256 pixels for estimators that expect 16x16 images."""
    if "image_shape" not in est.get_params(deep=False):
        return arrays
    return tuple(np.tile(a, (1, 86))[:, :256] for a in arrays)


ESTIMATORS = all_estimators()


def build(cls):
    kwargs = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if param.default is inspect.Parameter.empty:
            if name not in REQUIRED:
                pytest.fail(f"add a test value for required parameter {name!r} of {cls.__name__}")
            kwargs[name] = REQUIRED[name]()
    est = cls(**kwargs)
    params = est.get_params(deep=False)
    small = {k: v for k, v in SMALL.items() if k in params}
    if "image_shape" in params:
        small.update({k: v for k, v in IMAGE.items() if k in params})
    return est.set_params(**small)


def partial_labels(est, yt, *, always=False):
    """Every third target label kept (-1, or NaN for regressors, marks the others).

    None when the estimator does not need target labels, unless ``always``.
    """
    if not always and not getattr(est, "_requires_target_labels", False):
        return None
    if is_regressor(est):
        y_partial = np.full(yt.shape, np.nan)
    else:
        y_partial = np.full_like(yt, -1)
    y_partial[::3] = yt[::3]
    return y_partial


def fit(est, Xs, ys, Xt, yt):
    return est.fit(Xs, ys, X_target=Xt, y_target=partial_labels(est, yt))


def test_discovery_finds_core_estimators():
    names = {name for name, _ in ESTIMATORS}
    assert {
        "CORAL",
        "JointPCA",
        "SourceOnly",
        "TargetOnly",
        "TransferPipeline",
        "ImportanceWeighted",
        "TrAdaBoostR2",
    } <= names


@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=[n for n, _ in ESTIMATORS])
def test_clone_get_set_params_round_trip(name, cls):
    est = build(cls)
    params = est.get_params(deep=False)
    twin = clone(est)
    assert type(twin) is cls
    for key, value in twin.get_params(deep=False).items():
        original = params[key]
        if hasattr(original, "get_params"):
            assert type(value) is type(original)
        elif key == "steps":  # (name, estimator) pairs are cloned one by one
            assert [(n, type(e)) for n, e in value] == [(n, type(e)) for n, e in original]
        else:
            assert value is original or value == original
    assert est.set_params(**params) is est


@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=[n for n, _ in ESTIMATORS])
def test_fit_does_not_modify_inputs_and_is_picklable(name, cls, shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    est = build(cls)
    Xs, Xt = as_images(est, Xs, Xt)
    copies = [a.copy() for a in (Xs, ys, Xt, yt)]
    est = fit(est, Xs, ys, Xt, yt)
    for before, after in zip(copies, (Xs, ys, Xt, yt), strict=True):
        np.testing.assert_array_equal(before, after)
    assert est.n_features_in_ == Xs.shape[1]
    restored = pickle.loads(pickle.dumps(est))
    if isinstance(est, BaseAdapter):
        out = est.transform(Xt)
        assert out.shape[0] == len(Xt) and np.all(np.isfinite(out))
        np.testing.assert_allclose(restored.transform(Xt), out)
    elif isinstance(est, BaseWeighter):
        assert est.weights_.shape == (len(Xs),) and np.all(est.weights_ >= 0)
    else:
        assert isinstance(est, BaseTransferEstimator)
        pred = est.predict(Xt)
        if is_classifier(est):
            assert set(np.unique(pred)) <= set(np.unique(ys))
        else:
            assert is_regressor(est) and pred.shape == (len(Xt),)
            assert np.all(np.isfinite(pred))
        np.testing.assert_array_equal(restored.predict(Xt), pred)


BAD_INPUTS = {
    "nan in source": lambda Xs, ys, Xt: (np.where(np.eye(*Xs.shape) > 0, np.nan, Xs), ys, Xt),
    "inf in target": lambda Xs, ys, Xt: (Xs, ys, np.full_like(Xt, np.inf)),
    "1-D source": lambda Xs, ys, Xt: (Xs[:, 0], ys, Xt),
    "feature mismatch": lambda Xs, ys, Xt: (Xs, ys, Xt[:, :2]),
    "empty target": lambda Xs, ys, Xt: (Xs, ys, Xt[:0]),
}


BAD_CASES = [
    (name, cls, case)
    for name, cls in ESTIMATORS
    for case in sorted(BAD_INPUTS)
    # Estimators that ignore the target (SourceOnly) need not inspect its values.
    if getattr(cls, "_requires_target", True) or case not in ("empty target", "inf in target")
]


@pytest.mark.parametrize(
    ("name", "cls", "case"), BAD_CASES, ids=[f"{n}-{c}" for n, _, c in BAD_CASES]
)
def test_bad_input_is_rejected_with_a_clear_error(name, cls, case, shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    est = build(cls)
    Xs, Xt = as_images(est, Xs, Xt)
    Xs2, ys2, Xt2 = BAD_INPUTS[case](Xs, ys, Xt)
    with pytest.raises((TransferKitInputError, ValueError)) as err:
        fit(est, Xs2, ys2, Xt2, yt)
    message = str(err.value)
    assert any(word in message for word in ("X", "feature", "sample", "NaN", "infinite")), message


def test_grid_search_with_target_as_fit_parameter(shifted_blobs):
    from sklearn.neighbors import KNeighborsClassifier

    from transferkit import make_transfer_pipeline, source_domain_scorer

    Xs, ys, Xt, _ = shifted_blobs
    pipe = make_transfer_pipeline(CORAL(), KNeighborsClassifier(1))
    search = GridSearchCV(
        pipe, {"transfer__lambda_": [0.1, 10.0]}, cv=3, scoring=source_domain_scorer
    )
    search.fit(Xs, ys, X_target=Xt)
    assert search.best_params_["transfer__lambda_"] in (0.1, 10.0)
    # A target exactly as large as the source would be sliced by sklearn as a
    # sample-aligned fit parameter; TargetDomain keeps it whole.
    Xt_same = Xt[np.arange(len(Xs)) % len(Xt)]
    search.fit(Xs, ys, X_target=TargetDomain(Xt_same))
    assert search.best_estimator_.transfer_.covariance_target_.shape == (3, 3)


@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=[n for n, _ in ESTIMATORS])
def test_every_estimator_works_inside_grid_search(name, cls, shifted_blobs):
    from transferkit import make_transfer_pipeline

    Xs, ys, Xt, yt = shifted_blobs
    est = build(cls)
    Xs, Xt = as_images(est, Xs, Xt)
    if isinstance(est, BaseAdapter | BaseWeighter):
        est = make_transfer_pipeline(est, LogisticRegression(max_iter=200))
    search = GridSearchCV(est, [{}], cv=2, error_score="raise")
    search.fit(Xs, ys, X_target=TargetDomain(Xt, partial_labels(est, yt, always=True)))
    assert search.predict(Xt).shape == (len(Xt),)


def _fitted_methods(est):
    """(name, call) of every method that needs a fitted estimator."""
    X = np.ones((4, 3))
    calls = [("predict", lambda: est.predict(X)), ("transform", lambda: est.transform(X))]
    calls += [("predict_proba", lambda: est.predict_proba(X))]
    calls += [("decision_function", lambda: est.decision_function(X))]
    calls += [("compute_weights", lambda: est.compute_weights(X))]
    return [(name, call) for name, call in calls if hasattr(est, name)]


@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=[n for n, _ in ESTIMATORS])
def test_use_before_fit_raises_not_fitted_error(name, cls):
    from sklearn.exceptions import NotFittedError

    est = build(cls)
    methods = _fitted_methods(est)
    assert methods, f"{name} exposes none of predict/transform/compute_weights"
    for method, call in methods:
        with pytest.raises(NotFittedError, match="not fitted"):
            call()
            pytest.fail(f"{name}.{method} ran before fit")


# ---------------------------------------------------------------------------
# Several domains, one contract: the stacked (skada) forms and the source count.


def seeded(est):
    """Fix every seed so that two fits of the same data can be compared exactly."""
    params = est.get_params(deep=True)
    seeds = {k: 0 for k in params if k.split("__")[-1] in ("random_state", "seed")}
    return est.set_params(**seeds)


def outputs(est, Xt):
    """What a fitted estimator produces, by role."""
    if isinstance(est, BaseAdapter):
        return [est.transform(Xt), est.transform(Xt, domain="source")]
    if isinstance(est, BaseWeighter):
        return [est.weights_, est.compute_weights(Xt)]
    out = [est.predict(Xt)]
    try:
        out.append(est.predict_proba(Xt))
    except AttributeError:
        pass
    return out


def max_sources(est):
    """How many sources an estimator accepts (a pipeline: the fewest its steps accept)."""
    if not getattr(est, "_passes_domains", False):
        return est._max_sources
    steps = [v for v in est.get_params(deep=True).values() if hasattr(v, "_max_sources")]
    limits = [max_sources(step) for step in steps]
    limits = [limit for limit in limits if limit is not None]
    return min(limits) if limits else None


@pytest.mark.filterwarnings("ignore::transferkit.WeightCollapseWarning")
@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=[n for n, _ in ESTIMATORS])
def test_two_domain_and_stacked_forms_agree(name, cls, shifted_blobs):
    """``fit(Xs, ys, X_target=Xt)``, the stacked form and skada's fully stacked form agree."""
    Xs, ys, Xt, yt = shifted_blobs
    est = seeded(build(cls))
    Xs, Xt = as_images(est, Xs, Xt)
    y_partial = partial_labels(est, yt)
    plain = clone(est).fit(Xs, ys, X_target=Xt, y_target=y_partial)
    stacked = clone(est).fit(
        Xs, ys, X_target=Xt, y_target=y_partial, sample_domain=np.full(len(Xs), 1)
    )
    # skada's fully stacked form: target rows inside X, id -2, y = -1 when unlabelled;
    # the rows are interleaved to check that order within a domain is all that counts.
    order = np.argsort(np.r_[np.arange(len(Xs)) * 2.0, np.arange(len(Xt)) * 2.0 + 1.0])
    X_all = np.vstack([Xs, Xt])[order]
    yt_rows = np.full_like(yt, -1) if y_partial is None else y_partial
    y_all = np.r_[ys, yt_rows][order]
    domains = np.r_[np.full(len(Xs), 1), np.full(len(Xt), -2)][order]
    skada_form = clone(est).fit(X_all, y_all, sample_domain=domains)
    expected = outputs(plain, Xt)
    for other in (stacked, skada_form):
        for a, b in zip(expected, outputs(other, Xt), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def two_sources(Xs, ys):
    """Split the source into two domains with ids 1 and 3 (both hold every class)."""
    return np.where(np.arange(len(Xs)) % 2 == 0, 1, 3)


SINGLE = [(n, c) for n, c in ESTIMATORS if max_sources(build(c)) == 1]
MULTI = [(n, c) for n, c in ESTIMATORS if max_sources(build(c)) != 1]


@pytest.mark.filterwarnings("ignore::transferkit.WeightCollapseWarning")
@pytest.mark.parametrize(("name", "cls"), SINGLE, ids=[n for n, _ in SINGLE])
def test_single_source_estimators_refuse_several_sources(name, cls, shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    est = build(cls)
    Xs, Xt = as_images(est, Xs, Xt)
    with pytest.raises(TransferKitInputError) as err:
        est.fit(
            Xs, ys, X_target=Xt, y_target=partial_labels(est, yt), sample_domain=two_sources(Xs, ys)
        )
    message = str(err.value)
    for word in ("2 sources", "[1, 3]", "pool_sources", "drop sample_domain", "SourceOnly"):
        assert word in message, message


@pytest.mark.filterwarnings("ignore::transferkit.WeightCollapseWarning")
@pytest.mark.parametrize(("name", "cls"), SINGLE, ids=[n for n, _ in SINGLE])
def test_pooling_explicitly_equals_one_source(name, cls, shifted_blobs):
    from transferkit.compat import pool_sources

    Xs, ys, Xt, yt = shifted_blobs
    est = seeded(build(cls))
    Xs, Xt = as_images(est, Xs, Xt)
    y_partial = partial_labels(est, yt)
    pooled = clone(est).fit(
        Xs, ys, X_target=Xt, y_target=y_partial, sample_domain=pool_sources(two_sources(Xs, ys))
    )
    plain = clone(est).fit(Xs, ys, X_target=Xt, y_target=y_partial)
    for a, b in zip(outputs(plain, Xt), outputs(pooled, Xt), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore::transferkit.WeightCollapseWarning")
@pytest.mark.parametrize(("name", "cls"), MULTI, ids=[n for n, _ in MULTI])
def test_multi_source_estimators_accept_several_sources(name, cls, shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    est = seeded(build(cls))
    Xs, Xt = as_images(est, Xs, Xt)
    y_partial = partial_labels(est, yt)
    ids = two_sources(Xs, ys)
    fitted = clone(est).fit(Xs, ys, X_target=Xt, y_target=y_partial, sample_domain=ids)
    assert fitted.n_features_in_ == Xs.shape[1]
    for out in outputs(fitted, Xt):
        assert np.all(np.isfinite(np.asarray(out, dtype=float)))


def test_pooling_baselines_pool_the_sources(shifted_blobs):
    from transferkit import SourceOnly, TargetOnly

    Xs, ys, Xt, yt = shifted_blobs
    ids = two_sources(Xs, ys)
    y_partial = np.where(np.arange(len(yt)) % 3 == 0, yt, -1)
    for cls in (SourceOnly, TargetOnly):
        several = cls(LogisticRegression()).fit(
            Xs, ys, X_target=Xt, y_target=y_partial, sample_domain=ids
        )
        one = cls(LogisticRegression()).fit(Xs, ys, X_target=Xt, y_target=y_partial)
        np.testing.assert_allclose(several.predict_proba(Xt), one.predict_proba(Xt))
    # A class seen by only one source still belongs to the pooled label space.
    ys2 = np.where(ids == 3, np.minimum(ys, 1), ys)
    model = SourceOnly(LogisticRegression()).fit(Xs, ys2, sample_domain=ids)
    assert model.classes_.tolist() == [0, 1, 2]


def test_pipeline_passes_the_domains_to_its_step(shifted_blobs):
    from transferkit import make_transfer_pipeline

    Xs, ys, Xt, _ = shifted_blobs
    pipe = make_transfer_pipeline(CORAL(), LogisticRegression())
    with pytest.raises(TransferKitInputError, match="CORAL accepts one source domain"):
        pipe.fit(Xs, ys, X_target=Xt, sample_domain=two_sources(Xs, ys))
    # The step sees exactly the domains the pipeline got (here: skada's stacked form).
    X_all = np.vstack([Xs, Xt])
    y_all = np.r_[ys, np.full(len(Xt), -1)]
    ids = np.r_[np.ones(len(Xs), int), np.full(len(Xt), -2)]
    stacked = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(
        X_all, y_all, sample_domain=ids
    )
    plain = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(Xs, ys, X_target=Xt)
    np.testing.assert_allclose(
        stacked.transfer_.covariance_target_, plain.transfer_.covariance_target_
    )
