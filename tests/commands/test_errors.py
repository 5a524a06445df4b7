"""Every CLI error is one clear line with the right exit status, never a traceback."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pytest
from typer.testing import CliRunner

from transferkit import TransferKitInputError
from transferkit.cli import FAILURE, USAGE_ERROR, app
from transferkit.datasets import DATASETS

runner = CliRunner()


def _npy_header(path, shape, dtype="<f8", payload=b"\0" * 64, size=None):
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(payload)
        if size is not None:
            fh.truncate(size)  # sparse: claims and holds `size` bytes without using disk


def make_bad_files(folder, rng):
    """Write the hostile and malformed data files the CLI cases point at."""
    np.save(folder / "ok.npy", rng.normal(size=(30, 3)))
    np.save(folder / "ok4.npy", rng.normal(size=(30, 4)))
    noise = rng.bytes(400)
    for suffix in ("npy", "npz", "mat", "csv"):
        (folder / f"random.{suffix}").write_bytes(noise)
    (folder / "ragged.csv").write_text("1,2,3\n4,5\n6,7,8\n")
    (folder / "words.csv").write_text("a,b\n1,x\n")
    (folder / "empty.csv").write_text("")
    _npy_header(folder / "claims_1e12.npy", (10**12,))
    _npy_header(folder / "sparse_800MB.npy", (10**8,), size=10**8 * 8 + 128)
    np.save(folder / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(folder / "strings.npy", np.array([["a", "b"]]))
    with open(folder / "header.npy", "wb") as fh:  # a valid magic, a broken header
        fh.write(b"\x93NUMPY\x01\x00\x10\x00{'descr': <f8'  \n")
    with zipfile.ZipFile(folder / "forged.npz", "w") as archive:
        with archive.open("X.npy", "w") as member:
            header = {"descr": "<f8", "fortran_order": False, "shape": (10**12, 3)}
            np.lib.format.write_array_header_1_0(member, header)
    (folder / "folder.npy").mkdir()
    # experiment configs of `transferkit run`
    (folder / "broken.yaml").write_text("data: [\nmethods: x\n")
    (folder / "unknown_key.yaml").write_text(
        "data: [{suite: digits}]\nmethods: [source_only]\nseeds: 1\nworkers: 4\n"
    )
    Xt = rng.normal(size=(6, 3))
    Xt[2, 1] = np.nan
    np.savez(
        folder / "nan_task.npz",
        X_source=rng.normal(size=(6, 3)),
        y_source=[0, 1] * 3,
        X_target=Xt,
        y_target=[0, 1] * 3,
    )
    (folder / "ok_run.yaml").write_text("data: [{suite: digits}]\nmethods: [source_only]\n")
    (folder / "nan_task.yaml").write_text(
        "data: [{arrays: nan_task.npz}]\nmethods: [source_only]\noutput: nan_out\n"
    )
    (folder / "empty_results").mkdir()
    (folder / "truncated_results").mkdir()
    (folder / "truncated_results" / "digits.json").write_text('{"schema": 1, "suite": "dig')
    return folder


@pytest.fixture
def bad_files(tmp_path, rng):
    return make_bad_files(tmp_path, rng)


# (arguments, exit status, words the single error line must contain)
CASES = {
    "unknown domain": (
        ["distance", "office_caltech10_surf:nosuch", "{ok.npy}"],
        USAGE_ERROR,
        ["SOURCE 'office_caltech10_surf:nosuch'", "Unknown domain 'nosuch'", "amazon"],
    ),
    "two colons": (
        ["distance", "a:b:c", "{ok.npy}"],
        USAGE_ERROR,
        ["SOURCE 'a:b:c'", "DATASET:DOMAIN with one colon"],
    ),
    "unknown data set": (
        ["distance", "{ok.npy}", "nosuch:amazon"],
        USAGE_ERROR,
        ["TARGET", "nosuch"],
    ),
    "negative seed": (
        ["distance", "{ok.npy}", "{ok.npy}", "--seed", "-1"],
        USAGE_ERROR,
        ["--seed"],
    ),
    "negative seed (rank)": (
        ["rank", "{ok.npy}", "-c", "{ok.npy}", "--seed", "-1"],
        USAGE_ERROR,
        ["--seed"],
    ),
    "negative permutations": (
        ["distance", "{ok.npy}", "{ok.npy}", "--n-permutations", "-5"],
        USAGE_ERROR,
        ["--n-permutations"],
    ),
    "empty candidates": (["rank", "{ok.npy}", "-c", ""], USAGE_ERROR, ["--candidates names no"]),
    "comma only candidates": (["rank", "{ok.npy}", "-c", ","], USAGE_ERROR, ["--candidates"]),
    "feature mismatch": (
        ["distance", "{ok.npy}", "{ok4.npy}"],
        USAGE_ERROR,
        ["has 3 features", "TARGET", "has 4"],
    ),
    "random bytes .npy": (
        ["distance", "{random.npy}", "{ok.npy}"],
        USAGE_ERROR,
        ["not a valid .npy", "numpy.save"],
    ),
    "broken .npy header": (
        ["distance", "{header.npy}", "{ok.npy}"],
        USAGE_ERROR,
        ["not a valid .npy"],
    ),
    "random bytes .npz": (
        ["distance", "{random.npz}", "{ok.npy}"],
        USAGE_ERROR,
        ["not a readable .npz", "numpy.savez"],
    ),
    "random bytes .mat": (
        ["distance", "{random.mat}", "{ok.npy}"],
        USAGE_ERROR,
        ["not a readable MATLAB .mat", "savemat"],
    ),
    "random bytes .csv": (
        ["distance", "{random.csv}", "{ok.npy}"],
        USAGE_ERROR,
        ["not a numeric CSV", "comma-separated"],
    ),
    "ragged .csv": (["distance", "{ragged.csv}", "{ok.npy}"], USAGE_ERROR, ["not a numeric CSV"]),
    "words in .csv": (["distance", "{words.csv}", "{ok.npy}"], USAGE_ERROR, ["not a numeric CSV"]),
    "empty .csv": (["distance", "{empty.csv}", "{ok.npy}"], USAGE_ERROR, ["at least 2 sample"]),
    ".npy claiming 10^12 values": (
        ["distance", "{claims_1e12.npy}", "{ok.npy}"],
        USAGE_ERROR,
        ["claims a (1000000000000,) float64 array (7.3 TiB)", "truncated"],
    ),
    ".npz member claiming 3x10^12 values": (
        ["distance", "{forged.npz}", "{ok.npy}"],
        USAGE_ERROR,
        ["'X.npy'", "claims a (1000000000000, 3)", "truncated"],
    ),
    "pickled objects": (
        ["distance", "{objects.npy}", "{ok.npy}"],
        USAGE_ERROR,
        ["holds object values", "pickle"],
    ),
    "strings .npy": (
        ["distance", "{strings.npy}", "{ok.npy}"],
        USAGE_ERROR,
        ["only numeric arrays"],
    ),
    "a folder named .npy": (
        ["distance", "{folder.npy}", "{ok.npy}"],
        USAGE_ERROR,
        ["it is a folder"],
    ),
    "missing file": (["distance", "{missing.npy}", "{ok.npy}"], USAGE_ERROR, ["does not exist"]),
    "demo with 0 labels": (
        ["demo", "--labels-per-class", "0"],
        USAGE_ERROR,
        ["labels_per_class=0 is out of range", "from 1 to"],
    ),
    "demo with -1 labels": (["demo", "--labels-per-class", "-1"], USAGE_ERROR, ["out of range"]),
    "demo with 1000 labels": (["demo", "--labels-per-class", "1000"], USAGE_ERROR, ["from 1 to"]),
    "demo negative seed": (["demo", "--seed", "-1"], USAGE_ERROR, ["--seed"]),
    "run: missing config": (["run", "{missing.yaml}"], USAGE_ERROR, ["does not exist", ".yaml"]),
    "run: config is not YAML": (
        ["run", "{broken.yaml}"],
        USAGE_ERROR,
        ["is not valid YAML", "at line 3"],
    ),
    "run: unknown key": (
        ["run", "{unknown_key.yaml}"],
        USAGE_ERROR,
        ["workers: unknown key 'workers'; allowed keys: name,", "seeds"],
    ),
    "run: NaN in an npz": (
        ["run", "{nan_task.yaml}"],
        USAGE_ERROR,
        ["X_target in", "holds 1 NaN or infinite value(s) (first at row 2, column 1)"],
    ),
    "run: unknown backend": (
        ["run", "{ok_run.yaml}", "--backend", "dask"],
        USAGE_ERROR,
        ["backend='dask' is not known; choose sequential or ray"],
    ),
    "report of a missing folder": (
        ["report", "{no_results}"],
        USAGE_ERROR,
        ["does not exist", "--output folder of `transferkit bench`"],
    ),
    "report of an empty folder": (
        ["report", "{empty_results}"],
        USAGE_ERROR,
        ["holds no results file"],
    ),
    "report of a truncated results file": (
        ["report", "{truncated_results}"],
        USAGE_ERROR,
        ["digits.json is not valid JSON", "truncated"],
    ),
    "report of random bytes": (["report", "{random.npy}"], USAGE_ERROR, ["not a text results"]),
    "report with --max-samples 3": (
        ["report", "{empty_results}", "--max-samples", "3"],
        USAGE_ERROR,
        ["--max-samples"],
    ),
    "federated: random bytes .npz": (
        [
            "federated",
            "simulate",
            "--client",
            "{random.npz}",
            "--client",
            "{random.npz}",
            "--out",
            "{fed}",
        ],
        USAGE_ERROR,
        ["--client", "not a readable .npz", "np.savez"],
    ),
    "federated: .npz member claiming 3x10^12 values": (
        [
            "federated",
            "deploy",
            "--client",
            "{forged.npz}",
            "--client",
            "{forged.npz}",
            "--out",
            "{fed}",
        ],
        USAGE_ERROR,
        ["'X.npy'", "claims a (1000000000000, 3)", "truncated"],
    ),
    "federated: one client": (
        ["federated", "simulate", "--client", "{random.npz}", "--out", "{fed}"],
        USAGE_ERROR,
        ["at least 2 clients", "--client"],
    ),
    "federated: missing client file": (
        ["federated", "client", "--data", "{missing.npz}", "--out", "{fed}"],
        USAGE_ERROR,
        ["--client", "does not exist"],
    ),
}


def fill(args, folder):
    out = []
    for a in args:
        if a.startswith("{") and a.endswith("}"):
            a = str(folder / a[1:-1])
        out.append(a)
    return out


def assert_one_clear_line(result, code, words):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, result.output
    if code != USAGE_ERROR or "Error:" in result.output:
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) <= 1


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_error_is_one_clear_line(case, bad_files):
    args, code, words = CASES[case]
    result = runner.invoke(app, fill(args, bad_files))
    assert_one_clear_line(result, code, words)


def test_a_file_too_large_for_memory_is_refused_before_reading(bad_files, monkeypatch):
    monkeypatch.setenv("TRANSFERKIT_MEMORY_LIMIT", "100M")
    result = runner.invoke(app, ["distance", str(bad_files / "sparse_800MB.npy"), "x.npy"])
    assert_one_clear_line(result, USAGE_ERROR, ["reading file", "needs about 762.9 MiB"])


def test_debug_shows_the_traceback(bad_files):
    args = ["--debug", "distance", "a:b:c", str(bad_files / "ok.npy")]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, TransferKitInputError)
    result = runner.invoke(app, args[1:])
    assert result.exit_code == USAGE_ERROR
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_altered_data_file_is_one_line_and_status_1(data_home, tmp_path, monkeypatch):
    info = DATASETS["office_caltech10_surf"]
    for file in info.files:
        (tmp_path / file.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data_home / file.path, tmp_path / file.path)
    altered = next(tmp_path / f.path for f in info.files if f.path.endswith("amazon_SURF_L10.mat"))
    payload = bytearray(altered.read_bytes())
    payload[-1] ^= 0xFF
    altered.write_bytes(bytes(payload))
    monkeypatch.setenv("TRANSFERKIT_DATA", str(tmp_path))
    result = runner.invoke(
        app, ["distance", "office_caltech10_surf:amazon", "office_caltech10_surf:dslr"]
    )
    assert_one_clear_line(result, FAILURE, ["altered or corrupt", "SHA-256", "Replace it"])
    assert len(result.output.strip().splitlines()) <= 3  # one wrapped line, not a traceback


def test_an_unexpected_error_names_itself_and_asks_for_debug(monkeypatch, bad_files):
    import transferkit.commands.distance as command

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(command, "domain_distances", boom)
    ok = str(bad_files / "ok.npy")
    result = runner.invoke(app, ["distance", ok, ok])
    assert_one_clear_line(result, FAILURE, ["unexpected RuntimeError: boom", "--debug"])


def test_unwritable_or_missing_paths_are_one_line(monkeypatch, tmp_path):
    from transferkit.cli import _classify

    code, message = _classify(PermissionError(13, "Permission denied", str(tmp_path)))
    assert code == FAILURE and str(tmp_path) in message and "permission denied" in message
    code, message = _classify(OSError(28, "No space left on device", "out.json"))
    assert code == FAILURE and message == "No space left on device (out.json)."
    assert _classify(MemoryError())[0] == FAILURE
