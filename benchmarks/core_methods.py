"""Regenerate the committed results of the core methods on every suite.

Usage::

    python benchmarks/core_methods.py [--seeds-cv 3] [--output benchmarks/results]

It runs the same calls as ``transferkit bench`` (one JSON + markdown file per suite
under ``benchmarks/results/``): the deterministic methods (1NN, PCA) with one seed, the
methods whose SVM ``C`` is chosen by a seeded cross-validation on the source with
``--seeds-cv`` seeds (Office-Caltech only; one seed elsewhere). Finished cells are kept,
so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import argparse

from _paths import RESULTS
from transferkit.bench import run_benchmark

PLAN = {
    "office_caltech_surf": (
        ["source_only", "pca"],
        ["coral", "coral_released", "source_only_svm", "source_only_svm_released"],
    ),
    "digits": (["source_only", "pca"], ["source_only_svm", "source_only_svm_released", "coral"]),
    "coil": (["source_only", "pca"], ["source_only_svm", "source_only_svm_released", "coral"]),
    "amazon": (
        ["source_only", "pca"],
        ["source_only_svm", "source_only_svm_released", "coral", "coral_released"],
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds-cv", type=int, default=3)
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument("--suites", default=",".join(PLAN))
    parser.add_argument(
        "--quick", action="store_true", help="digits, 1NN and PCA only, into --output"
    )
    args = parser.parse_args()
    if args.quick:
        run_benchmark("digits", ["source_only", "pca"], output_dir=args.output, verbose=False)
        return
    for suite in args.suites.split(","):
        deterministic, cross_validated = PLAN[suite]
        # force=True: this script exists to update the committed results
        run_benchmark(
            suite, deterministic, seeds=1, output_dir=args.output, resume=True, force=True
        )
        seeds = args.seeds_cv if suite == "office_caltech_surf" else 1
        run_benchmark(
            suite, cross_validated, seeds=seeds, output_dir=args.output, resume=True, force=True
        )


if __name__ == "__main__":
    main()
