"""PLAID 2018 -> HFHAD-C on the shared classes."""

from __future__ import annotations

import numpy as np

from transferkit.datasets import load_hfhadc_subset, load_plaid_subset
from transferkit.nilm import RESISTIVE_HEATER_GROUP, align_labels, load_cross_country


def test_shared_classes_and_cycles():
    cc = load_cross_country(n_points=64)
    assert cc.classes == ("air_conditioner", "fridge", "kettle", "laptop")
    assert set(cc.y_source) == set(cc.y_target) == set(cc.classes)
    assert np.bincount(np.searchsorted(cc.classes, cc.y_source)).tolist() == [20] * 4
    assert np.bincount(np.searchsorted(cc.classes, cc.y_target)).tolist() == [20] * 4
    for V in (cc.voltage_source, cc.voltage_target):
        assert V.shape[1] == 64
        # every cycle starts at a rising voltage zero crossing: negative just before 0
        assert (np.abs(V[:, 0]) < 0.1 * np.abs(V).max(axis=1)).all()
        assert (V[:, 16] > 0).all() and (V[:, 48] < 0).all()


def test_kettles_are_resistive_in_both_countries():
    from transferkit.nilm.signatures import cycle_signatures

    cc = load_cross_country()
    for V, I, y in (  # noqa: E741
        (cc.voltage_source, cc.current_source, cc.y_source),
        (cc.voltage_target, cc.current_target, cc.y_target),
    ):
        pf = [s.power_factor for s in cycle_signatures(V[y == "kettle"], I[y == "kettle"])]
        assert np.median(pf) > 0.98


def test_classes_come_from_the_package_label_alignment():
    """One source of truth: the classes and records are those of ``align_labels``."""
    plaid, hf = load_plaid_subset(), load_hfhadc_subset()
    al = align_labels(
        plaid.labels, hf.labels, classes_a=plaid.class_names, classes_b=hf.class_names
    )
    cc = load_cross_country()
    assert cc.classes == al.classes
    assert (cc.only_source, cc.only_target) == (al.only_a, al.only_b)
    assert "coffee_maker" in cc.only_source and "rice_cooker" in cc.only_target
    # the same records, grouped by class, file order within a class
    rows = np.concatenate([np.flatnonzero(al.names_a == c) for c in al.classes])
    np.testing.assert_allclose(cc.current_source[:, 0], plaid.current[rows, 0])
    assert cc.y_source.tolist() == al.names_a[rows].tolist()
    assert sorted(cc.y_target.tolist()) == sorted(al.names_b[al.mask_b].tolist())


def test_merge_and_label_map_are_passed_to_align_labels():
    cc = load_cross_country(merge=RESISTIVE_HEATER_GROUP)
    assert cc.classes == ("air_conditioner", "fridge", "laptop", "resistive_heater")
    # PLAID kettle + coffee maker; HFHAD-C kettle, rice cooker, water heater, dispenser
    assert (cc.y_source == "resistive_heater").sum() == 40
    assert (cc.y_target == "resistive_heater").sum() == 80
    cc = load_cross_country(label_map={"tv_xiaomi5": "fan"})
    assert "fan" in cc.classes and (cc.y_target == "fan").sum() == 20
