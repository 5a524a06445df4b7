"""Label vocabulary and alignment of two NILM label spaces."""

from __future__ import annotations

import numpy as np
import pytest

from transferkit._validation import LabelError
from transferkit.nilm.labels import (
    LABEL_MAP,
    RESISTIVE_HEATER_GROUP,
    align_labels,
    canonical_label,
    canonical_labels,
)


def test_published_names_map_to_one_vocabulary():
    assert canonical_label("Fridge") == canonical_label("fridge") == "fridge"
    assert canonical_label("AC") == canonical_label("air_conditioner") == "air_conditioner"
    assert canonical_label("Air Conditioner") == "air_conditioner"
    assert canonical_label("LaptopCharger") == canonical_label("laptop") == "laptop"
    assert canonical_label("electric_kettle") == canonical_label("Water kettle") == "kettle"
    # case and separators do not matter for listed names; unlisted names become snake case
    assert canonical_label("WATER_KETTLE") == "kettle"
    assert canonical_label("GameConsole") == canonical_label("game console") == "game_console"
    assert canonical_label("LEDLight") == "led_light"
    assert canonical_label("Fridge", {"Fridge": "cold"}) == "cold"  # overrides
    assert all(v == v.lower() for v in LABEL_MAP.values())


def test_plaid_and_hfhadc_share_four_classes():
    from transferkit.datasets.nilm import PLAID_NAMES

    hfhadc = [
        "air_conditioner", "desktop_pc", "electric_kettle", "fridge", "induction_cooker",
        "laptop", "range_hood", "rice_cooker", "tv_xiaomi5", "washing_machine",
        "water_dispenser", "water_heater",
    ]  # fmt: skip
    plaid = list(PLAID_NAMES.values())
    al = align_labels(plaid, hfhadc)
    assert al.classes == ("air_conditioner", "fridge", "kettle", "laptop")
    assert "coffee_maker" in al.only_a and "water_heater" in al.only_b
    np.testing.assert_array_equal(
        np.array(plaid)[al.mask_a], ["Water kettle", "AC", "LaptopCharger", "Fridge"]
    )
    # the codes agree across data sets
    assert [al.classes[c] for c in al.y_a] == al.names_a[al.mask_a].tolist()
    assert [al.classes[c] for c in al.y_b] == al.names_b[al.mask_b].tolist()
    merged = align_labels(plaid, hfhadc, merge=RESISTIVE_HEATER_GROUP)
    assert merged.classes == ("air_conditioner", "fridge", "laptop", "resistive_heater")
    assert merged.names_b.tolist().count("resistive_heater") == 4  # kettle, rice, dispenser, heater
    assert "induction_cooker" in merged.only_b  # power electronics, not a resistive heater


def test_integer_codes_with_class_names():
    al = align_labels(
        [0, 1, 2, 1], [1, 0], classes_a=["Fan", "Fridge", "AC"], classes_b=["fridge", "fan"]
    )
    assert (
        al.classes == ("fan", "fridge")
        and al.y_a.tolist() == [0, 1, 1]
        and al.y_b.tolist() == [0, 1]  # b: "fan", "fridge"
    )
    assert al.mask_a.tolist() == [True, True, False, True]


def test_errors():
    with pytest.raises(LabelError, match="share no appliance class"):
        align_labels(["Fan"], ["fridge"])
    with pytest.raises(LabelError, match="integer codes"):
        align_labels([0, 1], ["fan"])
    with pytest.raises(LabelError, match="outside"):
        canonical_labels([0, 5], classes=["a", "b"])
    with pytest.raises(LabelError, match="1-D"):
        canonical_labels(np.array([["a"]]))
    with pytest.raises(LabelError, match="strings"):
        canonical_label(3.0)
    with pytest.raises(LabelError, match="dtype"):
        canonical_labels(np.array([0.5, 1.5]))
