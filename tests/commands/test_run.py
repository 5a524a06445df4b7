import json

from typer.testing import CliRunner

from transferkit.bench import register_method, unregister_method
from transferkit.cli import app

runner = CliRunner()

CONFIG = """
name: cli_tiny
data: [{suite: tiny, tasks: ["0->1", "0->2"]}]
methods:
  - tiny_1nn
  - name: tiny_1nn
    grid: {estimator__n_neighbors: [1, 15]}
selection: [oracle]
seeds: 2
memory: none
"""


def test_run_prints_the_table_writes_the_files_and_resumes(tmp_path, counting_method):
    (tmp_path / "e.yaml").write_text(CONFIG)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(tmp_path / "e.yaml"), "-o", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "mean ± std over seeds" in result.output and "oracle (UPPER BOUND)" in result.output
    assert "8 cells: 8 run, 0 resumed, 0 failed" in " ".join(result.output.split())
    assert (out / "table.csv").is_file() and (out / "config.yaml").is_file()
    assert len(list((out / "cells").glob("*.json"))) == 8
    rows = json.loads((out / "table.json").read_text())["rows"]
    assert len(rows) == 4 and all(r["n_ok"] == 2 for r in rows)
    result = runner.invoke(app, ["run", str(tmp_path / "e.yaml"), "-o", str(out), "--no-progress"])
    assert "8 cells: 0 run, 8 resumed, 0 failed" in " ".join(result.output.split())
    result = runner.invoke(
        app, ["run", str(tmp_path / "e.yaml"), "-o", str(out), "--no-progress", "--no-resume"]
    )
    assert "8 cells: 8 run, 0 resumed" in " ".join(result.output.split())


def test_failed_cells_give_exit_status_1_and_are_listed(tmp_path, counting_method):
    class Broken:
        def fit(self, X, y, X_target=None):
            raise ZeroDivisionError("no luck")

    register_method("broken_cli", lambda rs: Broken(), description="fails", replace=True)
    try:
        (tmp_path / "e.yaml").write_text(
            "data: [{suite: tiny, tasks: ['0->1']}]\nmethods: [broken_cli, tiny_1nn]\n"
        )
        result = runner.invoke(
            app, ["run", str(tmp_path / "e.yaml"), "-o", str(tmp_path / "o"), "--no-progress"]
        )
    finally:
        unregister_method("broken_cli")
    text = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "2 cells: 2 run, 0 resumed, 1 failed" in text
    assert "failed broken_cli on 0->1 (select none, seed 0): ZeroDivisionError: no luck" in text
