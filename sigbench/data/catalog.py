"""What a source offers before any pixel is decoded: names, labels and a way to fetch pixels.

Class selection, the test split and ``max_per_class`` all act on a :class:`Catalog`, so a
demo capped at 50 images per class decodes 50 images per class, not the whole folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sigbench.data.imageset import ImageSet


@dataclass
class Fetched:
    """Pixels for some catalog entries: ``kept`` marks which entries could be read."""

    images: np.ndarray
    kept: np.ndarray
    skipped: list[str] = field(default_factory=list)
    upsampled: int = 0


Fetcher = Callable[[np.ndarray], Fetched]
"""Given keys (indices into the source's own storage), return their pixels."""


@dataclass
class Catalog:
    names: list[str]
    labels: np.ndarray
    keys: np.ndarray
    fetcher: Fetcher

    @classmethod
    def of(cls, names: list[str], labels: np.ndarray, fetcher: Fetcher) -> Catalog:
        return cls(names, np.asarray(labels, dtype=np.int64), np.arange(len(names)), fetcher)

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: np.ndarray, labels: np.ndarray | None = None) -> Catalog:
        """The entries at ``indices``; ``labels`` replaces their labels (after a class remap)."""
        indices = np.asarray(indices, dtype=np.int64)
        return Catalog(
            [self.names[i] for i in indices],
            self.labels[indices] if labels is None else np.asarray(labels, dtype=np.int64),
            self.keys[indices],
            self.fetcher,
        )

    def fetch(self) -> tuple[ImageSet, Fetched]:
        """Decode every entry; unreadable ones are dropped from the returned set."""
        fetched = self.fetcher(self.keys)
        kept = np.flatnonzero(fetched.kept)
        images = ImageSet(fetched.images[kept], self.labels[kept], [self.names[i] for i in kept])
        return images, fetched
