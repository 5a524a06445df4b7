"""Benchmark entries of the deep estimators (``transferkit.bench.deep_entries``) and the
LeNet entries of ``benchmarks/deep_digits.py`` (``transferkit.bench.methods_deep_digits``)."""

from __future__ import annotations

import pytest

from transferkit import TransferKitInputError
from transferkit.bench import get_method, list_methods, unregister_method
from transferkit.bench.deep_entries import DEEP_ESTIMATORS, deep_factory, register_deep_method

torch = pytest.importorskip("torch")


def test_the_factory_builds_the_estimator_with_the_settings_and_the_seed():
    import transferkit.deep as deep

    build = deep_factory("DAN", hidden=(8,), epochs=3, mmd_estimator="unbiased")
    clf = build(5)
    assert type(clf) is deep.DAN
    params = clf.get_params()
    assert (params["hidden"], params["epochs"], params["mmd_estimator"]) == ((8,), 3, "unbiased")
    assert params["random_state"] == 5
    assert build(None).random_state == 0
    assert build(5) is not clf  # a fresh estimator per cell
    assert (build.estimator, build.settings) == (
        "DAN",
        {"hidden": (8,), "epochs": 3, "mmd_estimator": "unbiased"},
    )


def test_every_listed_estimator_can_be_built():
    import transferkit.deep as deep

    for name in DEEP_ESTIMATORS:
        assert type(deep_factory(name, epochs=1)(0)) is getattr(deep, name)


def test_bad_factories_are_refused_with_the_fix():
    with pytest.raises(TransferKitInputError, match="M3SDA has its own entries"):
        deep_factory("M3SDA")
    with pytest.raises(TransferKitInputError, match="one of DeepSourceOnly, DANN"):
        deep_factory(None)
    with pytest.raises(TransferKitInputError, match=r"'random_state'.*cell's seed"):
        deep_factory("DANN", random_state=3)
    build = deep_factory("DANN", epoch=10)  # a typo: checked when torch is there
    with pytest.raises(TransferKitInputError, match=r"no parameter of DANN: 'epoch'; .*epochs"):
        build(0)


def test_register_deep_method_registers_an_entry_for_its_suites():
    spec = register_deep_method(
        "test_dann_tiny",
        "DANN",
        settings={"hidden": (4,), "epochs": 1},
        description="DANN, 4-unit MLP, 1 epoch",
        suites=["digits"],
        param_grid={"trade_off": [1.0, 0.1]},
    )
    try:
        assert get_method("test_dann_tiny") is spec
        assert spec.suites == ("digits",) and spec.param_grid == {"trade_off": [1.0, 0.1]}
        clf = spec.build(2, {"trade_off": 0.1})
        assert (clf.hidden, clf.epochs, clf.trade_off, clf.random_state) == ((4,), 1, 0.1, 2)
        with pytest.raises(TransferKitInputError, match="already"):
            register_deep_method("test_dann_tiny", "DANN", settings={}, description="x")
    finally:
        unregister_method("test_dann_tiny")
    with pytest.raises(TransferKitInputError, match="settings must be a mapping"):
        register_deep_method("test_bad", "DANN", settings=[("epochs", 1)], description="x")


def test_the_digits_entries_are_the_scripts_estimators():
    """Each entry equals the estimator benchmarks/deep_digits.py built before it used the
    entries (``cls(image_shape=(1, 16, 16), epochs, lr, random_state, selection=None)``
    with every other parameter at its default), the network named instead of "auto"."""
    import transferkit.deep as deep
    from transferkit.bench.methods_deep_digits import DIGITS_ENTRIES

    rows = {
        "source_only": deep.DeepSourceOnly,
        "DANN": deep.DANN,
        "DAN": deep.DAN,
        "DeepCORAL": deep.DeepCORAL,
        "CDAN+E": deep.CDAN,
        "TADA": deep.TADA,
    }
    assert set(DIGITS_ENTRIES) == set(rows)
    for row, cls in rows.items():
        spec = get_method(DIGITS_ENTRIES[row])
        assert spec.suites == ("digits_pixels",)
        ours = spec.build(2).get_params()
        script = cls(
            image_shape=(1, 16, 16), epochs=10, lr=0.05, random_state=2, selection=None
        ).get_params()
        assert ours.pop("network") == "lenet" and script.pop("network") == "auto", row
        assert ours == script, row
        net = spec.build(0)._build_net(256, 10)  # "auto" with an image shape is the LeNet
        ref = deep.lenet((1, 16, 16), 10, 500, 0.5)
        assert [tuple(p.shape) for p in net.parameters()] == [
            tuple(p.shape) for p in ref.parameters()
        ]


def test_the_digits_entries_run_on_the_pixel_suite_only():
    on_pixels = {s.name for s in list_methods("digits_pixels")}
    on_digits = {s.name for s in list_methods("digits")}
    from transferkit.bench.methods_deep_digits import DIGITS_ENTRIES

    assert set(DIGITS_ENTRIES.values()) <= on_pixels
    assert not set(DIGITS_ENTRIES.values()) & on_digits
