"""Helpers for end-to-end tests: run the real CLI in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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
def rgb_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny two-class ImageFolder of RGB JPEGs: reddish 'fire' and bluish 'no_fire'."""
    root = tmp_path_factory.mktemp("fire")
    rng = np.random.default_rng(0)
    for split, count in (("training_set", 24), ("test_set", 8)):
        for name, channel in (("fire", 0), ("no_fire", 2)):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 120, (48, 40, 3), dtype=np.uint8)
                pixels[..., channel] += 120
                Image.fromarray(pixels).save(folder / f"{i}.jpg")
    return root
