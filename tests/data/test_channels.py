"""data.channels: auto reads grayscale files as one channel, decided before the run id."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sigbench.config import data_config, validate_config
from sigbench.data import load_splits
from sigbench.data.channels import stored_channels
from sigbench.data.sources.files import FileFetcher
from sigbench.progress import SILENT


def _gray_folder(root: Path, count: int = 3, size: tuple[int, int] = (60, 80)) -> Path:
    """Two classes of grayscale PNGs (``size`` is width, height), different per class."""
    for k, label in enumerate(("a", "b")):
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            values = np.full(size[::-1], 60 * k + 10 * i, dtype=np.uint8)
            Image.fromarray(values, "L").save(root / label / f"{i}.png")
    return root


def _spec(train: Path, **data: object) -> dict:
    return {"data": {"source": "imagefolder", "train": str(train), "image_size": [80, 60], **data}}


@pytest.mark.parametrize(
    ("mode", "name"),
    [("L", "a.png"), ("1", "a.png"), ("I;16", "a.png"), ("LA", "a.png")]
    + [("I", "a.tif"), ("F", "a.tif")],
)
def test_every_grayscale_mode_counts_as_one_channel(tmp_path: Path, mode: str, name: str) -> None:
    Image.new(mode, (4, 3)).save(tmp_path / name)
    assert Image.open(tmp_path / name).mode == mode  # stored as written
    assert stored_channels([tmp_path / name]) == 1


def test_one_colour_file_makes_rgb(tmp_path: Path) -> None:
    Image.new("L", (4, 3)).save(tmp_path / "l.png")
    Image.new("RGB", (4, 3)).save(tmp_path / "c.png")
    Image.new("P", (4, 3)).save(tmp_path / "p.png")
    assert stored_channels([tmp_path / "l.png", tmp_path / "c.png"]) == 3
    assert stored_channels([tmp_path / "p.png"]) == 3  # a palette may hold any colour


def test_unreadable_files_do_not_decide(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_text("not an image")
    Image.new("L", (4, 3)).save(tmp_path / "l.png")
    assert stored_channels([tmp_path / "bad.png", tmp_path / "l.png"]) == 1
    assert stored_channels([tmp_path / "bad.png"]) is None


def test_auto_resolves_into_the_config_and_its_run_id(
    tmp_path: Path, make_imagefolder: Callable[..., Path]
) -> None:
    gray = validate_config(_spec(_gray_folder(tmp_path / "gray")))
    rgb = validate_config(_spec(make_imagefolder({"a": 2, "b": 2})))
    assert (gray.data.channels, rgb.data.channels) == (1, 3)
    explicit = validate_config(_spec(tmp_path / "gray", channels=1))
    assert gray.run_id() == explicit.run_id()  # the decision, not the word auto, is hashed
    as_rgb = validate_config(_spec(tmp_path / "gray", channels=3))
    assert as_rgb.data.channels == 3 and as_rgb.run_id() != gray.run_id()


def test_grayscale_files_decode_to_one_channel_with_their_own_cache_entry(tmp_path: Path) -> None:
    root = _gray_folder(tmp_path / "gray")
    cfg = data_config(source="imagefolder", train=root, image_size=[80, 60], val_split=0.0)
    splits = load_splits(cfg, seed=0, cache_dir=tmp_path / "cache")  # auto, never validated
    assert splits.train.images.shape[1:] == (80, 60, 1)
    as_rgb = load_splits(cfg.model_copy(update={"channels": 3}), 0, cache_dir=tmp_path / "cache")
    assert as_rgb.train.images.shape[1:] == (80, 60, 3)
    assert np.array_equal(as_rgb.train.images[..., 0:1], splits.train.images)
    assert len(list((tmp_path / "cache" / "pixels").glob("*.npy"))) == 4  # 2 splits x 2 ways
    settings = [
        FileFetcher([], cfg.model_copy(update={"channels": c}), SILENT).settings() for c in (1, 3)
    ]
    assert settings[0]["channels"] == 1 and settings[1]["channels"] == 3


def test_a_run_config_from_before_channels_reads_as_rgb(tmp_path: Path) -> None:
    root = _gray_folder(tmp_path / "gray")
    old = validate_config(_spec(root), "config.yaml", written_by_sigbench=True)
    assert old.data.channels == 3


def test_an_rgb_folder_keeps_the_run_id_it_had_before_channels(
    make_imagefolder: Callable[..., Path],
) -> None:
    spec = _spec(make_imagefolder({"a": 2, "b": 2}))
    before = validate_config(spec, "config.yaml", written_by_sigbench=True)  # no channels key
    assert "channels" not in spec["data"] and before.data.channels == 3
    assert validate_config(spec).run_id() == before.run_id()
    gray = validate_config(spec, overrides=["data.channels=1"])
    assert gray.run_id() != before.run_id()


def test_missing_files_leave_auto_for_the_loader_to_report(tmp_path: Path) -> None:
    config = validate_config(_spec(tmp_path / "nowhere"))
    assert config.data.channels == "auto"
