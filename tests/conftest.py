"""Fixtures shared by every test folder: image folders, and tiny finished runs (ImageSig-FC
on the built-in digits and on a small RGB ImageFolder of real files, and the lecture CNN on
the same folder, and ImageSig-FC on the same images laid out for the ``labelfile`` source)
for the tests that export, benchmark, predict with or re-score a run.

Plain helpers (not fixtures) are in ``tests/helpers``.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from sigbench.config import validate_config
from sigbench.experiments.train import train_run
from tests.helpers.cli import REPO, RunCli, run_main

ColorFolder = Callable[..., Path]


def pytest_configure(config: pytest.Config) -> None:
    """One torch thread per test process (``OMP_NUM_THREADS``, unless set already; the CLI
    subprocesses and xdist workers inherit it). The suite's tensors are tiny, and two
    threads on a shared 2-core machine made the loop test's 30-epoch fit 17 times slower
    (2.9 s against 0.17 s, 2026-12-07). Code that splits work over threads is tested with
    several, through ``torch_threads``."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture
def torch_threads() -> Iterator[Callable[[int], None]]:
    """``torch_threads(3)``: torch's thread count for this test; put back after it."""
    threads = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(threads)


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """``run_cli("train", "configs/demo.yaml")``: sigbench in this process, run from the
    repository root with 200 columns, as the subprocess helper runs it. The columns are set
    on sigbench's consoles too: they keep the width COLUMNS had when they were made, in
    whichever test first imported them (a longer xdist temp path then wrapped a warning).
    ``--debug`` given to it holds for this test only (the flag lives in the CLI module)."""
    import sigbench.cli as cli
    from sigbench.cli import output

    monkeypatch.setitem(cli._state, "debug", False)
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("COLUMNS", "200")
    for console in (output.console, output.errors):
        monkeypatch.setattr(console, "_width", 200)  # what Console(width=200) would set
    return functools.partial(run_main, capsys)


@pytest.fixture(scope="session")
def color_folder(tmp_path_factory: pytest.TempPathFactory) -> ColorFolder:
    """Writes a two-class ImageFolder of RGB noise, one class reddish and one bluish.

    ``splits`` maps split folder -> images per class; ``classes`` names the reddish class,
    then the bluish one; ``shape`` is (height, width); ``suffix`` picks the format.
    """

    def write(
        name: str,
        splits: dict[str, int],
        classes: tuple[str, str],
        shape: tuple[int, int],
        suffix: str,
    ) -> Path:
        root = tmp_path_factory.mktemp(name)
        rng = np.random.default_rng(0)
        for split, count in splits.items():
            for class_name, channel in zip(classes, (0, 2), strict=True):
                folder = root / split / class_name
                folder.mkdir(parents=True)
                for i in range(count):
                    pixels = rng.integers(0, 120, (*shape, 3), dtype=np.uint8)
                    pixels[..., channel] += 120
                    Image.fromarray(pixels).save(folder / f"{i}{suffix}")
        return root

    return write


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


@pytest.fixture(scope="session")
def labelfile_data(tmp_path_factory: pytest.TempPathFactory, rgb_folder: Path) -> Path:
    """``rgb_folder`` in the label-file layout: ``train/1.png ...`` with ``train_labels.txt``
    and ``test/1.png ...`` with ``test_labels.txt`` (red is 1, blue is 0, interleaved)."""
    root = tmp_path_factory.mktemp("labelfile")
    for split in ("train", "test"):
        red, blue = (sorted((rgb_folder / split / c).glob("*.png")) for c in ("red", "blue"))
        pairs = [
            pair for both in zip(red, blue, strict=True) for pair in zip(both, "10", strict=True)
        ]
        (root / split).mkdir()
        for number, (image, _) in enumerate(pairs, start=1):
            shutil.copy(image, root / split / f"{number}.png")
        (root / f"{split}_labels.txt").write_text("".join(f"{label}\n" for _, label in pairs))
    return root


@pytest.fixture(scope="session")
def labelfile_run(tmp_path_factory: pytest.TempPathFactory, labelfile_data: Path) -> Path:
    """ImageSig-FC trained 2 epochs on ``labelfile_data``."""
    spec = {
        "data": {
            "source": "labelfile",
            "train": str(labelfile_data / "train"),
            "labels": str(labelfile_data / "train_labels.txt"),
            "test": str(labelfile_data / "test"),
            "test_labels": str(labelfile_data / "test_labels.txt"),
            "image_size": 12,
        },
        "signature": {"depth": 2},
        "train": {"epochs": 2, "batch_size": 16},
    }
    return _train(tmp_path_factory.mktemp("labelfile_run"), spec)
