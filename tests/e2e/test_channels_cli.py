"""An 80x60 grayscale ImageFolder (the lecture's characters) trains on one channel; an RGB
folder on three; predict and export read images as the run was trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from tests.helpers.cli import RunCli, metrics_of, only_run

pytestmark = pytest.mark.e2e

DEPTH, NEURONS, CLASSES, HEIGHT, WIDTH = 3, 50, 2, 80, 60


def _spec(folder: Path, path: Path) -> Path:
    spec = {
        "data": {"source": "imagefolder", "train": str(folder), "image_size": [HEIGHT, WIDTH]},
        "signature": {"depth": DEPTH, "path": "time"},
        "model": {"kind": "imagesig_fc", "neurons": NEURONS},
        "train": {"epochs": 2, "batch_size": 64},
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def _folder(root: Path, mode: str) -> Path:
    """Two classes of 12 noisy WIDTH x HEIGHT images stored in ``mode``: dark and light."""
    rng = np.random.default_rng(0)
    for k, label in enumerate(("dark", "light")):
        (root / label).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 100, (HEIGHT, WIDTH, 3), dtype=np.uint8) + 120 * k
            Image.fromarray(pixels).convert(mode).save(root / label / f"{i}.png")
    return root


def _fc_params(channels: int) -> int:
    """ImageSig-FC on rows with a time channel: HEIGHT streams of sum_k (channels + 1)^k
    signature terms, Dense(NEURONS), Dense(CLASSES)."""
    length = sum((channels + 1) ** k for k in range(1, DEPTH + 1))
    return HEIGHT * length * NEURONS + NEURONS + NEURONS * CLASSES + CLASSES


@pytest.mark.parametrize(("mode", "channels"), [("L", 1), ("RGB", 3)])
def test_channels_follow_the_stored_images(
    run_cli: RunCli, tmp_path: Path, mode: str, channels: int
) -> None:
    folder = _folder(tmp_path / "images", mode)
    results = tmp_path / "results"
    done = run_cli("train", _spec(folder, tmp_path / "spec.yaml"), "--results", results)
    assert done.returncode == 0, done.stderr
    run = only_run(results)
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["channels"] == channels
    assert metrics_of(run)["params"] == _fc_params(channels)

    image = folder / "light" / "0.png"
    predicted = run_cli("predict", run, image)
    assert predicted.returncode == 0, predicted.stderr
    assert "0.png" in predicted.stdout
    exported = run_cli("export", run)
    assert exported.returncode == 0, exported.stderr
    from_onnx = run_cli("predict", run / "export" / "model.onnx", image)
    assert from_onnx.returncode == 0, from_onnx.stderr
    assert "0.png" in from_onnx.stdout
