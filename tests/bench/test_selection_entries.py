"""The label-free selectors are registered in the benchmark runner (``--select``)."""

import json

import pytest

from bench._fake import counting_method, fake_suite  # noqa: F401 - pytest fixtures
from transferkit.bench import run_benchmark
from transferkit.bench.selection import SELECTOR_CRITERIA, get_selector, list_selectors


def test_label_free_selectors_are_registered_and_never_see_target_labels():
    names = {s.name for s in list_selectors()}
    assert {"iwcv", "dev", "snd", "entropy", "reverse", "source_cv"} <= names
    for name in SELECTOR_CRITERIA:
        spec = get_selector(name)
        assert spec.uses_target_labels is False
        assert spec.description


@pytest.mark.parametrize("select", ["iwcv", "snd"])
def test_runner_selects_with_a_label_free_criterion(tmp_path, counting_method, select):  # noqa: F811
    result = run_benchmark(
        "tiny",
        ["tiny_1nn"],
        tasks=["0->1"],
        output_dir=tmp_path,
        select=select,
        verbose=False,
        memory="none",
    )
    saved = json.loads((tmp_path / f"tiny.select-{select}.json").read_text())
    assert saved["select"] == select
    assert saved["select_uses_target_labels"] is False
    cells = result["cells"] if "cells" in result else saved["cells"]
    (cell,) = cells
    assert cell["status"] == "ok", cell
    selection = cell["selection"]
    assert selection["selector"] == select
    assert selection["uses_target_labels"] is False
    assert selection["info"]["criterion"] == select
    scores = selection["info"]["criterion_scores"]
    assert len(scores) == 3
    # the model the runner fitted is the candidate with the best criterion score
    chosen = [1, 3, 15][scores.index(max(scores))]
    assert cell["params"] == {"estimator__n_neighbors": chosen}
