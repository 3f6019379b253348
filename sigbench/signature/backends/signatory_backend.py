"""signatory: torch C++ signatures (the reference code's default backend)."""

from __future__ import annotations

import numpy as np
import signatory
import torch


def signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> np.ndarray:
    with torch.no_grad():
        if log_sig:
            return signatory.logsignature(paths, depth, mode="brackets").numpy()
        return signatory.signature(paths, depth).numpy()
