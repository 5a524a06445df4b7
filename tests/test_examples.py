"""Every script in examples/ runs in its quick setting and states its running time."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))
_TIME = re.compile(r"about \d+(\.\d+)? (CPU )?(s|seconds|minutes?)\b")


def _doc(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_states_its_running_time_and_quick_mode(script):
    doc = " ".join(_doc(script).split())
    assert len(_TIME.findall(doc)) >= 2, f"{script.name}: state the full and --quick times"
    assert "--quick" in doc


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_in_its_quick_setting(script, data_home, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "TRANSFERKIT_DATA": str(data_home),
    }
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(script), "--quick"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip()
