"""pysiglib: C++ signatures threaded over the batch (the fastest CPU backend after lanes).

It runs as many threads as torch is set to (``torch.set_num_threads``; all cores by
default), so one setting (``train.num_threads``, one-thread latency figures) governs the
whole pipeline.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pysiglib
import torch

LYNDON_BASIS = 2  # pysiglib's log_sig method 2: coordinates in the Lyndon (bracket) basis


@cache
def _prepare_log_sig(channels: int, depth: int) -> None:
    pysiglib.prepare_log_sig(channels, depth, LYNDON_BASIS)


def signatures(paths: np.ndarray, depth: int, log_sig: bool) -> np.ndarray:
    threads = torch.get_num_threads()
    if not log_sig:
        return pysiglib.signature(paths, depth, n_jobs=threads)
    _prepare_log_sig(paths.shape[-1], depth)
    return pysiglib.log_sig(paths, depth, method=LYNDON_BASIS, n_jobs=threads)
