"""Non-square images end to end: an 80x60 grayscale ImageFolder trained, counted and exported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image

from sigbench.config import validate_config
from sigbench.experiments.train import train_run
from sigbench.export.graph import PixelClassifier
from sigbench.export.runtime import load_exported
from sigbench.runs.checkpoint import load_run
from tests.helpers.cli import RunCli, metrics_of, only_run

pytestmark = pytest.mark.e2e

HEIGHT, WIDTH, DEPTH, NEURONS = 80, 60, 2, 10
CHANNELS = 1  # grey files are read as grayscale (data.channels: auto)
SIG_LENGTH = CHANNELS + CHANNELS**2  # depth 2, no path transform


@pytest.fixture(scope="module")
def grey_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two classes of 100x75 (H x W) grayscale PNGs: dark noise and bright noise."""
    root = tmp_path_factory.mktemp("grey")
    rng = np.random.default_rng(0)
    for split, count in (("train", 16), ("test", 6)):
        for name, offset in (("dark", 0), ("bright", 120)):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 120, (100, 75), dtype=np.uint8) + offset
                Image.fromarray(pixels.astype(np.uint8), "L").save(folder / f"{i}.png")
    return root


def _spec(root: Path, two_direction: bool) -> dict:
    return {
        "data": {
            "source": "imagefolder",
            "train": str(root / "train"),
            "test": str(root / "test"),
            "image_size": [HEIGHT, WIDTH],
        },
        "signature": {"depth": DEPTH, "two_direction": two_direction},
        "model": {"neurons": NEURONS},
        "train": {"epochs": 2, "batch_size": 8},
    }


def _fc_params(streams: int, classes: int = 2) -> int:
    return streams * SIG_LENGTH * NEURONS + NEURONS + NEURONS * classes + classes


def test_rows_only_gives_height_streams(grey_folder: Path, tmp_path: Path) -> None:
    run = train_run(validate_config(_spec(grey_folder, False)), tmp_path).run_dir
    assert load_run(run).model.input_shape == (HEIGHT, SIG_LENGTH)
    assert metrics_of(run)["params"] == _fc_params(HEIGHT)


def test_cli_trains_80x60_two_direction_and_exports_80x60_onnx(
    run_cli: RunCli, grey_folder: Path, tmp_path: Path
) -> None:
    config = tmp_path / "grey.yaml"
    config.write_text(
        f"data: {{source: imagefolder, train: {grey_folder / 'train'}, "
        f"test: {grey_folder / 'test'}}}\n"
    )
    done = run_cli(
        "train", config, "--results", tmp_path / "r",
        "--set", f"data.image_size=[{HEIGHT}, {WIDTH}]", "--set", "signature.two_direction=true",
        "--set", f"signature.depth={DEPTH}", "--set", f"model.neurons={NEURONS}",
        "--set", "train.epochs=2", "--set", "train.batch_size=8",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{HEIGHT}x{WIDTH}" in done.stdout
    run = only_run(tmp_path / "r")
    assert load_run(run).model.input_shape == (HEIGHT + WIDTH, SIG_LENGTH)
    assert metrics_of(run)["params"] == _fc_params(HEIGHT + WIDTH)

    exported = tmp_path / "grey.onnx"
    done = run_cli("export", run, "--out", exported)
    assert done.returncode == 0, done.stderr
    session = onnxruntime.InferenceSession(str(exported), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1:] == [HEIGHT, WIDTH, CHANNELS]
    images = np.random.default_rng(1).integers(0, 256, (3, HEIGHT, WIDTH, CHANNELS), np.uint8)
    probabilities = session.run(None, {"images": images})[0]
    with torch.no_grad():
        expected = PixelClassifier(load_run(run))(torch.from_numpy(images)).numpy()
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-4, atol=1e-5)
    assert load_exported(exported).info.height_width == (HEIGHT, WIDTH)
