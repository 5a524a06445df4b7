"""Helpers shared by the feature-mapping benchmarks (environment line, result files)."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy
import sklearn
from threadpoolctl import threadpool_info

from _paths import RESULTS

#: Set by :func:`quick_run`: results are printed, never written.
_PRINT_ONLY = False

#: The 12 Office-Caltech SURF tasks (source, target) in the order of the published tables.
SURF_TASKS = [(s, t) for s in "CAWD" for t in "CAWD" if t != s]


def environment() -> dict:
    """What the numbers were measured on: versions, BLAS threads, CPU count, load."""
    blas = sorted({f"{i['internal_api']}:{i['num_threads']}" for i in threadpool_info()})
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "blas_threads": blas,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.machine(),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def quick_run() -> None:
    """For ``--quick``: from now on :func:`write_results` prints and writes no file."""
    global _PRINT_ONLY
    _PRINT_ONLY = True


def write_results(name: str, payload: dict, markdown: str) -> tuple[Path, Path] | None:
    """Write ``results/<name>.json`` and ``results/<name>.md`` (print only after quick_run)."""
    if _PRINT_ONLY:
        print(markdown.rstrip())
        print(f"quick run: results/{name}.* not written")
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / f"{name}.json"
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    md_path = RESULTS / f"{name}.md"
    md_path.write_text(markdown.rstrip() + "\n")
    return json_path, md_path
