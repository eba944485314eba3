"""Shared fixtures: real files, a real SQLite database in a temporary directory, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

EXAMPLES = Path(str(resources.files("storyline") / "examples"))


@pytest.fixture
def examples() -> list[Path]:
    """The two bundled Baghouz texts."""
    return sorted(EXAMPLES.glob("*.txt"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "test.db")


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m storyline`` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "storyline", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
