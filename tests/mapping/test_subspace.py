"""Subspace Alignment and GFK: closed forms, published numbers, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial.legendre import leggauss
from scipy.linalg import orth
from sklearn.base import clone
from sklearn.neighbors import KNeighborsClassifier

from transferkit._validation import DomainMismatchError, TransferKitInputError
from transferkit.datasets import load_task
from transferkit.mapping import GFK, SubspaceAlignment
from transferkit.mapping.subspace import (
    geodesic_flow_kernel,
    pca_basis,
    principal_angles,
    subspace_disagreement_dimension,
)


def _random_subspaces(rng, D=7, d=3):
    Ps = orth(rng.normal(size=(D, d)))
    Pt = orth(Ps + 0.6 * rng.normal(size=(D, d)))
    return Ps, Pt


def _geodesic_by_exponential_map(Ps, Pt, t):
    """Grassmann geodesic from Edelman, Arias & Smith (1998), an independent derivation.

    The tangent at Ps pointing to span(Pt) is H = (I - Ps Ps^T) Pt (Ps^T Pt)^{-1}
    = U tan(S) V^T, and the geodesic is Ps V cos(tS) V^T + U sin(tS) V^T.
    """
    H = (Pt - Ps @ (Ps.T @ Pt)) @ np.linalg.inv(Ps.T @ Pt)
    U, tan_s, Vt = np.linalg.svd(H, full_matrices=False)
    S = np.arctan(tan_s)
    return Ps @ Vt.T @ np.diag(np.cos(t * S)) @ Vt + U @ np.diag(np.sin(t * S)) @ Vt


def test_gfk_kernel_equals_integral_over_the_geodesic(rng):
    Ps, Pt = _random_subspaces(rng)
    nodes, weights = leggauss(40)
    ts = 0.5 * (nodes + 1.0)
    integral = sum(
        0.5 * w * (lambda P: P @ P.T)(_geodesic_by_exponential_map(Ps, Pt, t))
        for t, w in zip(ts, weights, strict=True)
    )
    G = geodesic_flow_kernel(Ps, Pt)
    np.testing.assert_allclose(G, integral, atol=1e-10)
    # the end point of the independent geodesic is indeed the target subspace
    end = _geodesic_by_exponential_map(Ps, Pt, 1.0)
    np.testing.assert_allclose(end @ end.T, Pt @ Pt.T, atol=1e-10)


def test_gfk_kernel_is_symmetric_psd_and_reduces_to_projection(rng):
    Ps, Pt = _random_subspaces(rng, D=9, d=4)
    G = geodesic_flow_kernel(Ps, Pt)
    np.testing.assert_allclose(G, G.T, atol=1e-14)
    assert np.linalg.eigvalsh(G).min() > -1e-12
    np.testing.assert_allclose(geodesic_flow_kernel(Ps, Ps), Ps @ Ps.T, atol=1e-12)
    # a partly shared subspace: zero angles must not produce NaN
    shared = np.hstack([Ps[:, :2], Pt[:, 2:]])
    assert np.all(np.isfinite(geodesic_flow_kernel(Ps, orth(shared))))


def test_gfk_transform_is_isometric_to_the_kernel(rng):
    Xs, Xt = rng.normal(size=(50, 8)), rng.normal(size=(40, 8)) * [1, 2, 1, 3, 1, 1, 2, 1]
    gfk = GFK(n_components=3).fit(Xs, X_target=Xt)
    expected = geodesic_flow_kernel(pca_basis(Xs, 3), pca_basis(Xt, 3))
    np.testing.assert_allclose(gfk.geodesic_kernel_, expected, atol=1e-12)
    Z = gfk.transform(Xs, domain="source")
    np.testing.assert_allclose(Z @ Z.T, Xs @ expected @ Xs.T, atol=1e-10)
    angles = principal_angles(pca_basis(Xs, 3), pca_basis(Xt, 3))
    np.testing.assert_allclose(gfk.principal_angles_, angles)


def test_pca_basis_matches_svd_in_both_regimes(rng):
    for shape in [(40, 6), (6, 40)]:
        X = rng.normal(size=shape) * np.linspace(1, 3, shape[1])
        P = pca_basis(X, 3)
        _, _, Vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
        np.testing.assert_allclose(P @ P.T, Vt[:3].T @ Vt[:3], atol=1e-10)
        np.testing.assert_allclose(P.T @ P, np.eye(3), atol=1e-12)


def test_subspace_alignment_identical_domains_is_identity(rng):
    X = rng.normal(size=(60, 5)) * [3, 2, 1, 0.5, 0.2]
    sa = SubspaceAlignment(n_components=3).fit(X, X_target=X)
    np.testing.assert_allclose(sa.alignment_, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(sa.transform(X, "source"), sa.transform(X, "target"), atol=1e-12)


def test_subspace_alignment_is_the_least_squares_map(rng):
    Xs = rng.normal(size=(70, 6)) * [3, 2, 1, 1, 0.5, 0.2]
    Xt = rng.normal(size=(60, 6)) @ rng.normal(size=(6, 6)) + 4.0
    sa = SubspaceAlignment(n_components=4).fit(Xs, X_target=Xt)
    Ps, Pt = sa.components_source_, sa.components_target_
    M_lstsq = np.linalg.lstsq(Ps, Pt, rcond=None)[0]
    np.testing.assert_allclose(sa.alignment_, M_lstsq, atol=1e-12)
    expected = (Xs - Xs.mean(0)) @ Ps @ Ps.T @ Pt
    np.testing.assert_allclose(sa.transform(Xs, "source"), expected, atol=1e-10)
    np.testing.assert_allclose(sa.transform(Xt, "target"), (Xt - Xt.mean(0)) @ Pt, atol=1e-10)


def test_sdm_dimension_on_orthogonal_domains(rng):
    # source varies along e1 (strongly), e3, e4; target along e2 (strongly), e5, e6.
    # At d = 2 the pooled subspace {e1, e2} holds a direction orthogonal to each
    # domain's subspace ({e1, e3} and {e2, e5}), so D(2) = 1; D(1) = 1/2.
    Xs = np.zeros((200, 6))
    Xt = np.zeros((200, 6))
    Xs[:, [0, 2, 3]] = rng.normal(size=(200, 3)) * [5.0, 1.0, 0.5]
    Xt[:, [1, 4, 5]] = rng.normal(size=(200, 3)) * [5.0, 1.0, 0.5]
    assert subspace_disagreement_dimension(Xs, Xt) == 2
    # identical domains never disagree: the search runs to the end
    assert subspace_disagreement_dimension(Xs, Xs, max_dim=3) == 3
    assert GFK(n_components="sdm").fit(Xs, X_target=Xt).n_components_ == 2
    with pytest.raises(TransferKitInputError, match="max_dim"):
        subspace_disagreement_dimension(Xs, Xt, max_dim=0)
    with pytest.raises(TransferKitInputError, match="at least 2"):
        subspace_disagreement_dimension(Xs[:1], Xt)


def _gfk_1nn_accuracy(source, target, dim):
    Xs, ys, Xt, yt = load_task("office_caltech10_surf", source, target)
    gfk = GFK(n_components=dim).fit(Xs, X_target=Xt)
    knn = KNeighborsClassifier(n_neighbors=1).fit(gfk.transform(Xs, "source"), ys)
    return 100 * np.mean(knn.predict(gfk.transform(Xt, "target")) == yt)


@pytest.mark.parametrize(
    ("source", "target", "dim", "published"),
    [("D", "W", 10, 75.59), ("W", "D", 10, 80.89), ("D", "A", 20, 32.05)],
)
def test_gfk_reproduces_jda_table2_cells(data_home, source, target, dim, published):
    """GFK + 1NN cells of Long et al. (ICCV 2013) Table 2, reproduced to 2 decimals."""
    assert _gfk_1nn_accuracy(source, target, dim) == pytest.approx(published, abs=0.006)


def test_subspace_alignment_beats_no_adaptation_on_surf(data_home):
    Xs, ys, Xt, yt = load_task("office_caltech10_surf", "D", "W")
    sa = SubspaceAlignment(n_components=20).fit(Xs, X_target=Xt)
    knn = KNeighborsClassifier(n_neighbors=1).fit(sa.transform(Xs, "source"), ys)
    acc = 100 * np.mean(knn.predict(sa.transform(Xt, "target")) == yt)
    # 1NN without adaptation: 63.39 (JDA Table 2)
    assert acc > 63.39 + 10


@pytest.mark.parametrize("Method", [SubspaceAlignment, GFK])
def test_sklearn_contract_and_inputs_untouched(Method, rng):
    Xs, Xt = rng.normal(size=(30, 6)), rng.normal(size=(25, 6))
    Xs0, Xt0 = Xs.copy(), Xt.copy()
    est = Method(n_components=2)
    assert clone(est).get_params() == est.get_params()
    fitted = est.fit(Xs, X_target=Xt)
    np.testing.assert_array_equal(Xs, Xs0)
    np.testing.assert_array_equal(Xt, Xt0)
    assert fitted.n_components_ == 2
    assert fitted.fit_transform(Xs, X_target=Xt).shape[0] == 30


@pytest.mark.parametrize("Method", [SubspaceAlignment, GFK])
def test_bad_inputs(Method, rng):
    Xs, Xt = rng.normal(size=(30, 6)), rng.normal(size=(25, 6))
    with pytest.raises(TransferKitInputError, match="n_components=7"):
        Method(n_components=7).fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="n_components"):
        Method(n_components="auto").fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="n_components"):
        Method(n_components=0).fit(Xs, X_target=Xt)
    with pytest.raises(TransferKitInputError, match="X_target is required"):
        Method(n_components=2).fit(Xs)
    with pytest.raises(DomainMismatchError, match="features"):
        Method(n_components=2).fit(Xs, X_target=Xt[:, :5])
    bad = Xs.copy()
    bad[0, 0] = np.nan
    with pytest.raises(TransferKitInputError, match="NaN"):
        Method(n_components=2).fit(bad, X_target=Xt)
    fitted = Method(n_components=2).fit(Xs, X_target=Xt)
    with pytest.raises(DomainMismatchError, match="expected"):
        fitted.transform(Xt[:, :4])
    with pytest.raises(TransferKitInputError, match="domain"):
        fitted.transform(Xt, domain="test")
