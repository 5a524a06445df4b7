"""One-file HTML reports: text, tables and figures, readable offline.

Figures are matplotlib figures rendered to PNG and embedded as ``data:`` URIs, so the
report is a single file with no external resources and no scripts.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transferkit._validation import TransferKitInputError

__all__ = ["HtmlReport", "figure_png"]

# Text cells that hold formatted numbers ("44.70 ± 0.35", "+0.02", "2/2", "—") align right.
_NUMERIC_TEXT = re.compile(r"^(—|[-+]?\d+(\.\d+)?%?( ± \d+(\.\d+)?)?|\d+/\d+)$")

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.8em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background: #f3f3f3; }
tr.ref td { color: #555; font-style: italic; background: #fafafa; }
p.note { color: #555; font-size: 0.9em; }
div.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
img { max-width: 100%; }
"""


def figure_png(figure: Any, dpi: int = 100) -> bytes:
    """PNG bytes of a matplotlib ``Figure`` (rendered with the Agg canvas)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


class HtmlReport:
    """Build an HTML report piece by piece, then :meth:`save` it.

    Every piece of text is HTML-escaped.

    Parameters
    ----------
    title : str

    Examples
    --------
    >>> r = HtmlReport("demo")
    >>> r.paragraph("CORAL beats source-only by <3 points>")
    >>> r.table(["method", "accuracy"], [["source only", 0.5], ["CORAL", 0.75]])
    >>> text = r.to_html()
    >>> "&lt;3 points&gt;" in text and "<td class='num'>0.75</td>" in text
    True
    """

    def __init__(self, title: str) -> None:
        self.title = str(title)
        self._parts: list[str] = [f"<h1>{html.escape(self.title)}</h1>"]

    def heading(self, text: str) -> None:
        """A section heading."""
        self._parts.append(f"<h2>{html.escape(str(text))}</h2>")

    def paragraph(self, text: str) -> None:
        """A paragraph of plain text."""
        self._parts.append(f"<p>{html.escape(str(text))}</p>")

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        caption: str = "",
        *,
        table_id: str | None = None,
        row_classes: Sequence[str | None] | None = None,
    ) -> None:
        """A table; numbers are right-aligned, floats written with ``repr``-free ``g``.

        Text cells holding a formatted number (``"44.70 ± 0.35"``, ``"+0.02"``, ``"2/2"``,
        ``"—"``) are right-aligned too.

        ``table_id`` sets the table's ``id`` attribute; ``row_classes`` gives one CSS
        class (or ``None``) per row, e.g. ``"ref"`` for reference rows (grey, italic).
        """
        width = len(header)
        for k, row in enumerate(rows):
            if len(row) != width:
                raise TransferKitInputError(
                    f"table row {k} has {len(row)} cells but the header has {width}; give one "
                    "cell per column."
                )
        if row_classes is not None and len(row_classes) != len(rows):
            raise TransferKitInputError(
                f"row_classes has {len(row_classes)} entries for {len(rows)} rows; give one "
                "class (or None) per row."
            )
        attr = f" id='{html.escape(table_id, quote=True)}'" if table_id else ""
        out = [f"<div class='scroll'><table{attr}>"]  # a wide table scrolls, not the page
        if caption:
            out.append(f"<caption>{html.escape(caption)}</caption>")
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
        for k, row in enumerate(rows):
            cells = []
            for cell in row:
                if isinstance(cell, (int, float)) and not isinstance(cell, bool):
                    cells.append(f"<td class='num'>{cell:g}</td>")
                elif isinstance(cell, str) and _NUMERIC_TEXT.match(cell):
                    cells.append(f"<td class='num'>{html.escape(cell)}</td>")
                else:
                    cells.append(f"<td>{html.escape(str(cell))}</td>")
            css = row_classes[k] if row_classes is not None else None
            opening = f"<tr class='{html.escape(css, quote=True)}'>" if css else "<tr>"
            out.append(opening + "".join(cells) + "</tr>")
        out.append("</table></div>")
        self._parts.append("\n".join(out))

    def note(self, text: str) -> None:
        """A small grey paragraph (how a figure was made, what was left out and why)."""
        self._parts.append(f"<p class='note'>{html.escape(str(text))}</p>")

    def figure(self, figure: Any, caption: str = "", dpi: int = 100) -> None:
        """A matplotlib figure, embedded as a base64 PNG."""
        self.png(figure_png(figure, dpi=dpi), caption)

    def png(self, data: bytes, caption: str = "") -> None:
        """PNG bytes, embedded."""
        if not bytes(data[:8]) == b"\x89PNG\r\n\x1a\n":
            raise TransferKitInputError("png needs the bytes of a PNG file (bad signature).")
        encoded = base64.b64encode(data).decode("ascii")
        cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self._parts.append(
            f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{encoded}'>"
            f"{cap}</figure>"
        )

    def to_html(self) -> str:
        """The whole document."""
        body = "\n".join(self._parts)
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n"
        )

    def save(self, path: str | Path) -> Path:
        """Write the document (parent folders are created) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        return path
