"""How a source's pixels are read: the :class:`Fetcher` each source provides, and what it
returns. The pixel cache (:mod:`sigbench.data.pixel_cache`) stands in front of it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Decoded:
    """What decoding found besides the pixels: which entries could be read."""

    kept: np.ndarray
    skipped: list[str] = field(default_factory=list)
    upsampled: int = 0


@dataclass
class Fetched(Decoded):
    """Pixels for some catalog entries (zeros where ``kept`` is False), and where they came
    from: ``cache`` is ``hit``, ``miss``, ``rebuilt`` (a damaged entry was replaced) or ``off``."""

    images: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0, 0), dtype=np.uint8))
    cache: str = "off"
    seconds: float = 0.0

    @classmethod
    def of(cls, images: np.ndarray, decoded: Decoded, cache: str = "off") -> Fetched:
        return cls(decoded.kept, decoded.skipped, decoded.upsampled, images, cache)


# The split a decode is for, as progress names it: a test split carved from the training
# folder is "decoding test images", not "training".
SPLIT_WORDS = {"train": "training", "val": "validation", "test": "test"}

Write = Callable[[int, np.ndarray], None]
"""``write(start, pixels)``: uint8 images ``start:start + len(pixels)``, in order."""


class Fetcher(ABC):
    """Reads the pixels of a source's entries, chosen by key (indices into its storage)."""

    @property
    @abstractmethod
    def image_shape(self) -> tuple[int, int, int]:
        """(size, size, channels) of every image it returns."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Everything besides the entries that decides the pixels (plain JSON)."""

    @abstractmethod
    def fingerprint(self, keys: np.ndarray) -> str:
        """A hash of what decides these entries' pixels: a file's path, size and mtime, or an
        array's content. Any change to an entry changes it."""

    @abstractmethod
    def decode(self, keys: np.ndarray, write: Write, split: str) -> Decoded:
        """Hand the pixels of ``keys`` to ``write`` batch by batch, in order; ``split`` (a key
        of :data:`SPLIT_WORDS`) names the progress."""
