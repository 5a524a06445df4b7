"""The NILM demo: the experiment (small), the report and the command."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from transferkit._validation import TransferKitInputError
from transferkit.cli import app
from transferkit.demo import (
    DemoData,
    check_labels_per_class,
    run_demo,
    run_demo_on,
    simulated_demo_data,
    write_report,
)


@pytest.fixture(scope="module")
def small():
    return run_demo(n_houses=3, records_per_appliance=3, labels_per_class=2, deep=False)


def test_rows_cover_no_transfer_transfer_labels_and_oracle(small):
    names = [r.method for r in small.rows]
    assert names[0] == "source only"
    assert "CORAL" in names
    assert any(n.startswith("TCA (k=") for n in names) and any(n.startswith("JDA") for n in names)
    assert "target only (2/class)" in names and names[-1].startswith("target oracle")
    for r in small.rows:
        assert 0.0 <= r.target_accuracy <= 1.0 and 0.0 <= r.macro_f1 <= 1.0
    labelled = [r for r in small.rows if r.uses_target_labels != "none"]
    assert labelled[0].uses_target_labels == str(2 * 9)


def test_scores_are_on_houses_the_labels_did_not_come_from(small):
    data = small.data
    assert not (data.label_pool & data.test).any()
    assert set(np.unique(data.y_target[data.test])) == set(np.unique(data.y_source))


def test_source_only_row_is_what_a_plain_classifier_scores(small):
    """The demo's number is the classifier's own accuracy on the test houses."""
    from sklearn.linear_model import LogisticRegression

    d = small.data
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(d.X_source, d.y_source)
    expected = clf.score(d.X_target[d.test], d.y_target[d.test])
    assert small.rows[0].target_accuracy == pytest.approx(expected)


def test_distances_and_assessments(small):
    spaces = [s for s, _, _ in small.distances]
    assert spaces[0] == "V-I image features" and len(spaces) == 3
    assert all(m >= 0 and 0 <= p <= 2 for _, m, p in small.distances)
    verdicts = {a[1] for a in small.assessments}
    assert verdicts <= {"helps", "hurts", "uncertain"}
    evidence = [a[4] for a in small.assessments]
    assert evidence[-1] == "target_cv" and set(evidence[:-1]) == {"reverse"}


def test_the_simulated_shift_is_real():
    """The two countries' features differ; a US classifier is far from the target oracle."""
    d = simulated_demo_data(n_houses=2, records_per_appliance=2)
    assert d.X_source.shape[1] == d.X_target.shape[1] == 1024
    assert not np.allclose(d.X_source.mean(0), d.X_target.mean(0), atol=1e-3)


def test_report_is_one_offline_file(small, tmp_path):
    pytest.importorskip("matplotlib")
    path = write_report(small, tmp_path / "out")
    text = path.read_text(encoding="utf-8")
    assert path.name == "report.html"
    assert text.count("data:image/png;base64,") == 3  # V-I grid, bars, embedding
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert "source only" in text and "Negative-transfer check" in text


@pytest.mark.parametrize("bad", [0, 4, True, 1.5])
def test_labels_per_class_out_of_range(bad):
    with pytest.raises(TransferKitInputError, match="out of range"):
        run_demo(n_houses=2, records_per_appliance=3, labels_per_class=bad, deep=False)


def test_check_labels_per_class_and_houses():
    check_labels_per_class(5)
    with pytest.raises(TransferKitInputError, match="from 1 to 5"):
        check_labels_per_class(6)
    with pytest.raises(TransferKitInputError, match="n_houses=1 is too few"):
        simulated_demo_data(n_houses=1)


def test_target_classes_must_be_source_classes():
    d = simulated_demo_data(n_houses=2, records_per_appliance=2)
    keep = d.y_source != "kettle"
    bad = DemoData(
        d.X_source[keep],
        d.y_source[keep],
        d.X_target,
        d.y_target,
        d.images_source,
        d.images_target,
        d.label_pool,
        d.test,
        d.names,
        "",
    )
    with pytest.raises(TransferKitInputError, match="every target class"):
        run_demo_on(bad, labels_per_class=1, deep=False)


def test_command_prints_the_table_and_writes_the_report(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import transferkit.demo as demo

    real = demo.simulated_demo_data
    monkeypatch.setattr(
        demo,
        "simulated_demo_data",
        lambda random_state=0: real(random_state, n_houses=2, records_per_appliance=3),
    )
    result = CliRunner().invoke(app, ["demo", "--no-deep", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "source only" in result.output and "Negative-transfer check" in result.output
    assert (tmp_path / "report.html").exists()


def test_command_runs_the_real_transfer_with_data(data_home):
    result = CliRunner().invoke(app, ["demo", "--data", str(data_home), "--no-deep", "--no-report"])
    assert result.exit_code == 0, result.output
    assert "PLAID 2018 (US) -> HFHAD-C" in result.output
    assert "target oracle" in result.output and "source only" in result.output


def _readme_rows(title: str) -> list[list[str]]:
    """Cells of the rich table under ``title`` in the README's demo output block."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    block = text[text.index(title) :]
    rows = []
    for line in block.splitlines()[1:]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append([c.strip() for c in line.strip("│").split("│")])
    return rows


def test_readme_table_is_what_the_demo_computes():
    """The README's demo output (shallow rows, distances, checks) is the default run's."""
    res = run_demo(deep=False)
    table = {r[0]: r for r in _readme_rows("Target accuracy on the test records")}
    assert len(table) == len(res.rows) + 1  # + the DANN row (deep=False here)
    for row in res.rows:
        cells = table[row.method]
        assert cells[1] == row.uses_target_labels
        assert cells[2].split("%")[0] == f"{100 * row.target_accuracy:.1f}"
        assert cells[3] == f"{100 * row.macro_f1:.1f}%"
    distances = _readme_rows("Domain distance, source vs target")
    assert [[s, f"{m:.3f}", f"{p:.2f}"] for s, m, p in res.distances] == distances
    checks = _readme_rows("Negative-transfer check (assess_transfer) vs the measured gain")
    assert [[n, v, e, f"{100 * g:+.1f}"] for n, v, _, _, e, g in res.assessments] == checks
