"""The decoded-pixel cache: what keys it, what it returns, and how it survives damage."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sigbench.data import load_splits
from sigbench.data.pixel_cache import PIXEL_DIR


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / PIXEL_DIR).glob("*.npy"))


def _load(cfg, cache: Path | None):
    return load_splits(cfg, seed=0, cache_dir=cache)


@pytest.fixture
def folder(make_imagefolder) -> Path:
    return make_imagefolder({"a": 6, "b": 6})


@pytest.fixture
def test_folder(make_imagefolder) -> Path:
    return make_imagefolder({"a": 3, "b": 3}, name="test")


def test_second_load_hits_and_gives_the_same_pixels_memory_mapped(
    folder, test_folder, folder_config, tmp_path
):
    cfg = folder_config(folder, test=test_folder, val_split=0.25)
    first = _load(cfg, tmp_path / "cache")
    assert first.report.pixel_cache == {"train": "miss", "val": "miss", "test": "miss"}
    second = _load(cfg, tmp_path / "cache")
    assert second.report.pixel_cache == {"train": "hit", "val": "hit", "test": "hit"}
    assert isinstance(second.train.images, np.memmap)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(second, split).images, getattr(first, split).images)
        assert getattr(second, split).names == getattr(first, split).names
    assert second.report.decode_seconds >= 0 and len(_entries(tmp_path / "cache")) == 3


def test_cache_off_decodes_into_memory_the_same_pixels(
    folder, test_folder, folder_config, tmp_path
):
    cached = _load(folder_config(folder, test=test_folder), tmp_path / "cache")
    off = _load(folder_config(folder, test=test_folder, cache=False), tmp_path / "cache")
    assert off.report.pixel_cache == {"train": "off", "test": "off"}
    assert not isinstance(off.train.images, np.memmap)
    np.testing.assert_array_equal(off.train.images, cached.train.images)
    assert _load(folder_config(folder, test=test_folder), None).report.pixel_cache["train"] == "off"


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("change", ["rewritten", "touched", "added", "removed"])
def test_a_changed_or_added_file_changes_the_key(
    folder, test_folder, folder_config, tmp_path, write_image, change
):
    cfg = folder_config(folder, test=test_folder)
    before = _load(cfg, tmp_path / "cache")
    target = folder / "a" / "0.png"
    if change == "rewritten":  # same size, new content and mtime
        write_image(target, value=200)
        _touch_later(target)
    elif change == "touched":
        _touch_later(target)
    elif change == "added":
        write_image(folder / "b" / "new.png", value=99)
    else:
        target.unlink()
    after = _load(cfg, tmp_path / "cache")
    assert after.report.pixel_cache == {"train": "miss", "test": "hit"}
    if change == "rewritten":
        assert not np.array_equal(after.train.images, before.train.images)
    if change in ("added", "removed"):
        assert len(after.train) == len(before.train) + (1 if change == "added" else -1)


@pytest.mark.parametrize("setting", [{"image_size": 6}, {"jpeg_draft": True}, {"strict": True}])
def test_decode_settings_change_the_key(folder, test_folder, folder_config, tmp_path, setting):
    _load(folder_config(folder, test=test_folder), tmp_path / "cache")
    again = _load(folder_config(folder, test=test_folder, **setting), tmp_path / "cache")
    assert again.report.pixel_cache == {"train": "miss", "test": "miss"}


def test_height_and_width_both_key_the_cache(folder, test_folder, folder_config, tmp_path):
    """[8, 6] and [6, 8] are two entries with their own shapes; the int 8 is a third."""
    loads = [
        _load(folder_config(folder, test=test_folder, image_size=size), tmp_path / "cache")
        for size in ([8, 6], [6, 8], 8)
    ]
    assert all(load.report.pixel_cache["train"] == "miss" for load in loads)
    shapes = [load.train.images.shape[1:3] for load in loads]
    assert shapes == [(8, 6), (6, 8), (8, 8)]
    again = _load(folder_config(folder, test=test_folder, image_size=[6, 8]), tmp_path / "cache")
    assert again.report.pixel_cache["train"] == "hit" and again.train.images.shape[1:3] == (6, 8)


@pytest.mark.parametrize("damage", ["truncated", "one_byte_flipped", "no_sidecar", "garbled"])
def test_damaged_entry_is_rebuilt_and_reported(
    folder, test_folder, folder_config, tmp_path, caplog, damage
):
    cfg = folder_config(folder, test=test_folder)
    good = np.array(_load(cfg, tmp_path / "cache").train.images)
    entries = _entries(tmp_path / "cache")
    train_entry = next(p for p in entries if np.load(p).shape[0] == len(good))
    data = bytearray(train_entry.read_bytes())
    if damage == "truncated":
        train_entry.write_bytes(data[:-10])
    elif damage == "one_byte_flipped":
        data[-1] ^= 0xFF
        train_entry.write_bytes(bytes(data))
    elif damage == "no_sidecar":
        train_entry.with_suffix(".json").unlink()
    else:
        train_entry.with_suffix(".json").write_text("{not json")
    rebuilt = _load(cfg, tmp_path / "cache")
    assert rebuilt.report.pixel_cache == {"train": "rebuilt", "test": "hit"}
    assert "pixel cache" in caplog.text and "incomplete or corrupt" in caplog.text
    np.testing.assert_array_equal(rebuilt.train.images, good)
    assert _load(cfg, tmp_path / "cache").report.pixel_cache["train"] == "hit"


def test_a_hit_skips_the_same_unreadable_files(folder, test_folder, folder_config, tmp_path):
    (folder / "a" / "broken.png").write_bytes(b"not an image")
    cfg = folder_config(folder, test=test_folder)
    first = _load(cfg, tmp_path / "cache")
    second = _load(cfg, tmp_path / "cache")
    assert second.report.pixel_cache["train"] == "hit"
    assert second.report.skipped == first.report.skipped == 1
    assert second.train.names == first.train.names and len(second.train) == 12


def test_builtin_arrays_are_cached_by_content(tmp_path):
    from sigbench.config import data_config

    cfg = data_config(name="digits", image_size=8, max_per_class=10, val_split=0.0)
    first = _load(cfg, tmp_path / "cache")
    second = _load(cfg, tmp_path / "cache")
    assert set(first.report.pixel_cache.values()) == {"miss"}
    assert set(second.report.pixel_cache.values()) == {"hit"}
    np.testing.assert_array_equal(second.train.images, first.train.images)
    other = _load(cfg.model_copy(update={"max_per_class": 11}), tmp_path / "cache")
    assert other.report.pixel_cache["train"] == "miss"


def test_augmented_and_resampled_images_are_memory_mapped_scratch(
    folder, test_folder, folder_config, tmp_path
):
    cfg = folder_config(folder, test=test_folder, augment=["flip_horizontal"], balance="oversample")
    cached = _load(cfg, tmp_path / "cache")
    off = _load(cfg.model_copy(update={"cache": False}), tmp_path / "cache")
    assert isinstance(cached.train.images, np.memmap)
    np.testing.assert_array_equal(cached.train.images, off.train.images)
    assert cached.train.names == off.train.names
    assert not list((tmp_path / "cache" / PIXEL_DIR / "scratch").iterdir())  # unnamed files
