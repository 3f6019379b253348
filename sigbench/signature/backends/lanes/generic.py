"""The lane kernel for any channel count and depth, in plain loops.

The same layout, the same block loading and the same Horner updates as the generated
kernels, but every bracket level goes through memory (``bracket``, ``spare``) and the top
level's partial sums too: a few times slower, with no compile step per (channels, depth).
It serves the shapes too big to unroll and checks the generated kernels in the tests.
"""

from __future__ import annotations

import numpy as np

from sigbench.signature.backends.lanes.layout import LANES, TIME_BLOCK


def generic_kernel(
    paths: np.ndarray,
    scale: float,
    inverse: np.ndarray,
    depth: int,
    out: np.ndarray,
    start: int,
    stop: int,
) -> None:
    """Sign the paths ``start:stop`` of ``paths`` (groups, streams, points, C) times
    ``scale`` into those rows of ``out`` (paths, words); ``inverse = reciprocals(depth)``.

    Plain Python: ``kernels.generic()`` compiles it with numba.
    """
    _, streams, points, channels = paths.shape
    steps = points - 1
    padded = -(-steps // TIME_BLOCK) * TIME_BLOCK + 1
    offsets = np.zeros(depth + 2, np.int64)
    for k in range(1, depth + 1):
        offsets[k + 1] = offsets[k] + channels**k
    heads = channels ** (depth - 1)
    top = offsets[depth]
    S = np.empty((offsets[depth + 1], LANES), out.dtype)
    P = np.empty((padded, channels, LANES), out.dtype)
    H = np.ones((TIME_BLOCK, heads, LANES), out.dtype)  # depth 1: the bracket is the 1
    bracket = np.empty((heads, LANES), out.dtype)
    spare = np.empty((heads, LANES), out.dtype)
    for first in range(start, stop, LANES):
        lanes = min(LANES, stop - first)
        S[:] = 0
        for lane in range(lanes):
            group, stream = divmod(first + lane, streams)
            for t in range(padded):
                for c in range(channels):
                    P[t, c, lane] = paths[group, stream, min(t, steps), c] * scale
        P[:, :, lanes:] = 0
        for t0 in range(0, steps, TIME_BLOCK):
            X = P[t0 + 1 : t0 + TIME_BLOCK + 1] - P[t0 : t0 + TIME_BLOCK]
            for u in range(TIME_BLOCK if depth > 1 else 0):
                dx = X[u]
                for k in range(depth, 1, -1):
                    for i in range(channels):
                        for lane in range(LANES):
                            bracket[i, lane] = S[i, lane] + dx[i, lane] * inverse[k]
                    size = channels
                    for j in range(2, k):
                        scale_j = inverse[k - j + 1]
                        for w in range(size):
                            for m in range(channels):
                                row = offsets[j] + w * channels + m
                                for lane in range(LANES):
                                    spare[w * channels + m, lane] = (
                                        S[row, lane] + bracket[w, lane] * dx[m, lane] * scale_j
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
