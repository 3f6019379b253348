"""The lane kernel for any channel count and depth, in plain loops.

The same layout and the same Horner updates as the generated kernels, but every bracket
level goes through memory (``bracket``, ``spare``) and the top level's partial sums too:
a few times slower, with no compile step per (channels, depth). It serves the shapes too
big to unroll and checks the generated kernels in the tests.
"""

from __future__ import annotations

import numpy as np

from sigbench.signature.backends.lanes.layout import LANES, TIME_BLOCK


def generic_kernel(paths: np.ndarray, inverse: np.ndarray, depth: int, out: np.ndarray) -> None:
    """Sign (B, T, C) paths into ``out`` (B, words); ``inverse = reciprocals(depth, dtype)``.

    Plain Python: ``kernels.generic()`` compiles it with numba.
    """
    count, points, channels = paths.shape
    steps = points - 1
    offsets = np.zeros(depth + 2, np.int64)
    for k in range(1, depth + 1):
        offsets[k + 1] = offsets[k] + channels**k
    heads = channels ** (depth - 1)
    top = offsets[depth]
    S = np.empty((offsets[depth + 1], LANES), paths.dtype)
    X = np.empty((TIME_BLOCK, channels, LANES), paths.dtype)
    H = np.ones((TIME_BLOCK, heads, LANES), paths.dtype)  # depth 1: the bracket is the 1
    bracket = np.empty((heads, LANES), paths.dtype)
    spare = np.empty((heads, LANES), paths.dtype)
    for first in range(0, count, LANES):
        lanes = min(LANES, count - first)
        S[:] = 0
        for t0 in range(0, steps, TIME_BLOCK):
            X[:] = 0
            for lane in range(lanes):
                for u in range(min(TIME_BLOCK, steps - t0)):
                    for c in range(channels):
                        path = first + lane
                        X[u, c, lane] = paths[path, t0 + u + 1, c] - paths[path, t0 + u, c]
            for u in range(TIME_BLOCK if depth > 1 else 0):
                dx = X[u]
                for k in range(depth, 1, -1):
                    for i in range(channels):
                        for lane in range(LANES):
                            bracket[i, lane] = S[i, lane] + dx[i, lane] * inverse[k]
                    size = channels
                    for j in range(2, k):
                        scale = inverse[k - j + 1]
                        for w in range(size):
                            for m in range(channels):
                                row = offsets[j] + w * channels + m
                                for lane in range(LANES):
                                    spare[w * channels + m, lane] = (
                                        S[row, lane] + bracket[w, lane] * dx[m, lane] * scale
                                    )
                        bracket, spare = spare, bracket
                        size *= channels
                    if k == depth:
                        H[u, :size] = bracket[:size]
                        continue
                    for w in range(size):
                        for m in range(channels):
                            row = offsets[k] + w * channels + m
                            for lane in range(LANES):
                                S[row, lane] += bracket[w, lane] * dx[m, lane]
                for i in range(channels):
                    for lane in range(LANES):
                        S[i, lane] += dx[i, lane]
            for u in range(TIME_BLOCK):
                for w in range(heads):
                    for m in range(channels):
                        row = top + w * channels + m
                        for lane in range(LANES):
                            S[row, lane] += H[u, w, lane] * X[u, m, lane]
        for lane in range(lanes):
            for w in range(offsets[depth + 1]):
                out[first + lane, w] = S[w, lane]
