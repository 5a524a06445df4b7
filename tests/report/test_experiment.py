"""``transferkit report RESULTS``: the HTML report of a results folder."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from transferkit._validation import TransferKitInputError
from transferkit.bench import get_method, load_results
from transferkit.bench.report import summarise
from transferkit.cli import USAGE_ERROR, app
from transferkit.report.experiment import domain_distances, write_results_report
from transferkit.report.refit import adapted_features, refit_cell
from transferkit.report.results import find_results

pytest.importorskip("matplotlib")
runner = CliRunner()


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = re.search(rf"<table id='{re.escape(table_id)}'>(.*?)</table>", html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]


def test_report_of_a_bench_folder(tiny_results):
    path = write_results_report(tiny_results, max_samples=40)
    assert path == tiny_results / "report.html"
    html = path.read_text(encoding="utf-8")
    state = load_results(tiny_results / "tiny.json")
    summary = summarise(state)
    rows = {r[0]: r for r in _cells(html, "accuracy-tiny")}
    for method in ("source_only", "coral"):
        row = rows[f"{method} (ours, 2 seeds)"]
        for task, cell in zip(state["tasks"], row[1:4], strict=True):
            values = summary[method]["per_task"][task]
            assert cell == f"{np.mean(values):.2f} ± {np.std(values, ddof=1):.2f}"
    # bars per task, average bars, heat map, t-SNE, confusion matrices
    assert html.count("<img ") == 5
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "t-SNE of 0-&gt;1" in html and "after coral" in html
    refit = {r[0]: r for r in _cells(html, "refit-tiny")[1:]}
    for method in ("source_only", "coral"):  # the refit reproduces the recorded cell
        assert refit[method][3] == refit[method][4]


def test_published_rows_stand_beside_ours(tmp_path):
    """A digits results file whose source_only cells equal the JDA paper's 1NN row."""
    cells = [
        {"task": t, "method": "source_only", "seed": 0, "status": "ok", "accuracy": a}
        for t, a in (("U->M", 44.70), ("M->U", 65.94))
    ]
    state = {
        "schema": 1,
        "suite": "digits",
        "tasks": ["U->M", "M->U"],
        "protocol": "p",
        "select": "none",
        "methods": {"source_only": {"published": ["meda2018_t3:1NN", "rerun:1NN"]}},
        "cells": cells,
    }
    (tmp_path / "digits.json").write_text(json.dumps(state))
    html = write_results_report(tmp_path, refit=False).read_text(encoding="utf-8")
    rows = _cells(html, "accuracy-digits")
    assert rows[1] == ["source_only (ours, 1 seed)", "44.70", "65.94", "55.32", "", ""]
    assert rows[2] == ["↳ 1NN — published [1]", "44.70", "65.90", "55.30", "+0.02", "2/2"]
    assert rows[3][0].startswith("↳ 1NN, re-run here — re-computed, not published [2]")
    assert "<tr class='ref'>" in html and "ACM MM 2018" in html


def test_refit_features_are_those_the_pipeline_trains_on(fake_suite):
    data = fake_suite.load(fake_suite.task("0->2"))
    fit = refit_cell(get_method("coral"), "0->2", data, seed=0)
    Zs, Zt = adapted_features(fit.estimator, data[0], data[2])
    final = fit.estimator.steps_[-1][1]
    np.testing.assert_array_equal(final.predict(Zt), fit.predictions)
    np.testing.assert_allclose(Zs, fit.estimator.steps_[0][1].transform(data[0], "source"))
    assert (
        adapted_features(
            refit_cell(get_method("source_only"), "t", data, 0).estimator, data[0], data[2]
        )
        is None
    )


def test_domain_distances_are_the_mmd_of_the_subsamples(rng):
    from transferkit.metrics.mmd import median_heuristic, mmd2

    a, b = rng.normal(size=(40, 3)), rng.normal(size=(30, 3)) + 1.0
    names, D = domain_distances({"a": a, "b": b, "a2": a}, max_samples=50, random_state=0)
    assert names == ["a", "b", "a2"]
    sigma = median_heuristic(np.vstack([a, b, a]), random_state=0)
    expected = np.sqrt(mmd2(a, b, bandwidth=sigma, estimator="biased"))
    assert D[0, 1] == pytest.approx(expected) and D[1, 0] == D[0, 1]
    assert D[0, 2] == pytest.approx(0.0, abs=1e-12) and np.all(np.diag(D) == 0)


def test_cli_writes_the_report(tiny_results, tmp_path):
    out = tmp_path / "r" / "x.html"
    result = runner.invoke(
        app, ["report", str(tiny_results), "-o", str(out), "--max-samples", "30", "--no-refit"]
    )
    assert result.exit_code == 0, result.output
    assert f"Report: {out}" in result.output and "accuracy-tiny" in out.read_text()


def _corrupt(folder):
    (folder / "tiny.json").write_text('{"schema": 1, "suite": "ti')


def _no_finished(folder):
    cells = [{"task": "0->1", "method": "m", "seed": 0, "status": "error", "error": "boom"}]
    state = {"schema": 1, "suite": "tiny", "tasks": ["0->1"], "cells": cells}
    (folder / "tiny.json").write_text(json.dumps(state))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (None, "does not exist"),
        (lambda f: None, "holds no results file"),
        (lambda f: (f / "config.json").write_text('{"a": 1}'), "holds no results file"),
        (_corrupt, "is not valid JSON"),
        (lambda f: (f / "tiny.json").write_text(""), "is empty"),
        (_no_finished, "has no finished cell"),
    ],
)
def test_bad_results_folders_are_clear_errors(tmp_path, make, words):
    folder = tmp_path / "results"
    if make is not None:
        folder.mkdir()
        make(folder)
    with pytest.raises(TransferKitInputError, match=words):
        find_results(folder)
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == USAGE_ERROR and "Traceback" not in result.output
    assert words in " ".join(result.output.split())


def test_bad_choices_are_clear_errors(tiny_results):
    with pytest.raises(TransferKitInputError, match="is in none of the results; tasks: 0->1"):
        write_results_report(tiny_results, task="9->9")
    with pytest.raises(TransferKitInputError, match="--method 'jda' has no finished cell"):
        write_results_report(tiny_results, method="jda", max_samples=20)
    with pytest.raises(TransferKitInputError, match="is a folder"):
        write_results_report(tiny_results, tiny_results)
    with pytest.raises(TransferKitInputError, match="max_samples=5 is too small"):
        write_results_report(tiny_results, max_samples=5)


def test_report_of_a_nilm_run_folder_has_the_v_i_images(tmp_path):
    from transferkit.experiments import parse_config, run_experiment

    config = parse_config(
        {
            "name": "nilm_small",
            "data": [{"nilm": {"dataset": "simulated", "n_houses": 2, "records_per_appliance": 1}}],
            "methods": [
                "source_only",
                {"name": "pca", "sweep": {"transfer__n_components": [5, 10]}},
            ],
            "seeds": 1,
            "memory": "none",
        }
    )
    out = tmp_path / "run"
    run_experiment(config, output_dir=out, verbose=False)
    html = write_results_report(out, max_samples=30).read_text(encoding="utf-8")
    rows = {r[0]: r for r in _cells(html, "accuracy-nilm:simulated")[1:]}
    # one row per sweep setting, not an average over settings
    assert set(rows) == {
        "source_only (ours, 1 seed)",
        "pca[transfer__n_components=5] (ours, 1 seed)",
        "pca[transfer__n_components=10] (ours, 1 seed)",
    }
    refit = {r[0]: r for r in _cells(html, "refit-nilm:simulated")[1:]}
    assert len(refit) == 2 and all(r[3] == r[4] for r in refit.values())
    assert "<h2>V-I images</h2>" in html and "One V-I image (binary, 32x32" in html
    assert html.count("<img ") == 6  # bars x2, heat map, t-SNE, confusion, V-I grid


def test_cells_of_different_labelled_budgets_are_rows_of_their_own(fake_suite, tmp_path):
    from transferkit.experiments import parse_config, run_experiment

    config = parse_config(
        {
            "name": "tiny_budgets",
            "data": [{"suite": "tiny", "tasks": ["0->1"]}],
            "methods": ["source_only", "target_only"],
            "target_labels": {"per_class": [1, 2]},
            "seeds": [0, 1],
            "memory": "none",
        }
    )
    out = tmp_path / "run"
    summary = run_experiment(config, output_dir=out, verbose=False)
    (results,) = find_results(out)
    labels = {c["method"] for c in results.finished}
    assert labels == {f"{m}[per_class={k}]" for m in ("source_only", "target_only") for k in (1, 2)}
    table = {
        (r["target_per_class"], r["accuracy_mean"]) for r in summary.rows
    }  # the run's own table: one row per budget, mean over the two seeds
    for label, k in (("source_only[per_class=1]", 1), ("source_only[per_class=2]", 2)):
        accs = [c["accuracy"] for c in results.finished if c["method"] == label]
        assert len(accs) == 2 and (k, float(np.mean(accs))) in table
    # the refit draws the cell's budget: the label learner gets the labels, and both
    # refits are scored where their cells were (refit accuracy == recorded)
    html = write_results_report(out, method="target_only[per_class=2]", max_samples=30).read_text(
        encoding="utf-8"
    )
    refit = [r for r in _cells(html, "refit-tiny")[1:]]
    assert [r[0] for r in refit] == ["target_only[per_class=2]"]
    assert all(r[3] == r[4] for r in refit)


def test_data_that_cannot_be_loaded_leaves_out_only_the_data_figures(tmp_path):
    cells = [{"task": "a->b", "method": "coral", "seed": 0, "status": "ok", "accuracy": 50.0}]
    state = {"schema": 1, "suite": "not_registered", "tasks": ["a->b"], "cells": cells}
    (tmp_path / "x.json").write_text(json.dumps(state))
    html = write_results_report(tmp_path).read_text(encoding="utf-8")
    assert "is neither a registered suite nor described by a run" in html
    assert _cells(html, "accuracy-not_registered")[1][:2] == ["coral (ours, 1 seed)", "50.00"]
    assert html.count("<img ") == 2  # the two bar charts
