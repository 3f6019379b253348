"""The containers the data layer hands to the rest of sigbench."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ImageSet:
    """Images with their labels and where each came from.

    ``images`` is uint8 (N, H, W, C) with C = 1 for grayscale sources and 3 for RGB;
    ``labels`` is int64 (N,) indexing the split's class list; ``names`` holds a file path or
    ``"digits[17]"`` per image, with ``"#<augmentation>"`` appended on augmented copies.
    """

    images: np.ndarray
    labels: np.ndarray
    names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: np.ndarray) -> ImageSet:
        """The images at ``indices``, in that order (repeats allowed)."""
        indices = np.asarray(indices, dtype=np.int64)
        return ImageSet(
            self.images[indices], self.labels[indices], [self.names[i] for i in indices]
        )

    @staticmethod
    def concat(parts: list[ImageSet]) -> ImageSet:
        return ImageSet(
            np.concatenate([p.images for p in parts]),
            np.concatenate([p.labels for p in parts]),
            [name for p in parts for name in p.names],
        )


@dataclass
class DataReport:
    """What happened to the data on its way in, for the run folder and the CLI.

    ``class_counts`` maps a stage (``train_before_balance``, ``train``, ``val``, ``test``) to
    ``{class name: count}``; it is plain JSON. ``skipped_names`` keeps the first few of the
    ``skipped`` unreadable files.
    """

    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: int = 0
    skipped_names: list[str] = field(default_factory=list)
    augmentations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class DatasetSplits:
    """Train, validation and test images over one class list, and how they were made."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    classes: list[str]
    report: DataReport


def count_classes(labels: np.ndarray, classes: list[str]) -> dict[str, int]:
    """``{class name: count}`` with every class present, zeros included."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(classes))
    return {name: int(n) for name, n in zip(classes, counts, strict=True)}
