"""Images shared by the signature tests: random ones and small real ones."""

from __future__ import annotations

from functools import cache

import numpy as np


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    # The floor keeps all-but-zero results (digit rows start and end on black, so with no
    # path transform their signatures are 0 up to rounding) from dividing noise by noise.
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-9))


def random_images(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@cache
def photos() -> np.ndarray:
    """scikit-image's astronaut and cat photos, shrunk to 12x12 RGB (area averaging)."""
    from PIL import Image
    from skimage import data

    small = [
        Image.fromarray(p).resize((12, 12), Image.BOX) for p in (data.astronaut(), data.chelsea())
    ]
    return np.stack([np.asarray(image) for image in small])


@cache
def digits() -> np.ndarray:
    """Four of scikit-learn's 8x8 digits as grayscale uint8 (N, H, W)."""
    from sklearn.datasets import load_digits

    return (load_digits().images[:4] * 255 / 16).astype(np.uint8)


IMAGE_SETS = {
    "random": lambda: random_images((3, 7, 6, 3)),
    "photos": photos,
    "digits": digits,
}
