"""The README's Python snippets run, and print what the README says they print."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _snippets() -> list[tuple[str, str | None]]:
    """Every ``python`` block with the ``text`` block that follows it (its output), if any."""
    blocks = [(m.group(1), m.group(2)) for m in _FENCE.finditer(README.read_text("utf-8"))]
    out = []
    for i, (lang, code) in enumerate(blocks):
        if lang != "python":
            continue
        follows = blocks[i + 1] if i + 1 < len(blocks) else None
        out.append((code, follows[1] if follows and follows[0] == "text" else None))
    return out


def test_the_readme_has_a_python_quick_start_with_its_output():
    assert any(expected for _, expected in _snippets())


@pytest.mark.parametrize("index", range(len(_snippets())))
def test_readme_snippet_prints_what_the_readme_shows(index, data_home):
    code, expected = _snippets()[index]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "readme"})
    if expected is not None:
        assert buffer.getvalue().strip() == expected.strip()
