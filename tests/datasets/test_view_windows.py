"""view_windows_between: the windows between two view angles, with wrap-around."""

from __future__ import annotations

import pytest

from transferkit import TransferKitInputError
from transferkit.datasets import view_windows_between


def test_short_arc_going_up():
    arcs, others = view_windows_between(0, 135)
    assert arcs == [[(45, 90), (90, 135)]]
    assert sorted(others) == [(180, 225), (225, 270), (270, 315), (315, 360)]


def test_short_arc_wraps_around_360():
    arcs, others = view_windows_between(45, 270)  # 45 -> 0 -> 315 -> 270 (135 degrees)
    assert arcs == [[(0, 45), (315, 360)]]
    assert (90, 135) in others and (315, 360) not in others
    arcs, _ = view_windows_between(315, 90)  # 315 -> 0 -> 45 -> 90 going up
    assert arcs == [[(0, 45), (45, 90)]]


def test_opposite_windows_have_two_arcs_and_no_distractor():
    arcs, others = view_windows_between(90, 270)
    assert arcs == [[(135, 180), (180, 225), (225, 270)], [(45, 90), (0, 45), (315, 360)]]
    assert others == []


@pytest.mark.parametrize(("source", "target"), [(s, t) for s in range(0, 360, 45) for t in (0, 90)])
def test_every_window_is_either_between_or_other(source, target):
    if source == target:
        return
    arcs, others = view_windows_between(source, target)
    between = [w for arc in arcs for w in arc]
    everything = sorted(between + others + [(source, source + 45), (target, target + 45)])
    assert everything == [(k, k + 45) for k in range(0, 360, 45)]
    gap = min((target - source) % 360, (source - target) % 360)
    assert all(len(arc) == gap // 45 - 1 for arc in arcs)
    # others sorted by the angular distance of their window from the source
    dist = [min((w[0] - source) % 360, (source - w[0]) % 360) for w in others]
    assert dist == sorted(dist)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": 10, "target": 90}, "source must be the start of a window"),
        ({"source": 0, "target": 360}, "target must be the start"),
        ({"source": 0, "target": 0}, "different windows"),
        ({"source": 0, "target": 90, "width": 50}, "divide period"),
        ({"source": 0, "target": 90, "width": 0}, "width must be positive"),
        ({"source": 0.0, "target": 90}, "source must be an integer"),
    ],
)
def test_bad_windows_are_named(kwargs, message):
    with pytest.raises(TransferKitInputError, match=message):
        view_windows_between(**kwargs)
