"""Tiny synthetic images written to tmp_path: fast, and independent of any installed dataset."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sigbench.config import DataConfig, data_config
from tests.helpers.images import write_idx

WriteImage = Callable[..., Path]


def _write_image(path: Path, size: tuple[int, int] = (12, 10), value: int = 0) -> Path:
    """An RGB image (width, height) = size whose pixels encode ``value`` and their position."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 9 % 256, y * 13 % 256, np.full_like(x, value % 256)], axis=-1)
    Image.fromarray(pixels.astype(np.uint8), "RGB").save(path)
    return path


@pytest.fixture
def write_image() -> WriteImage:
    return _write_image


@pytest.fixture
def make_imagefolder(tmp_path: Path) -> Callable[..., Path]:
    """``make_imagefolder({"cat": 3, "dog": 5}, name="train")`` -> the folder's path."""

    def make(counts: dict[str, int], name: str = "train", size: tuple[int, int] = (12, 10)) -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for k, (label, count) in enumerate(sorted(counts.items())):
            for i in range(count):
                _write_image(root / label / f"{i}.png", size, value=40 * k + i)
        return root

    return make


@pytest.fixture
def fashion_root(tmp_path: Path) -> Path:
    """Fashion-MNIST-shaped IDX files: 40 train and 20 test 28x28 images over 10 classes."""
    root = tmp_path / "fmnist"
    root.mkdir()
    rng = np.random.default_rng(0)
    for split, n, suffix in (("train", 40, ".gz"), ("t10k", 20, "")):
        write_idx(root / f"{split}-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n, 28, 28)))
        write_idx(root / f"{split}-labels-idx1-ubyte{suffix}", np.arange(n) % 10)
    return root


@pytest.fixture
def folder_config() -> Callable[..., DataConfig]:
    """An imagefolder config at 8x8 with no validation split unless asked."""

    def config(train: Path, **fields: object) -> DataConfig:
        values: dict[str, object] = {"source": "imagefolder", "train": train, "image_size": 8}
        values.setdefault("val_split", 0.0)
        values.update(fields)
        return data_config(**values)

    return config


@pytest.fixture
def warnings_of(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The warning messages logged under sigbench.data so far."""
    caplog.set_level(logging.WARNING, logger="sigbench.data")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]

    return messages
