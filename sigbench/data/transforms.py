"""Test-time image transforms for the robustness check: uint8 (N, H, W, C) in, same shape out.

Each family lists its strengths in plotting order, the identity among them, so every curve
passes through the clean score and a test can check that the identity changes nothing:

- ``scale``: zoom by a factor with the image kept at its size. Zooming in (> 1) crops the
  centre (size / factor) and resizes it back; zooming out (< 1) shrinks the image to
  size x factor and pads it with black around the centre. Resizing follows the decoder's
  rule (area interpolation down, bilinear up).
- ``flip``: horizontal and vertical mirror images.
- ``brightness``: the paper's augmentation steps, +40 and +80 on the HSV value, and the same
  darker (-40, -80).
- ``noise``: seeded Gaussian noise of the given sigma on the 0..255 scale.
- ``rotation``: degrees counter-clockwise about the centre, black corners (as ``rotate45``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sigbench.data.augment import add_brightness, add_noise, rotate
from sigbench.data.decode import resize_pixels
from sigbench.data.splits import rng_for
from sigbench.errors import SigbenchError

Strength = float | str


def _resized(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.stack([resize_pixels(image, size)[0] for image in images])


def _centred(full: tuple[int, int], part: tuple[int, int]) -> tuple[slice, slice]:
    """The rows and columns of a ``part``-sized window in the middle of ``full``."""
    top, left = ((f - p) // 2 for f, p in zip(full, part, strict=True))
    return slice(top, top + part[0]), slice(left, left + part[1])


def zoom(images: np.ndarray, factor: float) -> np.ndarray:
    """Zoom about the centre by ``factor``, keeping the images' size (see the module doc).

    Height and width scale alike, so a non-square image keeps its aspect ratio.
    """
    full = images.shape[1:3]
    if factor > 1:
        crop = tuple(max(1, round(side / factor)) for side in full)
        rows, cols = _centred(full, crop)
        return _resized(images[:, rows, cols], full)
    small = tuple(max(1, round(side * factor)) for side in full)
    if small == full:
        return images
    rows, cols = _centred(full, small)
    out = np.zeros_like(images)
    out[:, rows, cols] = _resized(images, small)
    return out


def _flip(images: np.ndarray, direction: Strength, rng: np.random.Generator) -> np.ndarray:
    if direction == "horizontal":
        return images[:, :, ::-1]
    if direction == "vertical":
        return images[:, ::-1]
    return images


def _zoom(images: np.ndarray, factor: Strength, rng: np.random.Generator) -> np.ndarray:
    return images if factor == 1 else zoom(images, float(factor))


def _brightness(images: np.ndarray, delta: Strength, rng: np.random.Generator) -> np.ndarray:
    return images if delta == 0 else add_brightness(images, int(delta))


def _noise(images: np.ndarray, sigma: Strength, rng: np.random.Generator) -> np.ndarray:
    return images if sigma == 0 else add_noise(images, float(sigma), rng)


def _rotation(images: np.ndarray, degrees: Strength, rng: np.random.Generator) -> np.ndarray:
    return images if degrees == 0 else rotate(images, float(degrees))


@dataclass(frozen=True)
class Transform:
    """A family of transforms: its strengths in plotting order and the one that is a no-op."""

    name: str
    strengths: tuple[Strength, ...]
    identity: Strength
    apply: Callable[[np.ndarray, Strength, np.random.Generator], np.ndarray]


TRANSFORMS: dict[str, Transform] = {
    t.name: t
    for t in (
        Transform("scale", (0.5, 0.75, 1.0, 1.25, 1.5, 2.0), 1.0, _zoom),
        Transform("flip", ("none", "horizontal", "vertical"), "none", _flip),
        Transform("brightness", (-80, -40, 0, 40, 80), 0, _brightness),
        Transform("noise", (0, 5, 10, 20, 40), 0, _noise),
        Transform("rotation", (0, 10, 20, 45, 90), 0, _rotation),
    )
}


def parse_transforms(text: str, option: str = "--robustness") -> list[str]:
    """``"scale,flip"`` -> ``["scale", "flip"]``, or a one-line error naming the valid ones."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in TRANSFORMS]
    if unknown or not names:
        raise SigbenchError(
            f"{option} {text!r}: choose from {', '.join(TRANSFORMS)} (comma-separated)"
        )
    return list(dict.fromkeys(names))


def transform_images(images: np.ndarray, name: str, strength: Strength, seed: int) -> np.ndarray:
    """``images`` through one transform at one strength; noise is seeded per strength."""
    rng = rng_for(seed, f"robustness.{name}.{strength}")
    return np.ascontiguousarray(TRANSFORMS[name].apply(images, strength, rng))
