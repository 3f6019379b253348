"""Helpers for end-to-end tests: run the real CLI in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def sigbench(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "sigbench", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def only_run(results: Path) -> Path:
    runs = [p for p in (results / "runs").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return runs[0]


def metrics_of(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.fixture(scope="session")
def rgb_folder(color_folder: Callable[..., Path]) -> Path:
    """A tiny two-class ImageFolder of RGB JPEGs: reddish 'fire' and bluish 'no_fire'."""
    splits = {"training_set": 24, "test_set": 8}
    return color_folder("fire", splits, ("fire", "no_fire"), (48, 40), ".jpg")
