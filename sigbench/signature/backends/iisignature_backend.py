"""iisignature: numpy in, numpy out (the paper's backend on the Raspberry Pi)."""

from __future__ import annotations

from functools import cache

import iisignature
import numpy as np


@cache
def _prepared(channels: int, depth: int) -> object:
    return iisignature.prepare(channels, depth)


def signatures(paths: np.ndarray, depth: int, log_sig: bool) -> np.ndarray:
    if log_sig:
        return iisignature.logsig(paths, _prepared(paths.shape[-1], depth))
    return iisignature.sig(paths, depth)


def reference_loop(images: np.ndarray, depth: int, *, per_row: bool = True) -> np.ndarray:
    """The reference code's featurization, for benchmarks: (N, H, W, C) uint8 -> signatures.

    Its iisignature path (``image_signature.imagesig``) converts and signs one row at a
    time; ``per_row=False`` makes one call per image instead (H rows as a batch), the way
    its signatory path does.
    """
    if per_row:
        return np.array(
            [[iisignature.sig(row.astype("float32") / 255.0, depth) for row in im] for im in images]
        )
    return np.array([iisignature.sig(im.astype("float32") / 255.0, depth) for im in images])
