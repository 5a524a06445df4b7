"""The report as a reader sees it: rendered by headless Chromium (Debian's package).

Chromium is driven through the DevTools protocol (see ``_chromium.py``): the page is
loaded from the file, the accuracy table is read back from the DOM, every image must
decode, a full-page screenshot is taken, and no console error or warning, exception,
error log entry or request outside the file may occur. Under ``CI=true`` a missing
chromium fails the test; elsewhere the test is skipped with a message.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from _chromium import find_chromium, inspect_page

from transferkit.report.experiment import write_results_report

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def chromium():
    binary = find_chromium()
    if binary is None:
        message = (
            "chromium is not installed (apt-get install -y --no-install-recommends chromium); "
            "the browser test of the HTML report cannot run"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


def _pixels(png: bytes) -> np.ndarray:
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")


def test_report_renders_in_chromium(chromium, tiny_results, tmp_path):
    path = write_results_report(tiny_results, tmp_path / "report.html", max_samples=40)
    page = inspect_page(path, ["h1", "table#accuracy-tiny tr", "figure img"])
    assert page.problems == []
    assert page.texts["h1"] == ["transferkit report: tiny"]
    rows = page.texts["table#accuracy-tiny tr"]
    assert rows[0].split("\t")[:4] == ["method", "0->1", "0->2", "0->3"]
    assert any(r.startswith("source_only (ours, 2 seeds)") for r in rows)
    assert any(r.startswith("coral (ours, 2 seeds)") for r in rows)
    assert len(page.images) == 5 and all(i["ok"] and i["width"] > 100 for i in page.images)
    assert page.screenshot[:8] == b"\x89PNG\r\n\x1a\n" and len(page.screenshot) > 50_000
    pixels = _pixels(page.screenshot)
    assert pixels.shape[0] > 2000 and pixels.shape[1] >= 1000  # the whole page, not a window
    colours = np.unique(pixels.reshape(-1, pixels.shape[-1])[::97], axis=0)
    assert len(colours) > 50  # text and figures, not a blank page


def test_the_check_sees_console_errors_and_foreign_requests(chromium, tmp_path):
    """The same check on a broken page reports what is wrong with it."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><table><tr><td>x</td></tr></table>"
        "<img alt='remote' src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('boom'); undefinedFunction();</script></body></html>"
    )
    page = inspect_page(bad, ["td"])
    assert page.texts["td"] == ["x"]
    text = "\n".join(page.problems)
    assert "console.error: boom" in text
    assert "undefinedFunction is not defined" in text
    assert "request to http://127.0.0.1:9/x.png" in text
    assert "image 'remote' did not decode" in text
