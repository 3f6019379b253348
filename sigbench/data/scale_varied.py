"""Scale-varied datasets made the way MNIST-scale is (Sosnovik et al., SESN; Ghosh & Gupta):
each image rescaled about its centre by a factor drawn uniformly from [0.3, 1.0], bicubic,
on a black canvas of 28x28 (or 56x56, the object then twice as many pixels), all from fixed
seeds so every run sees the same dataset.

MNIST-scale pools MNIST's 70,000 images and draws 10,000 training, 2,000 validation and
50,000 test images, stratified. :data:`SPLIT_SIZES` keeps the 12,000 training + validation
images and cuts the test set to 10,000 so that a model is scored (and measured for
equivariance) in minutes on two cores; a smaller source is split in the same proportions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from sigbench.errors import SigbenchError

SCALE_RANGE = (0.3, 1.0)
SPLIT_SIZES = (12_000, 10_000)  # training + validation pool, test
DATASET_SEED = 0  # fixed: the dataset, like MNIST-scale's seed_0, is the same for every run
CANVASES = (28, 56)


def scale_factors(count: int, seed: int = DATASET_SEED) -> np.ndarray:
    """One factor per image, uniform in :data:`SCALE_RANGE`."""
    return np.random.default_rng(seed).uniform(*SCALE_RANGE, size=count)


def rescale_on_canvas(images: np.ndarray, factors: np.ndarray, canvas: int) -> np.ndarray:
    """(N, h, w) uint8 images, each rescaled about its centre by its factor (relative to the
    canvas: an image at factor 1 fills it), bicubic, on a black ``canvas`` x ``canvas``."""
    if canvas not in CANVASES:
        raise SigbenchError(f"scale-varied canvas {canvas}: choose one of {CANVASES}")
    out = np.empty((len(images), canvas, canvas), dtype=np.uint8)
    for i, (image, factor) in enumerate(zip(images, factors, strict=True)):
        height, width = image.shape
        # Output pixel (x, y) samples the source at (a x + c, a y + f): centre to centre.
        a, e = width / (factor * canvas), height / (factor * canvas)
        data = (a, 0.0, width / 2 - a * canvas / 2, 0.0, e, height / 2 - e * canvas / 2)
        picture = Image.fromarray(image).transform(
            (canvas, canvas), Image.Transform.AFFINE, data, resample=Image.Resampling.BICUBIC
        )
        out[i] = np.asarray(picture)
    return out


def split_sizes(total: int) -> tuple[int, int]:
    """:data:`SPLIT_SIZES`, or the same proportions of a source that holds fewer images."""
    pool, test = SPLIT_SIZES
    if total >= pool + test:
        return pool, test
    share = round(total * pool / (pool + test))
    return share, total - share


def protocol_split(labels: np.ndarray, seed: int = DATASET_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training + validation pool and of the test set, stratified by class."""
    from sklearn.model_selection import train_test_split  # with scipy, seconds to import

    pool, test = split_sizes(len(labels))
    indices = np.arange(len(labels))
    try:
        chosen, held = train_test_split(
            indices, train_size=pool, test_size=test, stratify=labels, random_state=seed
        )
    except ValueError as exc:
        raise SigbenchError(
            f"a scale-varied dataset from {len(labels)} images: cannot split {pool} / {test} "
            f"with every class in both ({exc})"
        ) from None
    return np.sort(chosen), np.sort(held)
