"""The ``transferkit`` command line, through typer's CliRunner."""

import json
import shutil

from typer.testing import CliRunner

import bench._fake as _fake
from transferkit.cli import app
from transferkit.datasets import DATASETS

runner = CliRunner()

# the synthetic suite and counting method of tests/bench, used as fixtures here too
fake_suite = _fake.fake_suite
counting_method = _fake.counting_method


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "bench" in result.output and "datasets" in result.output


def test_bench_writes_results(tmp_path, counting_method):
    args = ["bench", "tiny", "--methods", "tiny_1nn", "--seeds", "2", "-o", str(tmp_path)]
    result = runner.invoke(app, [*args, "--no-progress"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "tiny.json").read_text())
    assert data["complete"] and len(data["cells"]) == 6
    assert "tiny_1nn" in (tmp_path / "tiny.md").read_text()
    result = runner.invoke(app, [*args, "--resume", "--no-progress"])
    assert result.exit_code == 0 and counting_method.calls == 6


def test_bench_oracle_file_name(tmp_path, counting_method):
    args = ["bench", "tiny", "-m", "tiny_1nn", "-o", str(tmp_path), "--select", "oracle"]
    assert runner.invoke(app, [*args, "--no-progress"]).exit_code == 0
    assert (tmp_path / "tiny.select-oracle.md").exists()


def test_bench_errors_are_clear(tmp_path, counting_method):
    result = runner.invoke(app, ["bench", "tiny", "-m", "nosuch", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "unknown benchmark method 'nosuch'" in result.output
    result = runner.invoke(app, ["bench", "nosuch", "-m", "tiny_1nn", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "unknown benchmark suite" in result.output
    result = runner.invoke(app, ["bench", "tiny", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "--methods is required" in result.output


def test_bench_list_methods():
    result = runner.invoke(app, ["bench", "office_caltech_surf", "--list-methods"])
    assert result.exit_code == 0
    assert "coral" in result.output and "coral2016_t3:CORAL" in result.output
    assert "oracle" in result.output


def test_datasets_list(data_home):
    result = runner.invoke(app, ["datasets", "list", "--data-home", str(data_home)])
    assert result.exit_code == 0
    for name, info in DATASETS.items():
        assert name in result.output
        assert f"cite:    {info.citation}" in result.output
        assert f"licence: {info.licence}" in result.output


def test_datasets_verify_passes_on_the_real_files(data_home):
    result = runner.invoke(app, ["datasets", "verify", "--data-home", str(data_home)])
    assert result.exit_code == 0, result.output
    assert f"All {sum(len(d.files) for d in DATASETS.values())} file(s) match" in result.output


def test_datasets_verify_detects_an_altered_and_a_missing_file(data_home, tmp_path):
    info = DATASETS["office_caltech10_surf"]
    for file in info.files:
        (tmp_path / file.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_home / file.path, tmp_path / file.path)
    altered = tmp_path / info.files[0].path
    payload = bytearray(altered.read_bytes())
    payload[-1] ^= 0xFF
    altered.write_bytes(bytes(payload))
    (tmp_path / info.files[1].path).unlink()
    args = ["datasets", "verify", "office_caltech10_surf", "--data-home", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "altered" in text and "missing" in text
    assert "2 of 4 file(s) failed the check" in text


def test_datasets_verify_unknown_name():
    result = runner.invoke(app, ["datasets", "verify", "nosuch"])
    assert result.exit_code == 2 and "unknown data set" in result.output


def test_bench_ctrl_c_keeps_a_partial_file(tmp_path, fake_suite):
    from transferkit.bench import register_method, unregister_method

    def interrupt(random_state):
        raise KeyboardInterrupt

    register_method("ctrl_c", interrupt, description="interrupts", replace=True)
    try:
        args = ["bench", "tiny", "-m", "ctrl_c", "-o", str(tmp_path), "--no-progress"]
        result = runner.invoke(app, args)
    finally:
        unregister_method("ctrl_c")
    assert result.exit_code == 130 and "--resume" in result.output
    assert json.loads((tmp_path / "tiny.json").read_text())["complete"] is False
