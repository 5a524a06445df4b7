"""PLAID 2018 -> HFHAD-C on the shared classes."""

from __future__ import annotations

import numpy as np

from transferkit.nilm.cross_country import SHARED_CLASSES, load_cross_country


def test_shared_classes_and_cycles():
    cc = load_cross_country(n_points=64)
    assert cc.classes == tuple(sorted(SHARED_CLASSES))
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
