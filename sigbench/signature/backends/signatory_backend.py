"""signatory: torch C++ signatures (the reference code's default backend)."""

from __future__ import annotations

import numpy as np
import signatory
import torch


def signatures(paths: np.ndarray, depth: int, log_sig: bool) -> np.ndarray:
    tensor = torch.from_numpy(paths)
    with torch.no_grad():
        if log_sig:
            return signatory.logsignature(tensor, depth, mode="brackets").numpy()
        return signatory.signature(tensor, depth).numpy()
