import pytest

from transferkit._validation import TransferKitInputError
from transferkit.bench import (
    discover_methods,
    get_method,
    list_methods,
    register_method,
    unregister_method,
)


def test_core_methods_are_discovered():
    assert "methods_core" in discover_methods()
    names = {m.name for m in list_methods("office_caltech_surf")}
    assert {"source_only", "source_only_svm", "pca", "coral"} <= names


def test_core_methods_point_at_their_published_rows():
    assert "coral2016_t3:CORAL" in get_method("coral").published["office_caltech_surf"]
    assert get_method("pca").published["office_caltech_surf"][0] == "jda2013_t2:PCA"
    assert get_method("source_only_svm").published["office_caltech_surf"][0] == "coral2016_t3:NA"


def test_factory_gives_fresh_estimators_with_params():
    spec = get_method("pca")
    a, b = spec.build(0), spec.build(0, {"transfer__n_components": 10})
    assert a is not b
    assert b.get_params()["transfer__n_components"] == 10


def test_duplicate_and_bad_names_are_refused():
    register_method("dup_test", lambda rs: None, description="x")
    try:
        with pytest.raises(TransferKitInputError, match="already registered"):
            register_method("dup_test", lambda rs: None, description="x")
        register_method("dup_test", lambda rs: 1, description="y", replace=True)
        assert get_method("dup_test").description == "y"
    finally:
        unregister_method("dup_test")
    with pytest.raises(TransferKitInputError, match="without commas"):
        register_method("a,b", lambda rs: None, description="x")
    with pytest.raises(TypeError, match="callable"):
        register_method("not_callable", 3, description="x")


def test_unknown_published_reference_is_refused_at_registration():
    with pytest.raises(TransferKitInputError, match="known rows"):
        register_method(
            "bad_ref", lambda rs: None, description="x", published={"digits": "nope:JDA"}
        )
    with pytest.raises(TransferKitInputError, match="table:key"):
        register_method("bad_ref", lambda rs: None, description="x", published={"digits": "JDA"})


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(TransferKitInputError, match="source_only"):
        get_method("no_such_method")


def test_suite_restriction():
    spec = register_method("only_digits", lambda rs: None, description="x", suites=["digits"])
    try:
        assert spec.applies_to("digits") and not spec.applies_to("coil")
        assert "only_digits" not in {m.name for m in list_methods("coil")}
    finally:
        unregister_method("only_digits")


def test_digits_pixels_suite_gives_raw_pixels_in_the_unit_interval():
    from transferkit.bench import get_suite
    from transferkit.datasets import load_domain

    suite = get_suite("digits_pixels")
    assert [t.name for t in suite.tasks] == ["U->M", "M->U"]
    Xs, ys, Xt, _ = suite.load(suite.task("M->U"))
    raw, labels = load_domain("mnist_usps", "mnist", preprocessing="none")
    assert Xs.shape == (2000, 256) and Xt.shape == (1800, 256)
    assert (Xs == raw).all() and (ys == labels).all()
    assert Xs.min() >= 0.0 and Xs.max() <= 1.0
    # the "digits" suite scales each sample to unit norm; this one does not
    assert not (abs((Xs**2).sum(1) - 1.0) < 1e-9).all()
