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


# Features are kept on a GPU when they take at most this share of its memory (and fit in
# what is free); the rest of it is left for the model, its activations and the optimizer.
RESIDENT_SHARE = 0.25


class ResidentFeatures(FeatureInputs):
    """Signature features copied to a GPU once, so each batch is an index on the device
    instead of a gather and a host-to-device copy per step."""

    def __init__(self, features: np.ndarray, device: torch.device) -> None:
        super().__init__(torch.as_tensor(np.asarray(features, dtype=np.float32), device=device))

    def take(self, indices: np.ndarray, *, train: bool) -> torch.Tensor:
        return self.features[torch.as_tensor(indices, device=self.features.device)]


def fits_on_device(nbytes: int, device: torch.device) -> bool:
    """Whether ``nbytes`` may live on ``device``: within RESIDENT_SHARE of a GPU's memory
    and within what is free now; never on the CPU (where the features already are)."""
    if device.type != "cuda":
        return False
    free, total = torch.cuda.mem_get_info(device)
    return nbytes <= min(RESIDENT_SHARE * total, free)


def on_device(inputs: ModelInputs, device: torch.device) -> ModelInputs:
    """``inputs`` as the loop should read them on ``device``: signature features resident on
    a GPU when they fit (:func:`fits_on_device`), anything else as it is (the loop copies
    each batch from pinned memory)."""
    if type(inputs) is FeatureInputs and fits_on_device(inputs.features.nbytes, device):
        return ResidentFeatures(inputs.features, device)
    return inputs
