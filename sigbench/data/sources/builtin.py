"""Built-in datasets that need no download: scikit-learn digits, scikit-image LFW faces,
and Fashion-MNIST from IDX files (Debian's ``dataset-fashion-mnist`` package)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigbench.config import DataConfig
from sigbench.data.catalog import Catalog, Fetched, Fetcher
from sigbench.data.decode import resize_pixels
from sigbench.data.sources.base import Source
from sigbench.data.sources.idx import read_idx
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

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


def _digits(cfg: DataConfig) -> Builtin:
    from sklearn.datasets import load_digits  # imported only by the data set that needs it

    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    classes = [str(d) for d in range(10)]
    return Builtin(ArraySplit(images, digits.target, "digits"), None, classes)


def _lfw_faces(cfg: DataConfig) -> Builtin:
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


def _fashion_mnist(cfg: DataConfig) -> Builtin:
    root = Path(cfg.root) if cfg.root is not None else FASHION_MNIST_ROOT
    return Builtin(
        _fashion_split(root, "train"), _fashion_split(root, "t10k"), FASHION_MNIST_CLASSES
    )


BUILTINS: dict[str, Callable[[DataConfig], Builtin]] = {
    "digits": _digits,
    "fashion-mnist": _fashion_mnist,
    "lfw-faces": _lfw_faces,
}


def _array_fetcher(images: np.ndarray, size: int, progress: Progress, what: str) -> Fetcher:
    """Resize chosen images exactly as files are resized; arrays are never unreadable."""

    def fetch(keys: np.ndarray) -> Fetched:
        out = np.empty((len(keys), size, size, 1), dtype=np.uint8)
        upsampled = 0
        with progress.task(f"resizing {what}", total=len(keys)) as task:
            for i, key in enumerate(keys):
                out[i], grew = resize_pixels(images[key][..., None], size)
                upsampled += grew
                task.advance(1)
        return Fetched(out, np.ones(len(keys), dtype=bool), upsampled=upsampled)

    return fetch


def _catalog(split: ArraySplit, cfg: DataConfig, progress: Progress) -> Catalog:
    names = [f"{split.prefix}[{i}]" for i in range(len(split.labels))]
    fetcher = _array_fetcher(split.images, cfg.image_size, progress, split.prefix)
    return Catalog.of(names, split.labels, fetcher)


def open_builtin(cfg: DataConfig, progress: Progress) -> Source:
    valid = ", ".join(sorted(BUILTINS))
    if cfg.name is None:
        raise SigbenchError(
            f"data.name is not set; data.source: builtin needs one of {valid} "
            "(or set data.source: imagefolder, labelfile or csv for your own images)"
        )
    if cfg.name not in BUILTINS:
        raise SigbenchError(f"data.name: {cfg.name!r} is not a built-in dataset; choose {valid}")
    data = BUILTINS[cfg.name](cfg)
    test = None if data.test is None else _catalog(data.test, cfg, progress)
    return Source(_catalog(data.train, cfg, progress), test, data.classes)
