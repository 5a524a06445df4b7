"""Experiments as config files: ``transferkit run experiment.yaml``.

A config (:mod:`~transferkit.experiments.config`) names data, registered methods with
their grids, the selection rule, seeds and outputs; :func:`run_experiment` expands it
into cells (method x setting x task x selection x seed), runs them sequentially or on
Ray, writes one JSON file per cell and a tidy table, and resumes what was finished.
``transferkit bench`` is the one-suite case of the same runner.
"""

from typing import TYPE_CHECKING

from transferkit._lazy import attach

# Imported on first use (pydantic only when a config is read; see transferkit._lazy).
if TYPE_CHECKING:
    from transferkit.experiments.budget import draw_labelled_per_class, draw_target_labels
    from transferkit.experiments.cell import CellResult, macro_f1, run_cell
    from transferkit.experiments.config import (
        ConfigError,
        ExperimentConfig,
        load_config,
        parse_config,
    )
    from transferkit.experiments.observers import OBSERVERS, CellObserver, register_observer
    from transferkit.experiments.runner import RunSummary, run_experiment

__all__ = [
    "OBSERVERS",
    "CellObserver",
    "CellResult",
    "ConfigError",
    "ExperimentConfig",
    "RunSummary",
    "draw_labelled_per_class",
    "draw_target_labels",
    "load_config",
    "macro_f1",
    "parse_config",
    "register_observer",
    "run_cell",
    "run_experiment",
]

__getattr__, __dir__, _LAZY = attach(__name__, __file__)
