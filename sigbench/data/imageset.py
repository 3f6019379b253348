"""The containers the data layer hands to the rest of sigbench."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sigbench.arraycache import release

TAKE_CHUNK = 4096  # images copied at a time by ImageSet.take into an allocated array

Allocate = Callable[[tuple[int, ...]], np.ndarray]
"""A writable uint8 array of the given shape: in memory, or a memory map of a scratch file."""


def in_memory(shape: tuple[int, ...]) -> np.ndarray:
    return np.empty(shape, dtype=np.uint8)


@dataclass
class ImageSet:
    """Images with their labels and where each came from.

    ``images`` is uint8 (N, H, W, C) with C = 1 for grayscale sources and 3 for RGB;
    ``labels`` is int64 (N,) indexing the split's class list, or 0/1 (N, K) over its
    attributes on a multi-label task; ``names`` holds a file path or
    ``"digits[17]"`` per image, with ``"#<augmentation>"`` appended on augmented copies.
    """

    images: np.ndarray
    labels: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: np.ndarray, allocate: Allocate | None = None) -> ImageSet:
        """The images at ``indices``, in that order (repeats allowed); with ``allocate`` they
        are copied into its array a batch at a time (memory maps stay bounded)."""
        indices = np.asarray(indices, dtype=np.int64)
        names = [self.names[i] for i in indices]
        if allocate is None:
            return ImageSet(self.images[indices], self.labels[indices], names)
        out = allocate((len(indices), *self.images.shape[1:]))
        for start in range(0, len(indices), TAKE_CHUNK):
            out[start : start + TAKE_CHUNK] = self.images[indices[start : start + TAKE_CHUNK]]
            release(out)
            release(self.images)
        return ImageSet(out, self.labels[indices], names)


@dataclass
class DataReport:
    """What happened to the data on its way in, for the run folder and the CLI.

    ``class_counts`` maps a stage (``train_before_balance``, ``train``, ``val``, ``test``) to
    ``{class name: count}``; it is plain JSON. ``skipped_names`` keeps the first few of the
    ``skipped`` unreadable files. ``pixel_cache`` maps each split to where its pixels came
    from (``hit``, ``miss``, ``rebuilt`` or ``off``); ``decode_seconds`` is the time it took.
    """

    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: int = 0
    skipped_names: list[str] = field(default_factory=list)
    augmentations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pixel_cache: dict[str, str] = field(default_factory=dict)
    decode_seconds: float = 0.0


@dataclass
class DatasetSplits:
    """Train, validation and test images over one class list, and how they were made."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    classes: list[str]
    report: DataReport


def count_classes(labels: np.ndarray, classes: list[str]) -> dict[str, int]:
    """``{class name: count}`` with every class present, zeros included; for multi-label
    (N, K) labels ``{attribute: images that have it}``."""
    labels = np.asarray(labels, dtype=np.int64)
    counts = labels.sum(axis=0) if labels.ndim == 2 else np.bincount(labels, minlength=len(classes))
    return {name: int(n) for name, n in zip(classes, counts, strict=True)}
