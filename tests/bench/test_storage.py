"""Where results go and how: output folder, committed files, damaged files, concurrency."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transferkit._validation import TransferKitInputError
from transferkit.bench import load_results, result_paths, run_benchmark
from transferkit.bench.storage import _umask
from transferkit.cli import app

TESTS = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _run(out, **kwargs):
    kwargs.setdefault("verbose", False)
    kwargs.setdefault("plot", False)
    return run_benchmark("tiny", kwargs.pop("methods", ["tiny_1nn"]), output_dir=out, **kwargs)


def test_result_files_get_normal_permissions(tmp_path, counting_method):
    _run(tmp_path, plot=True)
    expected = 0o666 & ~_umask()
    for suffix in (".json", ".md", ".png"):
        path = tmp_path / f"tiny{suffix}"
        assert path.stat().st_mode & 0o777 == expected, suffix
    assert (tmp_path / "tiny.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "content",
    [
        '{"schema": 1, "suite": "tiny", "cells": [{"task": "0->1", "met',  # truncated
        "",  # empty
        '{"schema": 1, "suite": "tiny", "cells": [{"task": "0->1"}]}',  # cells lack keys
        '{"schema": 1, "suite": "tiny", "cells": [{"task": "a", "method": "b", '
        '"seed": "x", "status": "ok"}]}',
        "[1, 2, 3]",  # not a results file
        '{"schema": 99, "suite": "tiny", "cells": []}',
    ],
)
@pytest.mark.parametrize("resume", [False, True])
def test_a_damaged_results_file_is_named_and_never_destroyed(
    tmp_path, counting_method, content, resume
):
    json_path, _ = result_paths("tiny", tmp_path)
    json_path.write_text(content)
    with pytest.raises(TransferKitInputError, match=r"tiny\.json") as info:
        _run(tmp_path, resume=resume)
    assert "left untouched" in str(info.value)
    assert json_path.read_text() == content and counting_method.calls == 0
    args = ["bench", "tiny", "-m", "tiny_1nn", "-o", str(tmp_path), "--no-progress"]
    result = runner.invoke(app, [*args, "--resume"] if resume else args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output and "JSONDecodeError" not in result.output
    assert result.output.startswith("Error:") and result.output.count("\n") == 1
    assert json_path.read_text() == content


def test_an_unwritable_output_folder_is_refused_before_any_work(tmp_path, counting_method):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(TransferKitInputError, match="cannot be written"):
        _run(blocker / "results")
    assert counting_method.calls == 0
    result = runner.invoke(app, ["bench", "tiny", "-m", "tiny_1nn", "-o", str(blocker / "r")])
    assert result.exit_code == 2 and "--output" in result.output


def test_absurd_seed_counts_are_refused_with_the_allowed_range(tmp_path, counting_method):
    with pytest.raises(TransferKitInputError, match=r"1\.\.1000"):
        _run(tmp_path, seeds=1_000_000_000)
    with pytest.raises(TransferKitInputError, match="out of range"):
        _run(tmp_path, seeds=[-1])
    result = runner.invoke(
        app, ["bench", "tiny", "-m", "tiny_1nn", "-o", str(tmp_path), "--seeds", "1000000000"]
    )
    assert result.exit_code == 2 and "allowed range is 1..1000" in result.output
    assert counting_method.calls == 0


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_committed_results_are_not_overwritten_without_force(tmp_path, counting_method):
    _run(tmp_path)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "tiny.json"], check=True)
    subprocess.run([*git, "commit", "-qm", "results"], check=True)
    before = (tmp_path / "tiny.json").read_text()
    with pytest.raises(TransferKitInputError, match="committed result file"):
        _run(tmp_path, seeds=2)
    assert (tmp_path / "tiny.json").read_text() == before
    result = runner.invoke(app, ["bench", "tiny", "-m", "tiny_1nn", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "--force" in result.output
    _run(tmp_path, seeds=2, force=True)
    assert len(load_results(tmp_path / "tiny.json")["cells"]) == 6


def test_the_default_output_is_a_folder_under_the_current_directory(
    tmp_path, counting_method, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["bench", "tiny", "-m", "tiny_1nn", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "transferkit_results" / "tiny.json").is_file()


def test_the_thread_settings_are_recorded(tmp_path, counting_method, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    state = _run(tmp_path)
    threads = state["environment"]["threads"]
    assert threads["env"]["OMP_NUM_THREADS"] == "1"
    assert isinstance(threads["threadpools"], list)
    assert all("num_threads" in pool for pool in threads["threadpools"])
    assert load_results(tmp_path / "tiny.json")["environment"]["threads"] == threads


_DRIVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    from bench._fake import _load
    from sklearn.neighbors import KNeighborsClassifier
    from transferkit import SourceOnly
    from transferkit.bench import Suite, Task, register_method, register_suite
    from transferkit.cli import app

    out, method = Path(sys.argv[2]), sys.argv[3]
    tasks = (Task("0->1", "0", "1"), Task("0->2", "0", "2"), Task("0->3", "0", "3"))
    register_suite(Suite("tiny", "synthetic", tasks, "synthetic blobs", loader=_load))

    def slow(random_state):
        time.sleep(0.25)
        return SourceOnly(KNeighborsClassifier(1))

    register_method(method, slow, description="slow 1NN")
    (out / f"ready-{method}").touch()
    while len(list(out.glob("ready-*"))) < 2:  # start both runs together
        time.sleep(0.01)
    app(["bench", "tiny", "-m", method, "-s", "2", "-o", str(out / "res"), "--no-progress",
         "--no-plot"])
    """
)


def test_two_processes_writing_the_same_folder_keep_every_cell(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, str(TESTS), str(tmp_path), name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for name in ("slow_a", "slow_b")
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    data = load_results(tmp_path / "res" / "tiny.json")
    keys = {(c["method"], c["task"], c["seed"]) for c in data["cells"]}
    assert len(keys) == 12 and {m for m, _, _ in keys} == {"slow_a", "slow_b"}
    assert all(c["status"] == "ok" for c in data["cells"])
    assert set(data["methods"]) == {"slow_a", "slow_b"}
    assert json.loads((tmp_path / "res" / "tiny.json").read_text()) == data


def test_list_methods_needs_no_suite():
    result = runner.invoke(app, ["bench", "--list-methods"])
    assert result.exit_code == 0
    assert "source_only" in result.output and "all suites" in result.output
    result = runner.invoke(app, ["bench"])
    assert result.exit_code == 2 and "SUITE is required" in result.output


def test_plot_without_matplotlib_warns_and_keeps_the_results(
    tmp_path, counting_method, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.warns(RuntimeWarning, match=r"transferkit\[report\]"):
        _run(tmp_path, plot=True)
    assert load_results(tmp_path / "tiny.json")["complete"]
    assert not (tmp_path / "tiny.png").exists()


def test_the_plot_shows_our_rows_and_the_published_ones(tmp_path):
    from transferkit.bench.plot import plot_results

    state = {
        "suite": "digits",
        "tasks": ["U->M", "M->U"],
        "select": "none",
        "methods": {"source_only": {"published": ["rerun:1NN"]}},
        "cells": [
            {
                "task": t,
                "method": "source_only",
                "seed": 0,
                "status": "ok",
                "accuracy": a,
                "fit_seconds": 0.1,
                "predict_seconds": 0.1,
                "peak_traced_bytes": None,
                "peak_rss_delta_bytes": None,
                "selection": {},
            }
            for t, a in (("U->M", 44.7), ("M->U", 65.94))
        ],
    }
    path = plot_results(state, tmp_path / "digits.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and path.stat().st_size > 5000
