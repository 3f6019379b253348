"""Offline augmentation: what each copy looks like, and that only training images get copies."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from sigbench.data import ImageSet, load_splits
from sigbench.data.augment import NOISE_SIGMA, add_brightness, augment, rotate


def _set(images: np.ndarray) -> ImageSet:
    return ImageSet(images, np.arange(len(images)) % 2, [f"img{i}" for i in range(len(images))])


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (4, 6, 5, 3), dtype=np.uint8)


def test_every_augmentation_copies_every_image_with_a_named_suffix(rgb):
    names = ["flip_horizontal", "flip_vertical", "brightness", "color", "rotate45", "noise"]
    out, applied, notes = augment(_set(rgb), names, seed=0)
    assert applied == names and notes == []
    assert len(out) == 4 * 8  # originals + 5 single copies + 2 brightness copies
    assert out.names[:5] == ["img0", "img1", "img2", "img3", "img0#flip_horizontal"]
    suffixes = {n.split("#")[1] for n in out.names if "#" in n}
    assert suffixes == {
        "flip_horizontal", "flip_vertical", "brightness+40", "brightness+80",
        "color", "rotate45", "noise",
    }  # fmt: skip
    np.testing.assert_array_equal(out.labels, np.tile([0, 1, 0, 1], 8))
    np.testing.assert_array_equal(out.images[4:8], rgb[:, :, ::-1])
    np.testing.assert_array_equal(out.images[8:12], rgb[:, ::-1])
    np.testing.assert_array_equal(out.images[20:24], rgb[..., ::-1])


def test_brightness_raises_hsv_value_and_keeps_hue_and_saturation():
    pixels = np.array([[[[200, 100, 50], [0, 0, 0], [250, 10, 10], [30, 30, 30]]]], np.uint8)
    brighter = add_brightness(pixels, 40)[0, 0]
    np.testing.assert_array_equal(brighter[1], [40, 40, 40])  # black turns gray
    assert brighter[2].max() == 255  # clipped value
    np.testing.assert_array_equal(brighter[3], [70, 70, 70])
    before = colorsys.rgb_to_hsv(*(pixels[0, 0, 0] / 255))
    after = colorsys.rgb_to_hsv(*(brighter[0] / 255))
    assert after[2] * 255 == pytest.approx(240, abs=0.5)
    assert after[:2] == pytest.approx(before[:2], abs=0.01)


def test_brightness_on_grayscale_adds_to_intensity():
    gray = np.array([0, 100, 230], np.uint8).reshape(1, 1, 3, 1)
    np.testing.assert_array_equal(add_brightness(gray, 40).ravel(), [40, 140, 255])


def test_rotate45_keeps_size_and_fills_corners_black():
    white = np.full((2, 9, 9, 3), 255, np.uint8)
    turned = rotate(white, 45)
    assert turned.shape == white.shape and turned.dtype == np.uint8
    assert (turned[:, 0, 0] == 0).all() and (turned[:, 4, 4] == 255).all()
    marker = np.zeros((1, 9, 9, 1), np.uint8)
    marker[0, 0, 4] = 255  # top centre goes to the left centre when turned by 90 degrees
    np.testing.assert_array_equal(rotate(marker, 90)[0, ..., 0], np.rot90(marker[0, ..., 0]))


def test_noise_is_seeded_gaussian():
    flat = np.full((50, 16, 16, 1), 128, np.uint8)
    first, _, _ = augment(_set(flat), ["noise"], seed=5)
    again, _, _ = augment(_set(flat), ["noise"], seed=5)
    other, _, _ = augment(_set(flat), ["noise"], seed=6)
    noise = first.images[50:].astype(float) - 128
    np.testing.assert_array_equal(first.images, again.images)
    assert not np.array_equal(first.images, other.images)
    assert noise.std() == pytest.approx(NOISE_SIGMA, rel=0.05)


def test_color_on_grayscale_warns_and_is_skipped(warnings_of):
    gray = np.zeros((2, 4, 4, 1), np.uint8)
    out, applied, notes = augment(_set(gray), ["color", "flip_vertical"], seed=0)
    assert applied == ["flip_vertical"] and len(out) == 4
    assert any("'color'" in w for w in warnings_of()) and notes


def test_only_the_training_split_is_augmented(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 10, "b": 10})
    test = make_imagefolder({"a": 2, "b": 3}, name="test")
    cfg = folder_config(train, test=test, val_split=0.2, augment=["brightness", "noise"])
    splits = load_splits(cfg, seed=0)
    assert len(splits.train) == 16 * 4 and len(splits.val) == 4 and len(splits.test) == 5
    assert not any("#" in name for name in splits.val.names + splits.test.names)
    val_sources = set(splits.val.names)
    assert not any(name.split("#")[0] in val_sources for name in splits.train.names)
    assert splits.report.augmentations == ["brightness", "noise"]
