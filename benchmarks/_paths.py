"""Where the benchmark scripts write their results (no heavy imports).

A full run writes the committed tables under ``benchmarks/results``. A ``--quick`` smoke
run writes the same files under ``benchmarks/results/quick`` (ignored by git), so that
trying a script never overwrites the committed numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The committed results: read them (e.g. a reference row), never write them from --quick.
COMMITTED_RESULTS = Path(__file__).resolve().parent / "results"
#: True when the script runs as a ``--quick`` smoke run.
QUICK_RUN = "--quick" in sys.argv[1:]
#: Where this run writes: the committed folder, or its ``quick`` sub-folder.
RESULTS = COMMITTED_RESULTS / "quick" if QUICK_RUN else COMMITTED_RESULTS
