"""pysiglib: C++ signatures, threaded over the batch (the fastest CPU backend here).

It uses as many threads as torch is set to (``torch.set_num_threads``), so one setting
(``train.num_threads``, the one-thread latency figures) governs the whole pipeline.
"""

from __future__ import annotations

import numpy as np
import pysiglib
import torch

LYNDON_BASIS_METHOD = 2  # pysiglib's method 2 projects onto the Lyndon (bracket) basis
_prepared: set[tuple[int, int]] = set()


def signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> np.ndarray:
    # Given a tensor that owns its memory, pysiglib reads it in place (a numpy view of it
    # would be copied first).
    threads = torch.get_num_threads()
    if not log_sig:
        return pysiglib.signature(paths, depth, n_jobs=threads).numpy()
    key = (paths.shape[-1], depth)
    if key not in _prepared:
        pysiglib.prepare_log_sig(paths.shape[-1], depth, LYNDON_BASIS_METHOD)
        _prepared.add(key)
    return pysiglib.log_sig(paths, depth, method=LYNDON_BASIS_METHOD, n_jobs=threads).numpy()
