"""Helpers shared by the deep adaptation tables (``deep_digits.py``, ``deep_tables.py``):
the command line, resuming from the results JSON, and scoring every recorded epoch of a
fitted estimator by the label-free criteria and against the target labels.

Both scripts run seeds ``0 .. --seeds - 1`` seed-major, skip the runs their JSON already
holds with the same settings, and rewrite the JSON and the markdown after every run.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from _common import RESULTS
from transferkit.deep.selection import best_epoch

#: Label-free criteria scored after every epoch (no target label read).
CRITERIA = ("dev", "iwcv", "snd", "entropy")
#: The columns of the tables: the last epoch, each criterion's epoch, the oracle bound.
SELECT = ("last", *CRITERIA, "oracle")


def table_parser(
    description: str,
    *,
    methods: list[str],
    tasks: list[str] | None,
    epochs: int | None,
    lr: float | None,
    out: str,
) -> argparse.ArgumentParser:
    """The options both table scripts take; each script adds ``--quick`` and its own."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--epochs", type=int, default=epochs, help=f"default: {epochs or 'per suite'}")
    ap.add_argument("--lr", type=float, default=lr, help=f"default: {lr or 'per suite'}")
    ap.add_argument("--seeds", type=int, default=3, help="run seeds 0 .. SEEDS-1 (default 3)")
    ap.add_argument("--methods", nargs="+", default=list(methods), choices=list(methods))
    ap.add_argument(
        "--tasks",
        nargs="+",
        default=tasks,
        help="source->target pairs (default: " + (" ".join(tasks) if tasks else "all") + ")",
    )
    ap.add_argument(
        "--report", action="store_true", help="rewrite the markdown from the JSON; train nothing"
    )
    ap.add_argument("--out", default=out, help="results name under benchmarks/results")
    return ap


def stored_runs(out: str, keep: Callable[[dict], list[dict]]) -> list[dict]:
    """The runs of ``results/<out>.json`` that ``keep`` (given the whole JSON) returns;
    none without the file."""
    path = RESULTS / f"{out}.json"
    if not path.exists():
        return []
    return keep(json.loads(path.read_text()))


def fit_and_score(clf, Xs, ys, Xt, yt) -> dict:
    """Fit ``clf`` (recording every epoch) and score each epoch on the target: the last,
    the epoch each label-free criterion keeps, and the oracle epoch (an upper bound)."""
    t0 = time.perf_counter()
    clf.fit(Xs, ys, X_target=Xt)
    fit_s = time.perf_counter() - t0
    accs = [clf.use_epoch(e).score(Xt, yt) for e in range(clf.n_epochs_recorded_)]
    out = {"last": accs[-1], "oracle": max(accs), "per_epoch": accs, "fit_s": fit_s}
    for crit in CRITERIA:
        e = best_epoch(clf.selection_scores_[crit], crit)
        out[crit], out[f"{crit}_epoch"] = accs[e], e
    return out


def progress(label: str, r: dict, total_s: float) -> str:
    """One line per finished run: every column of the tables and the time spent."""
    return (
        f"{label}: "
        + " ".join(f"{k}={r[k]:.3f}" for k in SELECT)
        + f" ({r['fit_s']:.1f}s fit, {total_s:.0f}s total)"
    )
