"""Self-contained HTML reports of transfer experiments (tables, figures as embedded PNG).

- :class:`~transferkit.report.html.HtmlReport`: headings, paragraphs, tables and figures,
  written as one HTML file that opens offline (images are base64 PNG, no scripts);
- :mod:`~transferkit.report.figures`: the figures of a transfer experiment with
  matplotlib (the ``[report]`` extra): a grid of images, accuracy bars, before/after
  embeddings of the two domains.
"""

from transferkit.report.figures import accuracy_bars, embedding_plot, image_grid
from transferkit.report.html import HtmlReport

__all__ = ["HtmlReport", "accuracy_bars", "embedding_plot", "image_grid"]
