"""The benchmark scripts and examples use only the public API; the quick modes run.

Each script runs from a copy of ``benchmarks/`` in a temporary folder, so a quick run can
never overwrite the committed results in ``benchmarks/results``.
"""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))
#: Scripts whose --quick mode takes seconds and runs here: every script in benchmarks/
#: except those in NOT_RUN_YET (test_every_benchmark_script_has_a_quick_run below).
QUICK = [
    "coral_c_sensitivity",
    "core_methods",
    "deep_ddp",
    "deep_digits",
    "deep_tables",
    "deep_throughput",
    "determinism",
    "federated_diagnosis",
    "federated_finetune",
    "ftl_amazon",
    "finetune_mnist_usps",
    "finetune_plaid_vi",
    "ftl_cost",
    "instance_amazon_tradaboost",
    "instance_amazon_weighting",
    "instance_kliep_speed",
    "instance_kmm_scale",
    "instance_ratio_accuracy",
    "mapping_accuracy",
    "mapping_nystroem_accuracy",
    "mapping_nystroem_fidelity",
    "mapping_scaling",
    "mapping_scaling_fidelity",
    "mapping_speed",
    "mapping_subspace",
    "mapping_wide_data",
    "meda_speed",
    "metrics_correlation",
    "metrics_mmd_scale",
    "multisource",
    "multisource_deep",
    "nilm_cross_country",
    "negative_guard",
    "nilm_encodings",
    "nilm_protocols",
    "selection_amazon",
    "selection_runner",
    "transitive_chains",
]


#: Scripts whose --quick is not run here yet, with the reason (for their authors to clear).
NOT_RUN_YET: dict[str, str] = {}


#: Scripts that still reach into internals, with the reason (to be made public or rewritten).
PRIVATE_OK: dict[str, str] = {}


def _code_in_strings(tree: ast.AST) -> list[ast.AST]:
    """Code that a script runs in a child process from a string constant (``CHILD``)."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "import" in node.value
        ):
            try:
                found.append(ast.parse(node.value))
            except SyntaxError:  # prose (a docstring), not code
                continue
    return found


def _private_imports(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in (n for t in [tree, *_code_in_strings(tree)] for n in ast.walk(t)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("transferkit"):
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [
                a.name
                for a in node.names
                if a.name.startswith("transferkit")
                and any(part.startswith("_") for part in a.name.split("."))
            ]
    return found


@pytest.mark.parametrize(
    "script",
    SCRIPTS + sorted((ROOT / "examples").glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_scripts_import_only_the_public_api(script):
    if script.stem in PRIVATE_OK:
        assert _private_imports(script), f"{script.stem} is public now: drop it from PRIVATE_OK"
        return
    assert _private_imports(script) == []


@pytest.fixture(scope="module")
def bench_copy(tmp_path_factory):
    """A copy of benchmarks/ (scripts, helpers and results) in a temporary folder."""
    root = tmp_path_factory.mktemp("bench")
    shutil.copytree(
        ROOT / "benchmarks", root / "benchmarks", ignore=shutil.ignore_patterns(".work")
    )
    return root


def test_private_imports_are_found_in_child_process_code(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(
        'CHILD = r"""\nimport numpy as np\nfrom transferkit.instance._kernels import x\n"""\n'
        '"""Prose that mentions import but is not code."""\n',
        encoding="utf-8",
    )
    assert _private_imports(script) == ["transferkit.instance._kernels"]


def _committed_results(root: Path) -> dict[str, bytes]:
    """Every committed file under benchmarks/results of ``root`` (path -> contents).

    ``results/quick`` is where ``--quick`` runs write (git-ignored), so it is left out.
    """
    results = root / "benchmarks" / "results"
    return {
        str(p.relative_to(results)): p.read_bytes()
        for p in results.rglob("*")
        if p.is_file() and p.relative_to(results).parts[0] != "quick"
    }


@pytest.mark.parametrize("name", QUICK)
def test_benchmark_quick_mode_runs(name, bench_copy, data_home):
    before = _committed_results(bench_copy)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "TRANSFERKIT_DATA": str(data_home),
    }
    done = subprocess.run(
        [sys.executable, "-W", "ignore", f"benchmarks/{name}.py", "--quick"],
        cwd=bench_copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # A smoke run never overwrites, adds or removes a committed result file.
    after = _committed_results(bench_copy)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == [], f"--quick changed committed results: {changed}"


def test_every_benchmark_script_has_a_quick_run():
    assert sorted(p.stem for p in SCRIPTS if p.stem not in QUICK) == sorted(NOT_RUN_YET)
    assert not set(QUICK) & set(NOT_RUN_YET)


def test_every_quick_script_exists_and_has_a_quick_flag():
    names = {p.stem for p in SCRIPTS}
    for name in QUICK:
        assert name in names
        assert '"--quick"' in (ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
