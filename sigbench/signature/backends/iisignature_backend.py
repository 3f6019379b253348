"""iisignature: numpy in, numpy out (what the paper used on the Raspberry Pi)."""

from __future__ import annotations

from functools import cache

import iisignature
import numpy as np
import torch


@cache
def _prepared(channels: int, depth: int) -> object:
    return iisignature.prepare(channels, depth)


def signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> np.ndarray:
    array = paths.numpy()
    if log_sig:
        return iisignature.logsig(array, _prepared(array.shape[-1], depth))
    return iisignature.sig(array, depth)


def reference_loop(images: np.ndarray, depth: int) -> list[np.ndarray]:
    """The reference code's way: one ``iisignature.sig`` call per image (for benchmarks)."""
    return [iisignature.sig(image.astype(np.float32) / 255.0, depth) for image in images]
