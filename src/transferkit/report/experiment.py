r"""The HTML report of a results folder (``transferkit report RESULTS``).

For every results file of a ``transferkit bench`` or ``transferkit run`` folder, the
report shows:

* the **accuracy table**: method x task, mean ± sample std over seeds, the average over
  tasks, and beside each method the published (or re-computed) reference rows that the
  method registry names for the suite, with Δ avg and the count of tasks that round to
  the reference (the same numbers as the markdown report of the run);
* **bar charts**: accuracy per task (mean, error bar = std over seeds) and the average
  per method, with the no-transfer baseline (``source_only``) as a dashed line;
* a **domain-distance heat map** between the suite's domains: the maximum mean
  discrepancy :math:`\mathrm{MMD}(P, Q) = \lVert \mu_P - \mu_Q \rVert_{\mathcal H}`
  (biased estimate, Gaussian kernel with one bandwidth for every pair, the median
  heuristic of the pooled subsample), on at most ``max_samples`` samples per domain
  drawn with ``random_state``;
* **t-SNE** (scikit-learn, ``random_state``) of the source and target samples of one
  task before and after the mapping of one feature-mapping method, on at most
  ``max_samples`` samples per domain;
* **confusion matrices** on the target of that task, for ``source_only`` and the chosen
  method;
* for NILM runs (``nilm`` data of ``transferkit run``), a **grid of V-I images**: the
  first record of every class in each domain.

The figures that need the model (t-SNE, confusion matrices) refit the recorded cell
from the method registry with its seed and selected hyper-parameters (see
:mod:`transferkit.report.refit`); the refit accuracy is printed next to the recorded
one. Data come from the registered suites (:mod:`transferkit.bench.suites`), or for a
``transferkit run`` folder from the data entries of its ``config.yaml``; when the data
are not available, those sections say so and the rest of the report is still written.
The file is a single HTML page with the figures embedded as
base64 PNG, no scripts, styles or fonts from elsewhere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transferkit._validation import TransferKitInputError, check_positive
from transferkit.report.html import HtmlReport
from transferkit.report.results import ResultsFile, find_results

__all__ = ["ReportSettings", "build_results_report", "domain_distances", "write_results_report"]

#: The method whose rows are the no-transfer baseline.
BASELINE = "source_only"
#: Name of the report written into the results folder by default.
DEFAULT_NAME = "report.html"


@dataclass
class ReportSettings:
    """What the report refits and how much it samples.

    Attributes
    ----------
    task : str or None
        Task of the t-SNE and confusion matrices (default: the first task with results).
    method : str or None
        Method of the t-SNE and confusion matrices (default: the feature-mapping method
        with the best mean accuracy on the task).
    max_samples : int
        At most this many samples per domain in the heat map and the t-SNE.
    random_state : int
        Seed of the subsamples and of t-SNE.
    refit : bool
        Draw the sections that need the data (heat map, t-SNE, confusion matrices).
    """

    task: str | None = None
    method: str | None = None
    max_samples: int = 300
    random_state: int = 0
    refit: bool = True

    def check(self) -> None:
        check_positive("max_samples", self.max_samples, integer=True)
        if self.max_samples < 10:
            raise TransferKitInputError(
                f"max_samples={self.max_samples} is too small for a t-SNE or an MMD; give "
                "at least 10 (default 300)."
            )
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, int):
            raise TransferKitInputError(f"random_state must be an int; got {self.random_state!r}.")


# --------------------------------------------------------------------- accuracy
def _accuracy_section(report: HtmlReport, state: dict[str, Any], summary: dict) -> None:
    from transferkit.bench.published import get_published
    from transferkit.bench.report import compare_published, format_mean_std

    suite = state["suite"]
    tasks = list(state["tasks"])
    methods_info = state.get("methods", {})
    order = list(methods_info)
    header = ["method", *tasks, "avg", "Δ avg", "= ref"]
    rows: list[list[Any]] = []
    classes: list[str | None] = []
    refs = []
    for method in sorted(summary, key=lambda m: order.index(m) if m in order else len(order)):
        s = summary[method]
        seeds = f"{s['n_seeds']} seed{'s' if s['n_seeds'] != 1 else ''}"
        avg = format_mean_std(s["seed_averages"]) if s["seed_averages"] else "—"
        rows.append(
            [f"{method} (ours, {seeds})"]
            + [format_mean_std(s["per_task"].get(t, [])) for t in tasks]
            + [avg, "", ""]
        )
        classes.append("ours")
        for ref in methods_info.get(method, {}).get("published", []):
            try:
                row = get_published(suite, ref)
            except TransferKitInputError:
                continue  # a row this install does not know: the run's own table has it
            refs.append(row)
            c = compare_published(row, tasks, s)
            kind = "re-computed, not published" if row.is_rerun else "published"
            rows.append(
                [f"↳ {row.label} — {kind} [{len(refs)}]"]
                + ["—" if v is None else f"{v:.2f}" for v in c["values"]]
                + [
                    "—" if c["average"] is None else f"{c['average']:.2f}{c['average_note']}",
                    "—" if c["delta"] is None else f"{c['delta']:+.2f}",
                    f"{c['matched']}/{c['compared']}" if c["compared"] else "—",
                ]
            )
            classes.append("ref")
    report.table(
        header,
        rows,
        caption="Target accuracy (%), mean ± std over seeds",
        table_id=f"accuracy-{suite}",
        row_classes=classes,
    )
    report.note(
        "avg: mean over the suite's tasks, per seed, then over seeds. Rows marked ↳ are "
        "the reference numbers the method is compared with; Δ avg = ours minus the "
        "reference on the reference's tasks; = ref counts the tasks where every seed of "
        "ours rounds to the reference at its printed precision."
    )
    for i, row in enumerate(refs, 1):
        text = f"[{i}] {row.ref}: {row.citation}. Protocol: {row.protocol_text()}."
        if row.is_rerun:
            text += " Re-computed with the shipped data files; not a published number."
        report.note(text)


def _bars_section(report: HtmlReport, state: dict[str, Any], summary: dict) -> None:
    from transferkit.report.figures import accuracy_bars, grouped_bars

    tasks = list(state["tasks"])
    methods = list(summary)
    means = np.full((len(methods), len(tasks)), np.nan)
    stds = np.zeros_like(means)
    for i, method in enumerate(methods):
        for j, task in enumerate(tasks):
            values = summary[method]["per_task"].get(task, [])
            if values:
                means[i, j] = np.mean(values)
                stds[i, j] = np.std(values, ddof=1) if len(values) > 1 else 0.0
    report.figure(
        grouped_bars(tasks, methods, means, stds, ylabel="target accuracy (%)"),
        "Target accuracy per task (bars: mean over seeds; error bars: std over seeds).",
    )
    averages = {
        m: float(np.mean(s["seed_averages"])) / 100.0
        for m, s in summary.items()
        if s["seed_averages"]
    }
    if averages:
        base = averages.get(BASELINE)
        report.figure(
            accuracy_bars(
                list(averages), list(averages.values()), baseline=base, xlabel="average accuracy"
            ),
            "Average over the tasks"
            + (
                f"; dashed line: {BASELINE} (no transfer), red bars are below it."
                if base is not None
                else "."
            ),
        )


# ------------------------------------------------------------------------- data
def _subsample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size=size, replace=False)) if n > size else np.arange(n)


def _suite_domains(suite: Any) -> dict[str, np.ndarray]:
    """Features of every domain of ``suite`` (each loaded once, as its tasks load it)."""
    wanted = []
    for task in suite.tasks:
        for name in (task.source, task.target):
            if name not in wanted:
                wanted.append(name)
    domains: dict[str, np.ndarray] = {}
    for task in suite.tasks:
        if all(name in domains for name in wanted):
            break
        if task.source in domains and task.target in domains:
            continue
        data = suite.load(task)
        if len(data) == 4:  # several stacked sources are not one domain
            domains.setdefault(task.source, np.asarray(data[0], dtype=float))
        domains.setdefault(task.target, np.asarray(data[2], dtype=float))
    return {name: domains[name] for name in wanted if name in domains}


def domain_distances(
    domains: dict[str, Any], *, max_samples: int = 300, random_state: int = 0
) -> tuple[list[str], np.ndarray]:
    r"""Pairwise MMD between domains (biased estimate, one Gaussian bandwidth for all pairs).

    .. math::
        \widehat{\mathrm{MMD}}^2_b(X, Y) = \frac{1}{m^2}\sum_{i,j} k(x_i, x_j)
        + \frac{1}{n^2}\sum_{i,j} k(y_i, y_j) - \frac{2}{mn}\sum_{i,j} k(x_i, y_j),
        \qquad k(x, y) = e^{-\lVert x - y\rVert^2 / (2\sigma^2)},

    with :math:`\sigma` the median pairwise distance of the pooled subsamples and at
    most ``max_samples`` samples per domain (drawn with ``random_state``). The square
    root is returned (0 on the diagonal).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> names, D = domain_distances({"a": rng.normal(size=(50, 3)),
    ...                              "b": rng.normal(size=(50, 3)) + 2.0})
    >>> names, bool(D[0, 1] > 0.5), float(D[0, 0])
    (['a', 'b'], True, 0.0)
    """
    from transferkit.metrics.mmd import median_heuristic, mmd2

    rng = np.random.default_rng(random_state)
    names = list(domains)
    samples = [np.asarray(domains[n], dtype=float) for n in names]
    samples = [X[_subsample(len(X), max_samples, rng)] for X in samples]
    bandwidth = median_heuristic(np.vstack(samples), random_state=random_state)
    D = np.zeros((len(names), len(names)))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            value = mmd2(samples[i], samples[j], bandwidth=bandwidth, estimator="biased")
            D[i, j] = D[j, i] = float(np.sqrt(max(value, 0.0)))
    return names, D


def _distance_section(
    report: HtmlReport, suite: Any, settings: ReportSettings, domains: dict[str, np.ndarray]
) -> None:
    from transferkit.report.figures import heatmap

    if len(domains) < 2:
        report.note("Fewer than two domains could be loaded: no domain-distance heat map.")
        return
    t0 = time.process_time()
    names, D = domain_distances(
        domains, max_samples=settings.max_samples, random_state=settings.random_state
    )
    report.figure(
        heatmap(D, names, names, label="MMD (Gaussian kernel)"),
        f"Domain distances of {suite.name}: MMD between every pair of domains (biased "
        f"estimate, one Gaussian bandwidth from the median heuristic of the pooled "
        f"samples; at most {settings.max_samples} samples per domain, random_state="
        f"{settings.random_state}; {time.process_time() - t0:.1f} CPU s).",
    )


def _choose_task(state: dict[str, Any], finished: list[dict], settings: ReportSettings) -> str:
    tasks = list(state["tasks"])
    if settings.task is not None:
        if settings.task not in tasks:
            raise TransferKitInputError(
                f"--task {settings.task!r} is not a task of suite {state['suite']!r}; "
                f"tasks: {', '.join(tasks)}."
            )
        return settings.task
    done = {c["task"] for c in finished}
    return next(t for t in tasks if t in done)


def _first_cell(finished: list[dict], task: str, method: str) -> dict | None:
    cells = [c for c in finished if c["task"] == task and c["method"] == method]
    return min(cells, key=lambda c: c["seed"]) if cells else None


def _choose_method(
    state: dict[str, Any], finished: list[dict], task: str, settings: ReportSettings
) -> str | None:
    """``settings.method``, else the feature-mapping method most accurate on ``task``."""
    from transferkit.bench.registry import get_method

    methods = list(dict.fromkeys(c["method"] for c in finished if c["task"] == task))
    if settings.method is not None:
        if settings.method not in methods:
            raise TransferKitInputError(
                f"--method {settings.method!r} has no finished cell on task {task!r}; "
                f"methods there: {', '.join(methods)}."
            )
        return settings.method
    mean = {
        m: np.mean([c["accuracy"] for c in finished if c["task"] == task and c["method"] == m])
        for m in methods
    }
    for name in sorted(methods, key=lambda m: -mean[m]):
        if name == BASELINE:
            continue
        cell = _first_cell(finished, task, name)
        try:
            if cell is not None and is_mapping(get_method(_spec_name(cell)).build(0)):
                return name
        except TransferKitInputError:
            continue  # not registered in this install
    return None


def is_mapping(estimator: Any) -> bool:
    from transferkit.report.refit import is_feature_mapping

    return is_feature_mapping(estimator)


def _spec_name(cell: dict[str, Any]) -> str:
    """The registered method of a cell (a run's sweep label ``m[k=v]`` names ``m``)."""
    return str((cell.get("key") or {}).get("method", cell["method"]))


def _refit(finished: list[dict], task: str, method: str, data: tuple) -> Any:
    from transferkit.bench.registry import get_method
    from transferkit.report.refit import refit_cell

    cell = _first_cell(finished, task, method)
    if cell is None:
        return None
    fit = refit_cell(
        get_method(_spec_name(cell)),
        task,
        data,
        cell["seed"],
        cell.get("params") or {},
        recorded=cell.get("accuracy"),
        target_labels=(cell.get("key") or {}).get("target_labels"),
    )
    fit.method = method
    return fit


def _tsne(Z: np.ndarray, random_state: int) -> np.ndarray:
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, (len(Z) - 1) / 3.0))
    return TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=random_state
    ).fit_transform(np.asarray(Z, dtype=float))


def _embedding_section(
    report: HtmlReport, task: Any, data: tuple, fit: Any, settings: ReportSettings
) -> None:
    from transferkit.report.figures import embedding_plot
    from transferkit.report.refit import adapted_features

    Xs, ys, Xt, yt = (np.asarray(a) for a in data[:4])
    rng = np.random.default_rng(settings.random_state)
    i_s = _subsample(len(Xs), settings.max_samples, rng)
    i_t = _subsample(len(Xt), settings.max_samples, rng)
    after = adapted_features(fit.estimator, Xs[i_s], Xt[i_t])
    if after is None:
        report.note(f"{fit.method} does not map features: no t-SNE after adaptation.")
        return
    t0 = time.process_time()
    panels = []
    for title, (As, At) in (
        ("before: input features", (Xs[i_s], Xt[i_t])),
        (f"after {fit.method} (seed {fit.seed})", after),
    ):
        Z = _tsne(np.vstack([As, At]), settings.random_state)
        panels.append((f"t-SNE, {title}", Z[: len(i_s)], Z[len(i_s) :]))
    report.figure(
        embedding_plot(panels, (task.source, task.target), (ys[i_s], yt[i_t])),
        f"t-SNE of {task.name}: source (o) and target (x), coloured by class, before and "
        f"after {fit.method}. {len(i_s)} source and {len(i_t)} target samples drawn with "
        f"random_state={settings.random_state} (at most {settings.max_samples} per domain); "
        f"the model was fitted on all samples; scikit-learn TSNE(perplexity <= 30, "
        f"init='pca', random_state={settings.random_state}); "
        f"{time.process_time() - t0:.1f} CPU s.",
    )


def _scored(fit: Any, yt: np.ndarray) -> np.ndarray:
    return np.arange(len(yt)) if getattr(fit, "scored", None) is None else fit.scored


def _confusion_section(report: HtmlReport, task: Any, yt: np.ndarray, fits: list[Any]) -> None:
    from sklearn.metrics import confusion_matrix

    from transferkit.report.figures import confusion_matrices

    classes = np.unique(np.concatenate([np.asarray(yt), *[f.predictions for f in fits]]))
    panels = [
        (
            f"{f.method} ({f.accuracy:.1f}%)",
            # the samples the cell was scored on (under a budget: the ones not labelled)
            confusion_matrix(
                np.asarray(yt)[_scored(f, yt)], f.predictions[_scored(f, yt)], labels=classes
            ),
        )
        for f in fits
    ]
    report.figure(
        confusion_matrices(panels, [str(c) for c in classes]),
        f"Confusion matrices on the target of {task.name} (rows: true class, normalised "
        "to 1; columns: predicted class), from the refit models.",
    )


def _refit_section(
    report: HtmlReport, rf: ResultsFile, suite: Any, settings: ReportSettings
) -> None:
    state, finished = rf.state, rf.finished
    task_name = _choose_task(state, finished, settings)
    task = suite.task(task_name)
    method = _choose_method(state, finished, task_name, settings)
    data = tuple(np.asarray(a) for a in suite.load(task))
    report.heading(f"{task_name}: refit models")
    fits = []
    for name in dict.fromkeys(n for n in (BASELINE, method) if n is not None):
        try:
            fit = _refit(finished, task_name, name, data)
        except TransferKitInputError as exc:
            report.note(f"{name} was not refit: {exc}")
            continue
        if fit is not None:
            fits.append(fit)
    if not fits:
        report.note(f"No method of task {task_name} could be refit.")
        return
    report.table(
        ["method", "seed", "hyper-parameters", "refit accuracy (%)", "recorded (%)"],
        [
            [
                f.method,
                f.seed,
                ", ".join(f"{k}={v}" for k, v in f.params.items()) or "defaults",
                round(f.accuracy, 2),
                "—" if f.recorded is None else round(f.recorded, 2),
            ]
            for f in fits
        ],
        caption="The cells refit for the figures below (lowest finished seed)",
        table_id=f"refit-{state['suite']}",
    )
    chosen = next((f for f in fits if f.method == method), None)
    if chosen is None:
        report.note(
            "No feature-mapping method among the results of this task: no t-SNE after "
            "adaptation (choose one with --method)."
        )
    else:
        _embedding_section(report, task, data, chosen, settings)
    _confusion_section(report, task, data[3], fits)


# ----------------------------------------------------------------------- report
def _file_section(report: HtmlReport, rf: ResultsFile, settings: ReportSettings) -> None:
    from transferkit.bench.report import summarise

    state = rf.state
    suite_name = state["suite"]
    report.heading(f"Suite {suite_name} ({rf.path.name})")
    report.paragraph(f"Protocol: {state.get('protocol', '?')}")
    select = state.get("select", "none")
    if state.get("select_uses_target_labels"):
        report.paragraph(
            f"Selection: {select} — UPPER BOUND: hyper-parameters were chosen with the target "
            "labels; not achievable without them."
        )
    else:
        report.paragraph(f"Selection: {select} ({state.get('select_description', '')}).")
    env = state.get("environment", {})
    cells = state["cells"]
    versions = (
        f"; transferkit {env.get('transferkit', '?')} (git {env.get('git_commit') or '?'}), "
        f"Python {env.get('python', '?')}, scikit-learn {env.get('scikit-learn', '?')}"
        if env
        else ""
    )
    report.note(
        f"{len(rf.finished)} of {len(cells)} cells finished; "
        f"{'complete' if state.get('complete') else 'partial'}; updated "
        f"{state.get('updated', '?')}{versions}."
    )
    summary = summarise(state)
    order = list(state.get("methods", {}))
    summary = {
        m: summary[m]
        for m in sorted(summary, key=lambda m: order.index(m) if m in order else len(order))
        if any(summary[m]["per_task"].values())
    }
    _accuracy_section(report, state, summary)
    _bars_section(report, state, summary)
    failed = [c for c in cells if c.get("status") != "ok"]
    if failed:
        report.table(
            ["method", "task", "seed", "error"],
            [[c["method"], c["task"], c["seed"], c.get("error") or "?"] for c in failed],
            caption="Failed cells",
        )
    if not settings.refit:
        return
    _data_sections(report, rf, settings)


def _run_suite(rf: ResultsFile) -> Any:
    """A suite over the tasks of a ``transferkit run`` data entry (from its config.yaml)."""
    from transferkit.bench.suites import Suite, Task
    from transferkit.experiments.config import load_config
    from transferkit.experiments.data import resolve_data

    config = rf.run_dir / "config.yaml" if rf.run_dir is not None else None
    if config is None or not config.is_file():
        return None
    name = rf.state["suite"]
    sources = {s.task: s for s in resolve_data(load_config(config)) if s.data == name}
    if not sources:
        return None
    tasks = tuple(Task(t, f"{t}: source", f"{t}: target") for t in sources)
    return Suite(
        name=name,
        dataset=str(rf.state.get("dataset", name)),
        tasks=tasks,
        protocol=str(rf.state.get("protocol", "")),
        loader=lambda task: sources[task.name].load(),
    )


def _data_sections(report: HtmlReport, rf: ResultsFile, settings: ReportSettings) -> None:
    from transferkit.bench.suites import SUITES
    from transferkit.datasets import DatasetChecksumError, DatasetNotFoundError

    suite_name = rf.state["suite"]
    try:
        suite = SUITES[suite_name] if suite_name in SUITES else _run_suite(rf)
    except (TransferKitInputError, OSError) as exc:
        report.note(f"The data of {suite_name} cannot be loaded, figures left out: {exc}")
        return
    if suite is None:
        report.note(
            f"Data {suite_name!r} is neither a registered suite nor described by a run's "
            "config.yaml: no domain distances, t-SNE or confusion matrices (they refit from "
            "the data)."
        )
        return
    try:
        report.heading(f"Domain distances ({suite_name})")
        _distance_section(report, suite, settings, _suite_domains(suite))
        _refit_section(report, rf, suite, settings)
        if suite_name.startswith("nilm:"):
            _vi_section(report, rf)
    except (DatasetNotFoundError, DatasetChecksumError, OSError) as exc:
        report.note(f"The data of {suite_name} are not available here, figures left out: {exc}")


def _vi_section(report: HtmlReport, rf: ResultsFile) -> None:
    """One V-I image per class and domain of a NILM run (the data the cells used)."""
    from transferkit.demo import _examples, real_demo_data, simulated_demo_data
    from transferkit.report.figures import image_grid

    key = next((c.get("key") or {} for c in rf.finished if c.get("key")), {})
    spec = (key.get("data_fingerprint") or {}).get("nilm")
    if not isinstance(spec, dict):
        return
    if spec.get("dataset") == "simulated":
        data = simulated_demo_data(
            random_state=spec["random_state"],
            n_houses=spec["n_houses"],
            records_per_appliance=spec["records_per_appliance"],
            blur=spec["blur"],
        )
    else:
        data = real_demo_data(blur=spec["blur"])
    classes = sorted(
        set(np.asarray(data.y_source).tolist()) | set(np.asarray(data.y_target).tolist())
    )
    grid = np.stack(
        [
            _examples(data.images_source, data.y_source, classes),
            _examples(data.images_target, data.y_target, classes),
        ]
    )
    report.heading("V-I images")
    report.figure(
        image_grid(grid, list(data.names), classes),
        f"One V-I image (binary, {grid.shape[-1]}x{grid.shape[-1]}, the first record) per "
        f"class and domain of {rf.state['suite']}: {data.description}",
    )


def build_results_report(
    results: str | os.PathLike[str] | Sequence[ResultsFile],
    settings: ReportSettings | None = None,
) -> HtmlReport:
    """The :class:`~transferkit.report.HtmlReport` of a results folder (not yet saved).

    See the module docstring for the sections; ``settings`` chooses the refit task and
    method and bounds the sampling.
    """
    settings = settings or ReportSettings()
    settings.check()
    files = list(results) if isinstance(results, list | tuple) else find_results(results)
    if settings.task is not None and not any(settings.task in f.state["tasks"] for f in files):
        tasks = sorted({t for f in files for t in f.state["tasks"]})
        raise TransferKitInputError(
            f"--task {settings.task!r} is in none of the results; tasks: {', '.join(tasks)}."
        )
    suites = ", ".join(f.state["suite"] for f in files)
    report = HtmlReport(f"transferkit report: {suites}")
    report.paragraph(
        "Target accuracy of every method on every task, beside the published numbers; "
        "domain distances; embeddings before and after adaptation; confusion matrices. "
        f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} from "
        + ", ".join(str(f.path) for f in files)
        + "."
    )
    for rf in files:
        if settings.task is not None and settings.task not in rf.state["tasks"]:
            _file_section(report, rf, ReportSettings(**{**vars(settings), "refit": False}))
            report.note(f"No refit for {rf.state['suite']}: task {settings.task!r} is not in it.")
            continue
        _file_section(report, rf, settings)
    return report


def write_results_report(
    results: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    task: str | None = None,
    method: str | None = None,
    max_samples: int = 300,
    random_state: int = 0,
    refit: bool = True,
) -> Path:
    """Write the HTML report of ``results`` and return its path.

    Parameters
    ----------
    results : path
        Results folder of ``transferkit bench``/``transferkit run``, or one results file.
    output : path, optional
        The HTML file (default: ``report.html`` in the results folder).
    task, method : str, optional
        Task and method of the t-SNE and confusion matrices (see :class:`ReportSettings`).
    max_samples : int, default=300
        At most this many samples per domain in the heat map and the t-SNE.
    random_state : int, default=0
        Seed of the subsamples and of t-SNE.
    refit : bool, default=True
        Also draw the sections that load the data and refit a cell.

    Returns
    -------
    Path

    Examples
    --------
    >>> write_results_report("no/such/folder")
    Traceback (most recent call last):
    ...
    transferkit._validation.TransferKitInputError: RESULTS 'no/such/folder' does not exist; ...
    """
    settings = ReportSettings(
        task=task,
        method=method,
        max_samples=max_samples,
        random_state=random_state,
        refit=refit,
    )
    settings.check()
    files = find_results(results)
    root = Path(results)
    target = Path(output) if output is not None else (root.parent if root.is_file() else root)
    if output is None:
        target = target / DEFAULT_NAME
    if target.exists() and target.is_dir():
        raise TransferKitInputError(
            f"--output {str(target)!r} is a folder; give the path of the HTML file, e.g. "
            f"{str(target / DEFAULT_NAME)!r}."
        )
    report = build_results_report(files, settings)
    from transferkit.bench.storage import atomic_write

    atomic_write(target, report.to_html())
    return target
