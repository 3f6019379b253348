"""What the training loop feeds a model: indices in, a batch tensor out.

Signature models read precomputed features (possibly a memory-mapped file larger than RAM);
image models decode, augment and normalise pixels. Both look the same to the loop.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from sigbench.arraycache import release


class ModelInputs(Protocol):
    """A dataset of model inputs addressed by index."""

    def __len__(self) -> int: ...

    def take(self, indices: np.ndarray, *, train: bool) -> torch.Tensor:
        """The inputs at ``indices`` as one tensor; ``train`` enables online augmentation."""
        ...


class FeatureInputs:
    """Signature features, (N, streams, length) float32, in memory or memory-mapped."""

    def __init__(self, features: np.ndarray) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.features.shape[1:])

    def take(self, indices: np.ndarray, *, train: bool) -> torch.Tensor:
        batch = np.ascontiguousarray(self.features[indices], dtype=np.float32)
        release(self.features)  # epochs over a memory map would otherwise map all of it
        return torch.from_numpy(batch)
