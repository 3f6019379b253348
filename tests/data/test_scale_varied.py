"""fashion-mnist-scale: the MNIST-scale recipe on tiny arrays and on a tiny IDX set this test
writes (no installed Fashion-MNIST needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sigbench.config import data_config
from sigbench.data import load_splits
from sigbench.data.scale_varied import (
    SCALE_RANGE,
    SPLIT_SIZES,
    protocol_split,
    rescale_on_canvas,
    scale_factors,
    split_sizes,
)
from sigbench.errors import SigbenchError
from tests.helpers.images import write_idx


def _square(side: int = 28) -> np.ndarray:
    image = np.zeros((1, side, side), dtype=np.uint8)
    image[0, 10:18, 10:18] = 255
    return image


def _bright_rows(image: np.ndarray) -> np.ndarray:
    return np.flatnonzero((image > 127).any(axis=1))


def test_rescaling_is_about_the_centre_on_the_canvas() -> None:
    square = _square()
    assert np.array_equal(rescale_on_canvas(square, np.array([1.0]), 28), square)
    half = rescale_on_canvas(square, np.array([0.5]), 28)[0]
    rows = _bright_rows(half)
    assert (rows.min(), rows.max()) == (12, 15)  # 8 pixels -> 4, centred at 13.5
    assert np.array_equal(half, half[::-1, ::-1])
    big = rescale_on_canvas(square, np.array([1.0]), 56)[0]
    assert big.shape == (56, 56) and (_bright_rows(big).min(), _bright_rows(big).max()) == (20, 35)
    with pytest.raises(SigbenchError, match="canvas 32"):
        rescale_on_canvas(square, np.array([1.0]), 32)


def test_factors_are_uniform_in_the_range_and_fixed() -> None:
    factors = scale_factors(20_000)
    assert factors.min() >= SCALE_RANGE[0] and factors.max() <= SCALE_RANGE[1]
    assert abs(factors.mean() - 0.65) < 0.01 and np.array_equal(factors, scale_factors(20_000))


def test_split_follows_the_protocol_sizes_or_their_proportions() -> None:
    assert split_sizes(70_000) == SPLIT_SIZES
    assert split_sizes(220) == (120, 100)
    labels = np.repeat(np.arange(10), 22)
    pool, test = protocol_split(labels)
    assert len(pool) == 120 and len(test) == 100 and not set(pool) & set(test)
    assert np.bincount(labels[test]).tolist() == [10] * 10  # stratified
    again = protocol_split(labels)
    assert np.array_equal(pool, again[0])
    with pytest.raises(SigbenchError, match="cannot split"):
        protocol_split(np.arange(6))  # six classes of one image each


@pytest.fixture
def white_root(tmp_path: Path) -> Path:
    """Fashion-MNIST-shaped IDX files of all-white 28x28 images: 50 train, 20 test."""
    root = tmp_path / "white"
    root.mkdir()
    for split, n in (("train", 50), ("t10k", 20)):
        write_idx(root / f"{split}-images-idx3-ubyte", np.full((n, 28, 28), 255))
        write_idx(root / f"{split}-labels-idx1-ubyte", np.arange(n) % 10)
    return root


def test_fashion_mnist_scale_from_idx_files(white_root: Path) -> None:
    cfg = data_config(name="fashion-mnist-scale", root=white_root, image_size=28, val_split=0.0)
    splits = load_splits(cfg, 0)
    assert splits.classes[0] == "t-shirt/top"
    assert (len(splits.train), len(splits.test)) == split_sizes(70)
    assert splits.test.names[0].startswith("fashion-mnist-scale/test[")
    # each white image became a centred white square of side ~ 28 x its factor
    sides = np.array([len(_bright_rows(image[..., 0])) for image in splits.test.images]) / 28
    assert sides.min() >= SCALE_RANGE[0] - 0.04 and sides.max() <= SCALE_RANGE[1] + 0.01
    assert sides.std() > 0.1  # factors differ from image to image
    again = load_splits(cfg, 5)  # another run seed: the same dataset
    np.testing.assert_array_equal(splits.test.images, again.test.images)
    large = load_splits(cfg.model_copy(update={"name": "fashion-mnist-scale-56"}), 0)
    assert large.test.images.shape[1:] == (28, 28, 1)  # resized to data.image_size
    large56 = load_splits(
        cfg.model_copy(update={"name": "fashion-mnist-scale-56", "image_size": 56}), 0
    )
    assert large56.test.images.shape[1:] == (56, 56, 1)
