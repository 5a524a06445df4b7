"""Markdown report of a benchmark results file: ours next to the published numbers."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from transferkit._validation import format_bytes
from transferkit.bench.published import PublishedRow, get_published

__all__ = ["compare_published", "render_markdown", "summarise", "format_mean_std"]


def format_mean_std(values: list[float]) -> str:
    """``"m ± s"`` (sample std) over seeds, one value as it is, ``"—"`` for none."""
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"


def _present(cells: list[dict[str, Any]], key: str) -> list[Any]:
    """The values of ``key`` in ``cells`` where it is recorded (not absent, not None)."""
    return [c[key] for c in cells if c.get(key) is not None]


def summarise(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per method: accuracies per task, per-seed averages, costs and failures.

    The average of a seed is taken over the tasks that seed finished; it is reported
    only when the seed finished every task of the suite (``avg_complete``).
    """
    tasks = state["tasks"]
    out: dict[str, dict[str, Any]] = {}
    by_method: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cell in state["cells"]:
        by_method[cell["method"]].append(cell)
    for method, cells in by_method.items():
        ok = [c for c in cells if c["status"] == "ok"]
        per_task: dict[str, list[float]] = {t: [] for t in tasks}
        per_seed: dict[int, dict[str, float]] = defaultdict(dict)
        for c in ok:
            per_task.setdefault(c["task"], []).append(c["accuracy"])
            per_seed[c["seed"]][c["task"]] = c["accuracy"]
        complete = [s for s, accs in per_seed.items() if all(t in accs for t in tasks)]
        out[method] = {
            "per_task": per_task,
            "per_seed": dict(per_seed),
            "seed_averages": [float(np.mean([per_seed[s][t] for t in tasks])) for s in complete],
            "n_seeds": len(per_seed),
            "fit_seconds": _present(ok, "fit_seconds"),
            "predict_seconds": _present(ok, "predict_seconds"),
            "traced": _present(ok, "peak_traced_bytes"),
            "rss": _present(ok, "peak_rss_delta_bytes"),
            "errors": [c for c in cells if c["status"] != "ok"],
            "selection_seconds": [(c.get("selection") or {}).get("seconds", 0.0) for c in ok],
        }
    return out


def _ours_on(summary: dict[str, Any], row_tasks: list[str]) -> list[float]:
    """Per-seed averages of ours restricted to ``row_tasks`` (seeds having them all)."""
    out = []
    for accs in summary["per_seed"].values():
        if all(t in accs for t in row_tasks):
            out.append(float(np.mean([accs[t] for t in row_tasks])))
    return out


def compare_published(row: PublishedRow, tasks: list[str], summary: dict) -> dict[str, Any]:
    """How ``row`` compares with our summary of one method on ``tasks``.

    Returns ``values`` (the row's value per task, ``None`` where it has none),
    ``average`` and ``average_note`` (``" (over its k tasks)"`` when the row lacks some
    tasks), ``delta`` (the mean of our per-seed averages minus the reference, on the
    row's tasks; ``None`` without our numbers) and ``matched``/``compared`` (tasks where
    every seed of ours rounds to the reference at its printed precision).
    """
    row_tasks = [t for t in tasks if t in row.values]
    avg = row.average
    note = ""
    if avg is not None and len(row_tasks) < len(tasks):
        note = f" (over its {len(row_tasks)} tasks)"
    delta = None
    ours = _ours_on(summary, row_tasks) if row_tasks else []
    if ours:
        ref = avg if (avg is not None and len(row_tasks) == len(row.values)) else None
        if ref is None:
            ref = float(np.mean([row.values[t] for t in row_tasks]))
        delta = float(np.mean(ours) - ref)
    ran = [t for t in row_tasks if summary["per_task"].get(t)]
    same = [all(row.matches(t, acc) for acc in summary["per_task"][t]) for t in ran]
    return {
        "values": [row.values.get(t) for t in tasks],
        "average": avg,
        "average_note": note,
        "delta": delta,
        "matched": sum(same),
        "compared": len(ran),
    }


def _published_line(row: PublishedRow, tasks: list[str], note_id: int, summary: dict) -> str:
    c = compare_published(row, tasks, summary)
    cells = ["—" if v is None else f"{v:.2f}" for v in c["values"]]
    avg_text = "—" if c["average"] is None else f"{c['average']:.2f}{c['average_note']}"
    delta = "—" if c["delta"] is None else f"{c['delta']:+.2f}"
    match = f"{c['matched']}/{c['compared']}" if c["compared"] else "—"
    kind = "re-computed, **not published**" if row.is_rerun else "published"
    label = f"↳ {row.label} — {kind} [{note_id}]"
    return "| " + " | ".join([label, *cells, avg_text, delta, match]) + " |"


def render_markdown(state: dict[str, Any]) -> str:
    """The markdown report of a results file (``transferkit bench`` writes it)."""
    suite = state["suite"]
    tasks = state["tasks"]
    summary = summarise(state)
    env = state.get("environment", {})
    oracle = state.get("select_uses_target_labels", False)
    lines = [f"# Benchmark `{suite}`", ""]
    lines += [f"**Protocol.** {state['protocol']}", ""]
    select = state["select"]
    if oracle:
        lines += [
            f"**Selection: `{select}` — UPPER BOUND.** Hyper-parameters were chosen with the "
            "target labels; these numbers are not achievable without target labels and must "
            "not be compared with unsupervised results as if they were.",
            "",
        ]
    else:
        lines += [f"**Selection:** `{select}` ({state.get('select_description', '')}).", ""]
    status = "complete" if state.get("complete") else "**partial** (run stopped or cells failed)"
    lines += [
        f"Generated by `transferkit bench` — {status}; updated {state.get('updated', '?')}; "
        f"transferkit {env.get('transferkit', '?')} (git {env.get('git_commit') or '?'}), "
        f"Python {env.get('python', '?')}, numpy {env.get('numpy', '?')}, scikit-learn "
        f"{env.get('scikit-learn', '?')}, {env.get('cpu_count', '?')} CPUs.",
        "",
        "## Target accuracy (%)",
        "",
        "Our rows show the mean ± sample std over seeds (a single value for one seed). "
        "`avg` is the mean over the suite's tasks, computed per seed and then averaged over "
        "seeds. Rows marked ↳ are the reference numbers this method is compared with; `Δ avg` "
        "is ours minus the reference, on the reference's tasks; `= ref` counts the tasks "
        "where our accuracy (every seed) rounds to the reference value at its printed "
        "precision.",
        "",
    ]
    header = ["method", *tasks, "avg", "Δ avg", "= ref"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    notes: list[PublishedRow] = []
    methods_info = state.get("methods", {})
    order = list(methods_info)
    for method in sorted(summary, key=lambda m: order.index(m) if m in order else len(order)):
        s = summary[method]
        cells = [format_mean_std(s["per_task"].get(t, [])) for t in tasks]
        avg = format_mean_std(s["seed_averages"]) if s["seed_averages"] else "—"
        seeds = f"{s['n_seeds']} seed{'s' if s['n_seeds'] != 1 else ''}"
        lines.append(
            "| " + " | ".join([f"**{method}** (ours, {seeds})", *cells, avg, "", ""]) + " |"
        )
        for ref in methods_info.get(method, {}).get("published", []):
            row = get_published(suite, ref)
            notes.append(row)
            lines.append(_published_line(row, tasks, len(notes), s))
    lines.append("")
    if notes:
        lines += ["### Reference rows", ""]
        for i, row in enumerate(notes, 1):
            text = f"{i}. `{row.ref}` — {row.citation}. Protocol: {row.protocol_text()}."
            if row.is_rerun:
                text += " Re-computed with the shipped data files; not a published number."
            if row.note:
                text += f" Note: {row.note}."
            lines.append(text)
        lines.append("")
    lines += ["## Cost", ""]
    lines += [
        "Wall time of `fit` and of `predict` on the target, per cell (mean over tasks and "
        "seeds; `total fit` sums every cell). Peak memory is the largest value over the "
        "cells: *traced* = peak of Python/numpy allocations (tracemalloc) during fit + "
        "predict; *RSS* = rise of the resident set size above its level at the start of "
        "the cell (includes BLAS/torch native memory).",
        "",
        "| method | fit s (mean) | predict s (mean) | total fit s | selection s (total) | "
        "peak traced | peak RSS rise | failed cells |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method, s in summary.items():
        fit = s["fit_seconds"]
        lines.append(
            "| "
            + " | ".join(
                [
                    method,
                    f"{np.mean(fit):.3f}" if fit else "—",
                    f"{np.mean(s['predict_seconds']):.3f}" if s["predict_seconds"] else "—",
                    f"{np.sum(fit):.2f}" if fit else "—",
                    f"{np.sum(s['selection_seconds']):.2f}" if fit else "—",
                    format_bytes(max(s["traced"])) if s["traced"] else "—",
                    format_bytes(max(s["rss"])) if s["rss"] else "—",
                    str(len(s["errors"])),
                ]
            )
            + " |"
        )
    lines.append("")
    lines += ["## Methods", "", "| method | description | hyper-parameter grid |", "|---|---|---|"]
    for method, info in methods_info.items():
        if method not in summary:
            continue
        grid = info.get("param_grid") or {}
        grid_text = "; ".join(f"`{k}` ∈ {v}" for k, v in grid.items()) or "—"
        lines.append(f"| {method} | {info.get('description', '')} | {grid_text} |")
    lines.append("")
    errors = [c for s in summary.values() for c in s["errors"]]
    if errors:
        lines += ["## Failed cells", ""]
        for c in errors:
            lines.append(f"- {c['method']} on {c['task']} (seed {c['seed']}): {c['error']}")
        lines.append("")
    return "\n".join(lines)
