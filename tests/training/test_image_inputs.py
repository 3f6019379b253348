"""Online augmentation for image models: seeded, per sample, the data layer's transforms."""

import numpy as np
import pytest

from sigbench.data.augment import AUGMENTATIONS
from sigbench.training.image_inputs import ImageInputs


def images(n: int = 64, channels: int = 3) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, 6, 5, channels), dtype=np.uint8)


def test_batches_are_float_nchw_in_unit_range() -> None:
    pixels = images()
    batch = ImageInputs(pixels).take(np.array([3, 1]), train=False)
    assert batch.shape == (2, 3, 6, 5) and batch.is_contiguous()
    np.testing.assert_allclose(batch[0].permute(1, 2, 0).numpy(), pixels[3] / 255, atol=1e-7)
    assert ImageInputs(pixels).shape == (3, 6, 5)


def test_augmentation_is_deterministic_under_seed() -> None:
    names = ["flip_horizontal", "brightness", "noise", "rotate45"]
    indices = np.arange(32)
    first, second, other = (ImageInputs(images(), names, seed) for seed in (7, 7, 8))
    for _ in range(2):
        batch = first.take(indices, train=True)
        assert np.array_equal(batch, second.take(indices, train=True))
    assert not np.array_equal(first.take(indices, train=True), other.take(indices, train=True))


def test_evaluation_batches_are_never_augmented() -> None:
    inputs = ImageInputs(images(), ["noise", "flip_vertical"], seed=0)
    plain = ImageInputs(images()).take(np.arange(64), train=False)
    assert np.array_equal(inputs.take(np.arange(64), train=False), plain)


def test_each_sample_is_itself_or_one_of_the_data_layers_copies() -> None:
    pixels = images()
    inputs = ImageInputs(pixels, ["flip_horizontal", "brightness"], seed=3)
    out = (inputs.take(np.arange(64), train=True).permute(0, 2, 3, 1) * 255).round().byte()
    rng = np.random.default_rng(0)
    candidates = [pixels] + [
        copy(pixels, rng) for name in inputs.augment for copy in AUGMENTATIONS[name].values()
    ]
    kinds = [
        next(k for k, c in enumerate(candidates) if np.array_equal(out[i].numpy(), c[i]))
        for i in range(64)
    ]
    assert set(kinds) == {0, 1, 2, 3}  # original, flip, brightness +40, brightness +80


def test_color_swap_is_skipped_for_grayscale(caplog: pytest.LogCaptureFixture) -> None:
    inputs = ImageInputs(images(channels=1), ["color", "flip_vertical"])
    assert inputs.augment == ["flip_vertical"]
    assert "skipped for grayscale" in caplog.text
