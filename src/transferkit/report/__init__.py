"""Self-contained HTML reports of transfer experiments (tables, figures as embedded PNG).

- :class:`~transferkit.report.html.HtmlReport`: headings, paragraphs, tables and figures,
  written as one HTML file that opens offline (images are base64 PNG, no scripts);
- :mod:`~transferkit.report.figures`: the figures of a transfer experiment with
  matplotlib (the ``[report]`` extra): a grid of images, accuracy bars, before/after
  embeddings of the two domains, grouped bars, heat maps, confusion matrices;
- :func:`~transferkit.report.experiment.write_results_report`: the report of a results
  folder of ``transferkit bench``/``transferkit run`` (``transferkit report RESULTS``).
"""

from transferkit.report.experiment import build_results_report, write_results_report
from transferkit.report.figures import (
    accuracy_bars,
    confusion_matrices,
    embedding_plot,
    grouped_bars,
    heatmap,
    image_grid,
)
from transferkit.report.html import HtmlReport

__all__ = [
    "HtmlReport",
    "accuracy_bars",
    "build_results_report",
    "confusion_matrices",
    "embedding_plot",
    "grouped_bars",
    "heatmap",
    "image_grid",
    "write_results_report",
]
