"""Offline augmentation (the paper's): each enabled augmentation adds transformed copies of
every training image. Only the training split is ever augmented.

- ``flip_horizontal`` / ``flip_vertical``: mirror left-right / top-bottom.
- ``brightness``: two copies, +40 and +80 on the HSV value channel, clipped at 255. Hue and
  saturation are kept exactly (computed in real numbers, not OpenCV's 8-bit HSV), which
  scales each RGB pixel by V'/V; on grayscale this adds 40 / 80 to the intensity.
- ``color``: RGB -> BGR channel swap (grayscale images have no channel order: skipped).
- ``rotate45``: 45 degrees counter-clockwise about the image centre, same size, bilinear,
  black corners (the reference code's ``cv2.warpAffine`` without ``expand``).
- ``noise``: seeded Gaussian noise with sigma :data:`NOISE_SIGMA` on the 0..255 scale,
  rounded and clipped. (The reference code draws sigma 0.6 and casts to uint8 before adding,
  which truncates most draws to 0 and wraps those below -1 to 255: sparse salt noise, not
  Gaussian noise.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from sigbench.arraycache import release, row_chunks
from sigbench.data.imageset import Allocate, ImageSet, in_memory
from sigbench.data.splits import rng_for
from sigbench.progress import SILENT, Progress

log = logging.getLogger(__name__)

NOISE_SIGMA = 10.0  # about 4% of the 0..255 range: visible, and the class stays recognisable
BRIGHTNESS_STEPS = (40, 80)
CHUNK = 1024  # images per float32 batch, to bound memory on large training sets


def _per_chunk(pixels: np.ndarray, transform: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a float32 transform a chunk at a time, rounding and clipping back to uint8."""
    out = np.empty_like(pixels)
    for start in range(0, len(pixels), CHUNK):
        block = transform(pixels[start : start + CHUNK].astype(np.float32))
        out[start : start + CHUNK] = np.clip(np.rint(block), 0, 255)
    return out


def add_brightness(pixels: np.ndarray, delta: int) -> np.ndarray:
    """Shift the HSV value (max over channels) by ``delta``, clipped to 0..255, with hue and
    saturation unchanged (a negative ``delta`` darkens: the robustness check uses both).

    Keeping hue and saturation scales each channel by V'/V, so every output level depends only
    on (V, level): one 256 x 256 lookup table does the whole batch.
    """
    value = np.arange(256, dtype=np.float64)[:, None]
    level = np.arange(256, dtype=np.float64)[None, :]
    new_value = np.minimum(value + delta, 255.0)
    # V = 0 means black, which has no hue: it turns gray at the new value.
    table = np.where(value > 0, level * new_value / np.maximum(value, 1.0), new_value)
    table = np.clip(np.rint(table), 0, 255).astype(np.uint8)
    return table[pixels.max(axis=-1, keepdims=True), pixels]


def rotate(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate (N, H, W, C) images counter-clockwise about their centres, keeping their size."""
    from scipy import ndimage  # half a second to import; only rotation needs it

    return _per_chunk(
        pixels,
        lambda x: ndimage.rotate(x, degrees, axes=(1, 2), reshape=False, order=1, cval=0.0),
    )


def add_noise(pixels: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with ``sigma`` on the 0..255 scale, rounded and clipped."""
    return _per_chunk(pixels, lambda x: x + rng.normal(0.0, sigma, x.shape).astype(np.float32))


Copy = Callable[[np.ndarray, np.random.Generator], np.ndarray]
"""One copy's transform of a batch of at most :data:`CHUNK` originals, in order (the noise
draws continue from batch to batch, as they would over the whole array)."""


def _unchanged(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return pixels


def _brightness(delta: int) -> Copy:
    return lambda pixels, rng: add_brightness(pixels, delta)


AUGMENTATIONS: dict[str, dict[str, Copy]] = {
    "flip_horizontal": {"flip_horizontal": lambda pixels, rng: pixels[:, :, ::-1]},
    "flip_vertical": {"flip_vertical": lambda pixels, rng: pixels[:, ::-1]},
    "brightness": {f"brightness+{delta}": _brightness(delta) for delta in BRIGHTNESS_STEPS},
    "color": {"color": lambda pixels, rng: pixels[..., ::-1]},
    "rotate45": {"rotate45": lambda pixels, rng: rotate(pixels, 45.0)},
    "noise": {"noise": lambda pixels, rng: add_noise(pixels, NOISE_SIGMA, rng)},
}
"""Each augmentation's copies: {name suffix: transform}."""


def augment(
    train: ImageSet,
    names: list[str],
    seed: int,
    progress: Progress = SILENT,
    allocate: Allocate = in_memory,
) -> tuple[ImageSet, list[str], list[str]]:
    """The originals followed by every copy, the augmentations applied, and notes on skips.

    Each augmentation transforms the originals (never another augmentation's copies). The
    output is written :data:`CHUNK` images at a time into ``allocate``'s array (a memory
    map for large sets), so only one batch of copies is ever in memory.
    """
    applied: list[str] = []
    notes: list[str] = []
    for name in dict.fromkeys(names):
        if name == "color" and train.images.shape[-1] == 1:
            message = "data.augment: 'color' swaps RGB channels; skipped for grayscale images"
            log.warning(message)
            notes.append(message)
            continue
        applied.append(name)
    if not applied:
        return train, applied, notes
    rngs = {name: rng_for(seed, f"augment.{name}") for name in applied}
    copies = [
        (suffix, copy, rngs[name])
        for name in applied
        for suffix, copy in AUGMENTATIONS[name].items()
    ]
    count = len(train)
    out = allocate((count * (1 + len(copies)), *train.images.shape[1:]))
    parts = [("", _unchanged, rngs[applied[0]]), *copies]  # the originals come first
    with progress.task("augmenting training images", total=len(parts)) as task:
        for n, (_, copy, rng) in enumerate(parts):
            for start, originals in row_chunks(train.images, CHUNK):
                at = n * count + start
                out[at : at + len(originals)] = copy(originals, rng)
                release(out)
            task.advance(1)
    names_out = list(train.names)
    for suffix, _, _ in copies:
        names_out.extend(f"{n}#{suffix}" for n in train.names)
    return (
        ImageSet(
            out,
            np.tile(train.labels, (1 + len(copies),) + (1,) * (train.labels.ndim - 1)),
            names_out,
        ),
        applied,
        notes,
    )
