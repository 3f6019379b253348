"""Built-in datasets that need no download: scikit-learn digits, scikit-image LFW faces,
Fashion-MNIST from IDX files (Debian's ``dataset-fashion-mnist`` package), and its
scale-varied versions made as MNIST-scale is (:mod:`sigbench.data.scale_varied`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from sigbench.arraycache import cache_key
from sigbench.config import BuiltinData, image_hw
from sigbench.data.catalog import Catalog
from sigbench.data.decode import DECODE_RULES, resize_pixels
from sigbench.data.fetcher import SPLIT_WORDS, Decoded, Fetcher, Write
from sigbench.data.scale_varied import protocol_split, rescale_on_canvas, scale_factors
from sigbench.data.sources.base import Source
from sigbench.data.sources.idx import read_idx
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

RESIZE_BATCH = 1024  # images handed to the pixel cache at a time
FASHION_MNIST_ROOT = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = [
    "t-shirt/top",
    "trouser",
    "pullover",
    "dress",
    "coat",
    "sandal",
    "shirt",
    "sneaker",
    "bag",
    "ankle boot",
]


@dataclass
class ArraySplit:
    """Grayscale uint8 (N, H, W) images with int labels, and a prefix for their names."""

    images: np.ndarray
    labels: np.ndarray
    prefix: str


@dataclass
class Builtin:
    train: ArraySplit
    test: ArraySplit | None
    classes: list[str]


def _digits(cfg: BuiltinData) -> Builtin:
    from sklearn.datasets import load_digits  # imported only by the data set that needs it

    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    classes = [str(d) for d in range(10)]
    return Builtin(ArraySplit(images, digits.target, "digits"), None, classes)


def _lfw_faces(cfg: BuiltinData) -> Builtin:
    from skimage.data import lfw_subset  # (as above)

    images = np.rint(lfw_subset() * 255.0).astype(np.uint8)
    labels = np.repeat([0, 1], [100, 100])  # the first 100 are faces, the rest are not
    return Builtin(ArraySplit(images, labels, "lfw-faces"), None, ["face", "non-face"])


def _idx_file(root: Path, stem: str) -> Path:
    for candidate in (root / stem, root / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    where = "data.root" if root != FASHION_MNIST_ROOT else f"data.root (default {root})"
    raise SigbenchError(
        f"{where}: {root} has no {stem} or {stem}.gz; get the Fashion-MNIST IDX files with "
        "`apt-get install dataset-fashion-mnist` (Debian) or set data.root to a folder holding "
        "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
        "t10k-labels-idx1-ubyte (gzipped or not)"
    )


def _fashion_split(root: Path, split: str) -> ArraySplit:
    images_path = _idx_file(root, f"{split}-images-idx3-ubyte")
    labels_path = _idx_file(root, f"{split}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise SigbenchError(
            f"{images_path}: {images.shape} images do not pair with {labels.shape} labels in "
            f"{labels_path}; expected (N, 28, 28) and (N,)"
        )
    if labels.max(initial=0) >= len(FASHION_MNIST_CLASSES):
        raise SigbenchError(f"{labels_path}: label {labels.max()} is not a Fashion-MNIST class")
    return ArraySplit(images, labels.astype(np.int64), f"fashion-mnist/{split}")


def _fashion_mnist(cfg: BuiltinData) -> Builtin:
    root = Path(cfg.root) if cfg.root is not None else FASHION_MNIST_ROOT
    return Builtin(
        _fashion_split(root, "train"), _fashion_split(root, "t10k"), FASHION_MNIST_CLASSES
    )


def _fashion_mnist_scale(cfg: BuiltinData, canvas: int) -> Builtin:
    """Fashion-MNIST's 70,000 images pooled, split as MNIST-scale is, each rescaled by its
    own fixed factor in [0.3, 1.0] on a ``canvas`` square."""
    data = _fashion_mnist(cfg)
    assert data.test is not None  # Fashion-MNIST has its official test set
    images = np.concatenate([data.train.images, data.test.images])
    labels = np.concatenate([data.train.labels, data.test.labels])
    factors = scale_factors(len(images))  # one per source image, drawn for all of them
    name = "fashion-mnist-scale" + ("" if canvas == 28 else f"-{canvas}")
    splits = [
        ArraySplit(
            rescale_on_canvas(images[chosen], factors[chosen], canvas),
            labels[chosen],
            f"{name}/{split}",
        )
        for split, chosen in zip(("train", "test"), protocol_split(labels), strict=True)
    ]
    return Builtin(splits[0], splits[1], FASHION_MNIST_CLASSES)


@dataclass(frozen=True)
class BuiltinDataset:
    load: Callable[[BuiltinData], Builtin]
    description: str  # one line, for ``sigbench list datasets``


BUILTINS: dict[str, BuiltinDataset] = {
    "digits": BuiltinDataset(
        _digits, "scikit-learn's 1,797 handwritten digits, 8x8, 10 classes; no test set"
    ),
    "fashion-mnist": BuiltinDataset(
        _fashion_mnist,
        "Fashion-MNIST, 28x28, 10 classes, 60,000 + the official 10,000 test images "
        "(IDX files in data.root)",
    ),
    "fashion-mnist-scale": BuiltinDataset(
        partial(_fashion_mnist_scale, canvas=28),
        "Fashion-MNIST pooled, each image rescaled by a fixed factor in [0.3, 1] on 28x28",
    ),
    "fashion-mnist-scale-56": BuiltinDataset(
        partial(_fashion_mnist_scale, canvas=56),
        "the same rescaled Fashion-MNIST on a 56x56 canvas",
    ),
    "lfw-faces": BuiltinDataset(
        _lfw_faces, "scikit-image's LFW subset: 100 faces, 100 non-faces, 25x25; no test set"
    ),
}


class ArrayFetcher(Fetcher):
    """Resizes chosen images of a grayscale (N, H, W) array exactly as files are resized;
    arrays are never unreadable, and their content keys the pixel cache."""

    def __init__(self, images: np.ndarray, size: int | tuple[int, int], progress: Progress) -> None:
        self.images, self.size, self.progress = images, size, progress

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (*image_hw(self.size), 1)

    def settings(self) -> dict[str, Any]:
        return {
            "source": "array",
            "image_size": self.size,
            "channels": 1,
            "decode_rules": DECODE_RULES,
        }

    def fingerprint(self, keys: np.ndarray) -> str:
        shape = {"shape": list(self.images.shape), "dtype": str(self.images.dtype)}
        return cache_key(shape, self.images, np.asarray(keys, dtype=np.int64))

    def decode(self, keys: np.ndarray, write: Write, split: str) -> Decoded:
        upsampled = 0
        with self.progress.task(f"resizing {SPLIT_WORDS[split]} images", total=len(keys)) as task:
            for start in range(0, len(keys), RESIZE_BATCH):
                chosen = keys[start : start + RESIZE_BATCH]
                out = np.empty((len(chosen), *self.image_shape), dtype=np.uint8)
                for i, key in enumerate(chosen):
                    out[i], grew = resize_pixels(self.images[key][..., None], self.size)
                    upsampled += grew
                write(start, out)
                task.advance(len(chosen))
        return Decoded(np.ones(len(keys), dtype=bool), upsampled=upsampled)


def _catalog(split: ArraySplit, cfg: BuiltinData, progress: Progress) -> Catalog:
    names = [f"{split.prefix}[{i}]" for i in range(len(split.labels))]
    fetcher = ArrayFetcher(split.images, cfg.image_size, progress)
    return Catalog.of(names, split.labels, fetcher)


def open_builtin(cfg: BuiltinData, progress: Progress) -> Source:
    valid = ", ".join(sorted(BUILTINS))
    if cfg.name is None:
        raise SigbenchError(
            f"data.name is not set; data.source: builtin needs one of {valid} "
            "(or set data.source: imagefolder, labelfile or csv for your own images)"
        )
    if cfg.name not in BUILTINS:
        raise SigbenchError(f"data.name: {cfg.name!r} is not a built-in dataset; choose {valid}")
    data = BUILTINS[cfg.name].load(cfg)
    test = None if data.test is None else _catalog(data.test, cfg, progress)
    return Source(_catalog(data.train, cfg, progress), test, data.classes)
