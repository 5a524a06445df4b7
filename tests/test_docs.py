"""The examples in the documentation run (``>>>`` lines of docs/core.md, experiments.md,
federated.md, multisource.md, nilm.md, nilm_demo.md)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(
    "name",
    ["core.md", "experiments.md", "federated.md", "multisource.md", "nilm.md", "nilm_demo.md"],
)
def test_documentation_examples_run(name):
    result = doctest.testfile(
        str(DOCS / name),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0
