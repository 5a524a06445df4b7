"""Report figures (matplotlib, the [report] extra)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from transferkit._optional import MissingExtraError
from transferkit._validation import TransferKitInputError
from transferkit.report import HtmlReport, accuracy_bars, embedding_plot, image_grid


def test_figures_render_to_png():
    pytest.importorskip("matplotlib")
    r = HtmlReport("t")
    r.figure(image_grid(np.random.default_rng(0).random((2, 2, 4, 4)), ["a", "b"], ["x", "y"]))
    bars = accuracy_bars(["so", "coral"], [0.4, 0.3], baseline=0.4)
    colours = [p.get_facecolor() for p in bars.axes[0].patches]
    assert colours[0] != colours[1]  # the bar below the baseline is marked
    r.figure(bars)
    Z = np.zeros((3, 2))
    r.figure(embedding_plot([("a", Z, Z), ("b", Z, Z)], ("s", "t"), (["u"] * 3, ["v"] * 3)))
    assert r.to_html().count("data:image/png") == 3


def test_shape_errors():
    pytest.importorskip("matplotlib")
    with pytest.raises(TransferKitInputError, match=r"\(rows, columns, height, width\)"):
        image_grid(np.zeros((2, 4, 4)), ["a", "b"], ["x"])
    with pytest.raises(TransferKitInputError, match="same length"):
        accuracy_bars(["a"], [0.1, 0.2])


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError, match=r"transferkit\[report\]"):
        accuracy_bars(["a"], [0.5])
