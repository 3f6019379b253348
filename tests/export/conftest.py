"""Tiny finished runs to export: ImageSig-FC on the built-in digits and on a small RGB
ImageFolder (real files, for the benchmark), and the lecture CNN on the same folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sigbench.config import validate_config
from sigbench.experiments.run import train_run


def _train(results: Path, spec: dict, *overrides: str) -> Path:
    return train_run(validate_config(spec, "test", list(overrides)), results).run_dir


@pytest.fixture(scope="session")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ImageSig-FC, 8x8 digits with a time channel, rows and columns, trained 2 epochs."""
    spec = {
        "data": {"source": "builtin", "name": "digits", "image_size": 8},
        "signature": {"depth": 3, "two_direction": True, "path": "time"},
        "train": {"epochs": 2, "batch_size": 128},
    }
    return _train(tmp_path_factory.mktemp("digits"), spec)


@pytest.fixture(scope="session")
def rgb_folder(color_folder: Callable[..., Path]) -> Path:
    """Two classes of 20x16 RGB PNGs: reddish and bluish noise."""
    return color_folder("rgb", {"train": 30, "test": 12}, ("red", "blue"), (20, 16), ".png")


def _folder_spec(root: Path) -> dict:
    return {
        "data": {
            "source": "imagefolder",
            "train": str(root / "train"),
            "test": str(root / "test"),
            "image_size": 12,
        },
        "signature": {"depth": 2},
        "train": {"epochs": 2, "batch_size": 16},
    }


@pytest.fixture(scope="session")
def rgb_sig_run(tmp_path_factory: pytest.TempPathFactory, rgb_folder: Path) -> Path:
    return _train(tmp_path_factory.mktemp("rgb_sig"), _folder_spec(rgb_folder))


@pytest.fixture(scope="session")
def rgb_cnn_run(tmp_path_factory: pytest.TempPathFactory, rgb_folder: Path) -> Path:
    spec = _folder_spec(rgb_folder)
    return _train(tmp_path_factory.mktemp("rgb_cnn"), spec, "model.kind=simple_cnn")
