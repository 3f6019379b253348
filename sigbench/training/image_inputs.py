"""Pixels for image models: uint8 images held once, augmented online, scaled per batch.

The data layer adds one offline copy per augmentation for ImageSig (features are computed
once); an image model instead sees every training image either as is or through one of the
same augmentations (:data:`sigbench.data.augment.AUGMENTATIONS`, so names and effects
match), drawn anew for each sample of each batch. Resizing and mean/std normalisation are the
model's own first layer (:class:`sigbench.models.transfer.PixelPreprocess`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

from sigbench.arraycache import release
from sigbench.data.augment import AUGMENTATIONS
from sigbench.data.splits import rng_for

log = logging.getLogger(__name__)


class ImageInputs:
    """uint8 (N, H, W, C) images served as float (N, C, H, W) batches in [0, 1]."""

    def __init__(self, images: np.ndarray, augment: Sequence[str] = (), seed: int = 0) -> None:
        self.images = images
        grayscale = images.shape[-1] == 1
        if grayscale and "color" in augment:
            log.warning("data.augment: 'color' swaps RGB channels; skipped for grayscale images")
        self.augment = [
            name for name in dict.fromkeys(augment) if not (grayscale and name == "color")
        ]
        self.rng = rng_for(seed, "online_augment")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, ...]:
        """(C, H, W): what the model is built for."""
        _, height, width, channels = self.images.shape
        return (channels, height, width)

    def take(self, indices: np.ndarray, *, train: bool) -> torch.Tensor:
        batch = self.images[indices]
        release(self.images)  # memory-mapped pixels: epochs would otherwise map all of them
        if train and self.augment:
            batch = self.augmented(batch)
        pixels = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2)
        return pixels.float().div_(255.0).contiguous()

    def augmented(self, batch: np.ndarray) -> np.ndarray:
        """Each image as is or through one augmentation, uniformly; brightness picks its step."""
        out = batch.copy()
        choice = self.rng.integers(len(self.augment) + 1, size=len(batch))
        for slot, name in enumerate(self.augment, start=1):
            rows = np.flatnonzero(choice == slot)
            if not len(rows):
                continue
            copies = [copy(batch[rows], self.rng) for copy in AUGMENTATIONS[name].values()]
            pick = self.rng.integers(len(copies), size=len(rows))
            for k, images in enumerate(copies):
                out[rows[pick == k]] = images[pick == k]
        return out
