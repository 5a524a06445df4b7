"""One-file HTML reports."""

from __future__ import annotations

import base64

import pytest

from transferkit._validation import TransferKitInputError
from transferkit.report import HtmlReport

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_text_is_escaped_and_numbers_right_aligned(tmp_path):
    r = HtmlReport("a <b> report")
    r.heading("x & y")
    r.table(["m", "acc"], [["<SO>", 0.5]])
    r.png(PNG, "one pixel")
    path = r.save(tmp_path / "sub" / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "<title>a &lt;b&gt; report</title>" in text and "x &amp; y" in text
    assert "&lt;SO&gt;" in text and "<td class='num'>0.5</td>" in text
    assert "data:image/png;base64," + base64.b64encode(PNG).decode() in text


def test_bad_rows_and_bad_png():
    r = HtmlReport("t")
    with pytest.raises(TransferKitInputError, match="row 0 has 1 cells but the header has 2"):
        r.table(["a", "b"], [[1]])
    with pytest.raises(TransferKitInputError, match="PNG"):
        r.png(b"GIF89a")
