"""pysiglib: C++ signatures, threaded over the batch (the fastest CPU backend here)."""

from __future__ import annotations

import os

import numpy as np
import pysiglib
import torch

LYNDON_BASIS_METHOD = 2  # pysiglib's method 2 projects onto the Lyndon (bracket) basis
_prepared: set[tuple[int, int]] = set()


def signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> np.ndarray:
    # Given a tensor that owns its memory, pysiglib reads it in place (a numpy view of it
    # would be copied first).
    threads = os.cpu_count() or 1
    if not log_sig:
        return pysiglib.signature(paths, depth, n_jobs=threads).numpy()
    key = (paths.shape[-1], depth)
    if key not in _prepared:
        pysiglib.prepare_log_sig(paths.shape[-1], depth, LYNDON_BASIS_METHOD)
        _prepared.add(key)
    return pysiglib.log_sig(paths, depth, method=LYNDON_BASIS_METHOD, n_jobs=threads).numpy()
