"""Shared helpers of the instance-transfer benchmarks (tables, JSON, environment)."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from _paths import RESULTS

AMAZON = "amazon_review_400"
AMAZON_DOMAINS = ("books", "dvd", "elec", "kitchen")
SHORT = {"books": "B", "dvd": "D", "elec": "E", "kitchen": "K"}
AMAZON_TASKS = [(s, t) for s in AMAZON_DOMAINS for t in AMAZON_DOMAINS if s != t]


def task_name(source: str, target: str) -> str:
    return f"{SHORT[source]}→{SHORT[target]}"


def environment() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except OSError:  # pragma: no cover
        commit = ""
    return {"python": platform.python_version(), "machine": platform.machine(), "commit": commit}


def write_results(name: str, payload: dict[str, Any], markdown: list[str]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2, default=float) + "\n")
    (RESULTS / f"{name}.md").write_text("\n".join(markdown) + "\n")
