"""Every backend against every other, on random and real images, for every transform."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from sigbench.errors import SigbenchError
from sigbench.signature import (
    PATH_TRANSFORMS,
    available_backends,
    image_signatures,
    resolve_backend,
    signature_length,
)
from sigbench.signature.backends import BACKENDS

ALL_BACKENDS = list(BACKENDS)


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    # The floor keeps all-but-zero results (digits rows start and end on black, so with no
    # path transform their signatures are exactly 0 up to rounding) from dividing noise by noise.
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-9))


def real_images() -> np.ndarray:
    """Two real photos (scikit-image), shrunk to 12x12 RGB."""
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.chelsea()]
    return np.stack([np.asarray(Image.fromarray(p).resize((12, 12), Image.BOX)) for p in photos])


def real_digits() -> np.ndarray:
    from sklearn.datasets import load_digits

    return (load_digits().images[:4] * 255 / 16).astype(np.uint8)


RANDOM = np.random.default_rng(0).integers(0, 256, (3, 7, 6, 3), dtype=np.uint8)


def test_all_four_backends_are_installed() -> None:
    # They are all project dependencies: a missing one is a broken install, not a skip.
    assert sorted(available_backends()) == sorted(ALL_BACKENDS)


@pytest.mark.parametrize(
    "images", [RANDOM, real_images(), real_digits()], ids=["random", "photos", "digits"]
)
@pytest.mark.parametrize("path", PATH_TRANSFORMS)
@pytest.mark.parametrize("log_sig", [False, True], ids=["sig", "logsig"])
@pytest.mark.parametrize("two_direction", [False, True], ids=["rows", "rows+cols"])
def test_backends_agree_in_float64(
    images: np.ndarray, path: str, log_sig: bool, two_direction: bool
) -> None:
    results = {
        backend: image_signatures(
            images, 3, two_direction=two_direction, log_sig=log_sig, path=path,
            backend=backend, dtype=np.float64,
        )
        for backend in ALL_BACKENDS
    }  # fmt: skip
    for first, second in itertools.combinations(ALL_BACKENDS, 2):
        assert relative_error(results[first], results[second]) <= 1e-5, (first, second)


def test_lengths_and_stream_counts() -> None:
    images = np.zeros((2, 5, 7, 3), dtype=np.uint8)
    assert image_signatures(images, 4).shape == (2, 5, 120)
    assert image_signatures(images, 5).shape == (2, 5, 363)
    assert image_signatures(images, 4, two_direction=True).shape == (2, 12, 120)
    assert signature_length(3, 4) == 120
    assert signature_length(1, 4, path="time") == 2 + 4 + 8 + 16
    assert signature_length(3, 2, path="lead_lag") == 6 + 36
    assert signature_length(2, 3, log_sig=True) == 5  # Lyndon words: 1, 2, 12, 112, 122


def test_one_channel_levels_depend_only_on_the_end_points() -> None:
    rows = np.array([[[0, 200, 13, 90]], [[255, 3, 77, 40]]], dtype=np.uint8)
    features = image_signatures(rows, 4, backend="torch", dtype=np.float64)[:, 0]
    increment = (rows[:, 0, -1].astype(float) - rows[:, 0, 0]) / 255
    expected = np.stack([increment**k / math.factorial(k) for k in range(1, 5)], axis=1)
    np.testing.assert_allclose(features, expected, rtol=1e-12)


def test_rows_then_columns_as_rot90() -> None:
    image = np.random.default_rng(1).integers(0, 256, (1, 4, 5, 3), dtype=np.uint8)
    both = image_signatures(image, 2, two_direction=True, dtype=np.float64)
    rotated = np.rot90(image, 1, axes=(1, 2))
    np.testing.assert_allclose(both[:, :4], image_signatures(image, 2, dtype=np.float64))
    np.testing.assert_allclose(both[:, 4:], image_signatures(rotated, 2, dtype=np.float64))


def test_backend_names_are_checked() -> None:
    assert resolve_backend("auto") == available_backends()[0]
    with pytest.raises(SigbenchError, match="choose auto or one of pysiglib"):
        resolve_backend("gpu")
    with pytest.raises(SigbenchError, match="signature.path = 'zigzag'"):
        image_signatures(RANDOM, 2, path="zigzag")
