"""``METHOD+guard``: the guarded variant of any registered benchmark method."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from transferkit import CORAL, SourceOnly, TransferKitInputError, make_transfer_pipeline
from transferkit.bench import (
    Task,
    get_method,
    load_results,
    register_method,
    run_benchmark,
    unregister_method,
)
from transferkit.bench.guard import no_transfer_baseline
from transferkit.negative import NegativeTransferGuard


@pytest.fixture
def coral_method():
    spec = register_method(
        "tiny_coral",
        lambda rs: make_transfer_pipeline(CORAL(), KNeighborsClassifier(1)),
        description="CORAL + 1NN",
        replace=True,
    )
    yield spec
    unregister_method("tiny_coral")


def test_guarded_spec_wraps_the_method_with_its_own_classifier(coral_method):
    spec = get_method("tiny_coral+guard")
    model = spec.build(0)
    assert isinstance(model, NegativeTransferGuard)
    assert model.baseline.get_params()["estimator"].get_params()["n_neighbors"] == 1
    assert "negative-transfer check" in spec.description


def test_bench_runs_the_guarded_cells(tmp_path, fake_suite, coral_method, tiny_loader):
    run_benchmark(
        "tiny", ["tiny_coral", "tiny_coral+guard"], seeds=1, output_dir=tmp_path, verbose=False
    )
    data = load_results(next(tmp_path.glob("*.json")))
    cells = {(c["method"], c["task"]): c for c in data["cells"]}
    assert all(c["status"] == "ok" for c in cells.values())
    Xs, ys, Xt, yt = tiny_loader(Task("0->3", "0", "3"))
    method = make_transfer_pipeline(CORAL(), KNeighborsClassifier(1))
    guard = NegativeTransferGuard(
        method, SourceOnly(KNeighborsClassifier(1)), n_splits=3, random_state=0
    ).fit(Xs, ys, X_target=Xt)
    assert cells["tiny_coral+guard", "0->3"]["accuracy"] == pytest.approx(
        100 * np.mean(guard.predict(Xt) == yt)
    )


def test_methods_without_a_final_classifier_are_refused_by_name():
    assert isinstance(no_transfer_baseline(SourceOnly(LogisticRegression())), SourceOnly)
    with pytest.raises(TransferKitInputError, match="no final classifier"):
        no_transfer_baseline(CORAL())


def test_cli_guard_flag_adds_the_guarded_variant(tmp_path, fake_suite, coral_method):
    from typer.testing import CliRunner

    from transferkit.cli import app

    args = ["bench", "tiny", "--methods", "tiny_coral", "--guard", "-o", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    cells = load_results(tmp_path / "tiny.json")["cells"]
    assert {c["method"] for c in cells} == {"tiny_coral", "tiny_coral+guard"}
    assert all(c["status"] == "ok" for c in cells)
