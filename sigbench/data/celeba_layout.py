"""A tiny stand-in for CelebA, for tests and demos: scikit-learn's digits written in the
CelebA layout (``img_align_celeba/``, ``list_attr_celeba.txt``, ``list_eval_partition.txt``).

The real CelebA cannot be downloaded here; this writes the same files, so the ``celeba``
source reads both alike. Each image gets attributes derived from its digit and pixels, so a
model can learn them: ``is_even`` and ``is_large`` (digit 5-9) from the label,
``is_bright`` (mean intensity above the median image's) and ``ink_top`` (more ink in the
top half than the bottom) from the pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from sigbench.data.sources.celeba import ATTRIBUTES, IMAGES, PARTITION

ATTRIBUTE_NAMES = ("is_even", "is_large", "is_bright", "ink_top")
PARTITION_SHARES = (0.8, 0.1)  # train and validation; the rest is test


def digit_attributes(images: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """0/1 (N, 4) values of :data:`ATTRIBUTE_NAMES` for (N, H, W) images of ``digits``."""
    brightness = images.mean(axis=(1, 2))
    half = images.shape[1] // 2
    top, bottom = images[:, :half].sum(axis=(1, 2)), images[:, half:].sum(axis=(1, 2))
    columns = [digits % 2 == 0, digits >= 5, brightness > np.median(brightness), top > bottom]
    return np.stack(columns, axis=1).astype(np.int64)


def write_celeba_layout(root: Path, count: int | None = None, size: int = 32) -> Path:
    """Write the first ``count`` digits (all 1,797 if None) as ``size`` x ``size`` RGB JPEGs
    in the CelebA layout under ``root``; 80% train, 10% validation, 10% test, in order."""
    from sklearn.datasets import load_digits  # imported only by the generator that needs it

    digits = load_digits()
    images = np.rint(digits.images[:count] * (255.0 / 16.0)).astype(np.uint8)
    values = digit_attributes(images, digits.target[:count])
    root = Path(root)
    (root / IMAGES).mkdir(parents=True, exist_ok=True)
    files = [f"{i + 1:06d}.jpg" for i in range(len(images))]
    for file, pixels in zip(files, images, strict=True):
        picture = Image.fromarray(pixels).resize((size, size), Image.Resampling.BILINEAR)
        picture.convert("RGB").save(root / IMAGES / file, quality=95)
    rows = [
        f"{file} " + " ".join("1" if v else "-1" for v in row)
        for file, row in zip(files, values, strict=True)
    ]
    header = [str(len(files)), " ".join(ATTRIBUTE_NAMES)]
    (root / ATTRIBUTES).write_text("\n".join(header + rows) + "\n")
    train_end, val_end = (int(share * len(files)) for share in np.cumsum(PARTITION_SHARES))
    split = [0 if i < train_end else 1 if i < val_end else 2 for i in range(len(files))]
    (root / PARTITION).write_text("".join(f"{f} {s}\n" for f, s in zip(files, split, strict=True)))
    return root
