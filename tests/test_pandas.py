"""pandas input: names stored at fit, reordered/renamed columns refused, pandas output."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from transferkit import (
    CORAL,
    TCA,
    DomainMismatchError,
    JointPCA,
    TargetDomain,
    make_transfer_pipeline,
)
from transferkit._discovery import all_estimators
from transferkit.base import BaseAdapter, BaseWeighter
from transferkit.instance import KMM, ULSIF, ImportanceWeighted

pd = pytest.importorskip("pandas")  # a test dependency (the "dev" extra), never a runtime one

COLUMNS = ["height", "weight", "age"]


@pytest.fixture
def frames(shifted_blobs):
    Xs, ys, Xt, yt = shifted_blobs
    Ds = pd.DataFrame(Xs, columns=COLUMNS)
    Dt = pd.DataFrame(Xt, columns=COLUMNS, index=[f"t{i}" for i in range(len(Xt))])
    return Ds, ys, Dt, yt


def test_reordered_columns_raise_instead_of_being_used_by_position(rng):
    Xs = rng.normal(size=(300, 3))
    Xt = rng.normal(size=(200, 3)) * [1.5, 1.0, 0.7] + [0.3, 0.0, 0.0]
    ys, yt = (Xs[:, 0] > 0).astype(int), (Xt[:, 0] > 0.3).astype(int)
    Ds, Dt = pd.DataFrame(Xs, columns=COLUMNS), pd.DataFrame(Xt, columns=COLUMNS)
    model = make_transfer_pipeline(CORAL(), LogisticRegression()).fit(Ds, ys, X_target=Dt)
    np.testing.assert_array_equal(model.feature_names_in_, COLUMNS)
    good = model.score(Dt, yt)
    assert good > 0.9
    reordered = Dt[["weight", "height", "age"]]
    # what used to happen silently: the columns taken by position
    assert model.score(reordered.to_numpy(), yt) < good - 0.3
    with pytest.raises(DomainMismatchError, match="same columns in a different order"):
        model.predict(reordered)
    renamed = Dt.rename(columns={"age": "years"})
    with pytest.raises(DomainMismatchError, match=r"unexpected column\(s\) \['years'\]"):
        model.predict_proba(renamed)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(Dt.to_numpy())
    plain = make_transfer_pipeline(CORAL(), LogisticRegression())
    plain.fit(Ds.to_numpy(), ys, X_target=Dt.to_numpy())
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        plain.predict(Dt)


def test_target_columns_must_match_the_source_columns(frames):
    Ds, ys, Dt, _ = frames
    with pytest.raises(DomainMismatchError, match="X_target's columns do not match"):
        CORAL().fit(Ds, ys, X_target=Dt[COLUMNS[::-1]])
    with pytest.raises(DomainMismatchError, match="X_target's columns"):
        make_transfer_pipeline(KMM(), LogisticRegression()).fit(
            Ds, ys, X_target=TargetDomain(Dt[COLUMNS[::-1]])
        )


@pytest.mark.parametrize(("name", "cls"), all_estimators(), ids=[n for n, _ in all_estimators()])
def test_every_estimator_stores_feature_names_and_checks_them(name, cls, frames):
    from tests.test_contract import as_images, build, fit

    Ds, ys, Dt, yt = frames
    est = build(cls)
    if "image_shape" in est.get_params(deep=False):
        Xs, Xt = as_images(est, Ds.to_numpy(), Dt.to_numpy())
        columns = [f"p{i}" for i in range(Xs.shape[1])]
        Ds, Dt = pd.DataFrame(Xs, columns=columns), pd.DataFrame(Xt, columns=columns)
    est = fit(est, Ds, ys, Dt, yt)
    np.testing.assert_array_equal(est.feature_names_in_, list(Ds.columns))
    method = "predict"
    if isinstance(est, BaseAdapter):
        method = "transform"
    elif isinstance(est, BaseWeighter):
        method = "compute_weights"
    getattr(est, method)(Dt)  # the right columns: works
    with pytest.raises(DomainMismatchError, match="feature names"):
        getattr(est, method)(Dt[list(Dt.columns)[::-1]])


@pytest.mark.parametrize(
    ("adapter", "names"),
    [
        (CORAL(), ["coral0", "coral1", "coral2"]),
        (TCA(n_components=2, kernel="linear"), ["tca0", "tca1"]),
        (JointPCA(n_components=2), ["jointpca0", "jointpca1"]),
    ],
    ids=["CORAL", "TCA", "JointPCA"],
)
def test_adapters_support_pandas_output(adapter, names, frames):
    Ds, ys, Dt, _ = frames
    adapter = adapter.set_output(transform="pandas").fit(Ds, ys, X_target=Dt)
    out = adapter.transform(Dt)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == names == list(adapter.get_feature_names_out())
    assert list(out.index) == list(Dt.index)
    expected = adapter.set_output(transform="default").transform(Dt.to_numpy())
    np.testing.assert_allclose(out.to_numpy(), expected)
    source = adapter.set_output(transform="pandas").fit_transform(Ds, ys, X_target=Dt)
    assert isinstance(source, pd.DataFrame) and list(source.columns) == names


def test_pandas_output_of_an_inner_step_flows_through_the_pipeline(frames):
    Ds, ys, Dt, _ = frames
    model = make_transfer_pipeline(
        CORAL().set_output(transform="pandas"), ULSIF(), LogisticRegression()
    )
    model.fit(Ds, ys, X_target=Dt)
    assert list(model.named_steps_.ulsif.feature_names_in_) == ["coral0", "coral1", "coral2"]
    np.testing.assert_array_equal(model.predict(Dt), model.predict(Dt.to_numpy().copy()))


def test_importance_weighted_with_frames(frames):
    Ds, ys, Dt, yt = frames
    model = ImportanceWeighted(LogisticRegression(), ULSIF()).fit(Ds, ys, X_target=Dt)
    assert model.score(Dt, yt) > 0.5
    with pytest.raises(DomainMismatchError):
        model.predict(Dt[COLUMNS[::-1]])


def test_transferkit_imports_without_pandas():
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import transferkit, transferkit.instance, transferkit.mapping, transferkit.selection\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
