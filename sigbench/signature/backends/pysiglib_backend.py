"""pysiglib: C++ signatures threaded over the batch (the fastest CPU backend here)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pysiglib
import torch

ALL_CORES = -1
LYNDON_BASIS = 2  # pysiglib's log_sig method 2: coordinates in the Lyndon (bracket) basis


@cache
def _prepare_log_sig(channels: int, depth: int) -> None:
    pysiglib.prepare_log_sig(channels, depth, LYNDON_BASIS)


def signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> np.ndarray:
    if not log_sig:
        return pysiglib.signature(paths, depth, n_jobs=ALL_CORES).numpy()
    _prepare_log_sig(paths.shape[-1], depth)
    return pysiglib.log_sig(paths, depth, method=LYNDON_BASIS, n_jobs=ALL_CORES).numpy()
