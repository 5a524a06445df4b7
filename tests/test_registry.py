"""The one name -> entry registry behind methods, suites, selectors, published rows, data."""

import pytest

from transferkit._validation import TransferKitInputError
from transferkit.bench import METHODS, PUBLISHED, SELECTORS, SUITES
from transferkit.datasets import DATASETS
from transferkit.registry import Registry, UnknownNameError


def test_register_lookup_list_and_unregister():
    reg = Registry("colour", protected=("black",))
    reg.register("red", 1)
    reg.register("black", 0)
    assert reg["red"] == 1 and reg.lookup("black") == 0
    assert "red" in reg and "blue" not in reg and len(reg) == 2
    assert reg.names() == ["black", "red"] and list(reg) == ["red", "black"]
    assert dict(reg.items()) == {"red": 1, "black": 0}
    assert reg.get("blue") is None and reg.get("blue", 5) == 5
    with pytest.raises(TransferKitInputError, match="already registered"):
        reg.register("red", 2)
    assert reg.register("red", 2, replace=True) == 2 and reg["red"] == 2
    reg.unregister("red")
    reg.unregister("black")  # protected: kept
    reg.unregister("never_there")  # ignored
    assert reg.names() == ["black"]
    with pytest.raises(TransferKitInputError, match="non-empty string"):
        reg.register("", 3)


def test_unknown_name_error_lists_the_known_names_and_is_a_key_error():
    reg = Registry("colour", hint="See the palette.")
    reg.register("red", 1)
    with pytest.raises(UnknownNameError) as info:
        reg["blue"]
    assert str(info.value) == "unknown colour 'blue'; known: red. See the palette."
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    with pytest.raises(UnknownNameError, match=r"known: \(none\)"):
        Registry("thing").lookup("x")


def test_loader_runs_once_before_the_first_read():
    calls = []
    reg: Registry[int] = Registry("number", loader=lambda: calls.append(reg.register("one", 1)))
    assert calls == []
    assert reg["one"] == 1 and reg.names() == ["one"] and "one" in reg
    assert calls == [1]


def test_the_package_registries_are_registries():
    for reg in (METHODS, SUITES, SELECTORS, PUBLISHED, DATASETS):
        assert isinstance(reg, Registry)
        assert len(reg) > 0
    assert "coral" in METHODS and "office_caltech_surf" in SUITES
    assert {"none", "oracle", "iwcv"} <= set(SELECTORS)
    assert PUBLISHED["office_caltech_surf/coral2016_t3:CORAL"].average_printed == 48.8
    assert DATASETS["mnist_usps"].domains == ("mnist", "usps")
    with pytest.raises(UnknownNameError, match="unknown data set 'nosuch'; known: amazon"):
        DATASETS["nosuch"]
