"""The lane layout shared by the generic and the generated kernels.

A block of ``LANES`` paths is signed together; every array the kernels touch keeps the
lane as its last, contiguous axis, so each arithmetic statement is one vector instruction
across the paths:

    P  (points, C, LANES)                the block's paths, scaled (read once per block)
    S  (words, LANES)                    the running signature, levels 1..depth, flat
    X  (TIME_BLOCK, C, LANES)            the increments of the current time block
    H  (TIME_BLOCK, C^(depth-1), LANES)  per step, what the top level's gain multiplies

Per step, the levels below the top are updated in Horner form, from the top down:
``S_k += (((S_1 + dx/k) (x) dx/(k-1) + S_2) (x) dx/(k-2) ... + S_{k-1}) (x) dx``. The top
level is only needed summed over the steps, so its Horner bracket is written to H and the
sum ``S_top += sum_u H[u] (x) X[u]`` is taken once per time block, with the partial sums
in registers.
"""

from __future__ import annotations

import numpy as np

LANES = 16  # paths per block: two AVX2 vectors of float32, four of float64
TIME_BLOCK = 8  # steps per block: X and H stay in L1


def level_offsets(channels: int, depth: int) -> list[int]:
    """``offsets[k]``: where level k starts in a flat signature (k = 1..depth+1)."""
    offsets = [0, 0]
    for k in range(1, depth + 1):
        offsets.append(offsets[-1] + channels**k)
    return offsets


def reciprocals(depth: int, dtype: np.dtype) -> np.ndarray:
    """1/r for r = 0..depth (0 at r = 0), in the paths' dtype, so no constant promotes
    float32 arithmetic to float64 inside the kernels."""
    values = np.zeros(depth + 1, dtype)
    values[1:] = 1 / np.arange(1, depth + 1)
    return values
