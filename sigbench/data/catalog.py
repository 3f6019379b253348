"""What a source offers before any pixel is decoded: names, labels and a way to fetch pixels.

Class selection, the test split and ``max_per_class`` all act on a :class:`Catalog`, so a
demo capped at 50 images per class decodes 50 images per class, not the whole folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigbench.data.fetcher import Fetched, Fetcher
from sigbench.data.imageset import ImageSet
from sigbench.data.pixel_cache import fetch_pixels


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

    def fetch(self, split: str, cache_dir: Path | None = None) -> tuple[ImageSet, Fetched]:
        """Decode every entry as the split ``split`` (train, val, test), or map them from the
        pixel cache in ``cache_dir``; unreadable ones are dropped from the returned set."""
        fetched = fetch_pixels(self.fetcher, self.keys, cache_dir, split)
        if fetched.kept.all():  # the usual case: the (memory-mapped) pixels as they are
            return ImageSet(fetched.images, self.labels, list(self.names)), fetched
        kept = np.flatnonzero(fetched.kept)
        images = ImageSet(fetched.images[kept], self.labels[kept], [self.names[i] for i in kept])
        return images, fetched
