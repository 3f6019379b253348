"""The vector-Jacobian product of the lane kernel for any channel count and depth, in loops.

Walked backwards over the steps, with the forward's lane layout. The signature after a
step, ``S' = S (x) exp(d)``, gives back the one before it as ``S = S' (x) exp(-d)`` (Chen's
identity), so only the current running signature is held, never one per step: memory is
the block's paths and their gradients, O(points x C x LANES), plus a few signatures. Only
levels 1..depth-1 of the running signature are recovered, as only they enter a step's
gradient. Per step, with ``G`` the gradient of the loss with respect to ``S'``:

- level k's Horner bracket (see ``layout``) is rebuilt from the recovered ``S``, its
  ``q_j = h_j / (k - j)`` kept for j = 1..k-1;
- the bracket is walked back: ``dq_{k-1} = G_k . d`` (contracting the last letter),
  ``dd += G_k . q_{k-1}`` (contracting the rest), then down the bracket, each ``h_j`` adding
  its gradient to ``G_j`` (``S_j`` enters ``h_j`` as a plain term), which is what turns
  ``G`` into the gradient with respect to ``S``.

Levels are walked from the bottom up, so each ``G_k`` is read before the levels above add
to it. A step's increment gradient ``dd`` goes to its end point and, negated, its start.
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

from sigbench.signature.backends.lanes.layout import LANES


def generic_backward_kernel(
    paths: np.ndarray,
    signatures: np.ndarray,
    grads: np.ndarray,
    inverse: np.ndarray,
    depth: int,
    out: np.ndarray,
    start: int,
    stop: int,
) -> None:
    """dL/dpaths of the paths ``start:stop`` of ``paths`` (B, points, C) into those rows of
    ``out``, given their ``signatures`` (B, words: the forward's result) and ``grads``
    (B, words: dL/dsignature); ``inverse = reciprocals(depth)``; depth >= 2.

    Plain Python: ``kernels.generic_backward()`` compiles it with numba.
    """
    _, points, channels = paths.shape
    offsets = np.zeros(depth + 2, np.int64)
    for k in range(1, depth + 1):
        offsets[k + 1] = offsets[k] + channels**k
    words, below_top = offsets[depth + 1], offsets[depth]
    dtype = out.dtype
    P = np.empty((points, channels, LANES), dtype)
    D = np.empty((points, channels, LANES), dtype)  # dL/dpaths
    S = np.empty((below_top, LANES), dtype)  # levels 1..depth-1, running backwards
    G = np.empty((words, LANES), dtype)
    Q = np.empty((below_top, LANES), dtype)  # a bracket's q_j, level j at offsets[j]
    dQ = np.empty((below_top, LANES), dtype)
    dx = np.empty((channels, LANES), dtype)
    minus = np.empty((channels, LANES), dtype)
    dd = np.empty((channels, LANES), dtype)
    for first in range(start, stop, LANES):
        lanes = min(LANES, stop - first)
        P[:] = 0
        S[:] = 0
        G[:] = 0
        D[:] = 0
        for lane in range(lanes):
            for t in range(points):
                for c in range(channels):
                    P[t, c, lane] = paths[first + lane, t, c]
            for w in range(below_top):
                S[w, lane] = signatures[first + lane, w]
            for w in range(words):
                G[w, lane] = grads[first + lane, w]
        for t in range(points - 2, -1, -1):
            for c in range(channels):
                for lane in range(LANES):
                    dx[c, lane] = P[t + 1, c, lane] - P[t, c, lane]
                    minus[c, lane] = -dx[c, lane]
            _step_levels(S, minus, inverse, offsets, depth - 1, channels, Q)
            dd[:] = G[0:channels]  # level 1: S'_1 = S_1 + d
            for k in range(2, depth + 1):
                _bracket(S, dx, inverse, offsets, k, channels, Q)
                # dq_{k-1} = G_k . d; dd += G_k . q_{k-1}
                _bracket_back(G, Q, dQ, dx, dd, offsets, k, channels)
                for j in range(k - 1, 0, -1):
                    scale = inverse[k - j]
                    for w in range(offsets[j], offsets[j + 1]):
                        for lane in range(LANES):
                            dQ[w, lane] *= scale  # now dh_j
                            G[w, lane] += dQ[w, lane]
                    if j > 1:
                        _bracket_back(dQ, Q, dQ, dx, dd, offsets, j, channels)
                    else:
                        for c in range(channels):
                            for lane in range(LANES):
                                dd[c, lane] += dQ[c, lane] * inverse[k]
            for c in range(channels):
                for lane in range(LANES):
                    D[t + 1, c, lane] += dd[c, lane]
                    D[t, c, lane] -= dd[c, lane]
        for lane in range(lanes):
            for t in range(points):
                for c in range(channels):
                    out[first + lane, t, c] = D[t, c, lane]


@register_jitable
def _step_levels(
    S: np.ndarray,
    dx: np.ndarray,
    inverse: np.ndarray,
    offsets: np.ndarray,
    top: int,
    channels: int,
    Q: np.ndarray,
) -> None:
    """S <- S (x) exp(dx) for levels 1..top, from the top down (each level's bracket reads
    the old values of those below it); ``Q`` is scratch."""
    for k in range(top, 1, -1):
        _bracket(S, dx, inverse, offsets, k, channels, Q)
        for w in range(offsets[k - 1], offsets[k]):
            prefix = (w - offsets[k - 1]) * channels
            for m in range(channels):
                row = offsets[k] + prefix + m
                for lane in range(LANES):
                    S[row, lane] += Q[w, lane] * dx[m, lane]
    for i in range(channels):
        for lane in range(LANES):
            S[i, lane] += dx[i, lane]


@register_jitable
def _bracket(
    S: np.ndarray,
    dx: np.ndarray,
    inverse: np.ndarray,
    offsets: np.ndarray,
    k: int,
    channels: int,
    Q: np.ndarray,
) -> None:
    """Level k's Horner bracket from S: Q's level j holds q_j = h_j / (k - j), j = 1..k-1."""
    for i in range(channels):
        for lane in range(LANES):
            Q[i, lane] = (S[i, lane] + dx[i, lane] * inverse[k]) * inverse[k - 1]
    for j in range(2, k):
        scale = inverse[k - j]
        for w in range(offsets[j - 1], offsets[j]):
            prefix = (w - offsets[j - 1]) * channels
            for m in range(channels):
                row = offsets[j] + prefix + m
                for lane in range(LANES):
                    Q[row, lane] = (S[row, lane] + Q[w, lane] * dx[m, lane]) * scale


@register_jitable
def _bracket_back(
    upper: np.ndarray,
    Q: np.ndarray,
    dQ: np.ndarray,
    dx: np.ndarray,
    dd: np.ndarray,
    offsets: np.ndarray,
    j: int,
    channels: int,
) -> None:
    """Back through ``h_j = S_j + q_{j-1} (x) d`` (or level j's ``S_j += q_{j-1} (x) d``)
    given dh_j in ``upper``'s level j: dq_{j-1} into ``dQ``, d's share into ``dd``."""
    for w in range(offsets[j - 1], offsets[j]):
        prefix = (w - offsets[j - 1]) * channels
        for lane in range(LANES):
            dQ[w, lane] = 0
        for m in range(channels):
            row = offsets[j] + prefix + m
            for lane in range(LANES):
                dQ[w, lane] += upper[row, lane] * dx[m, lane]
                dd[m, lane] += upper[row, lane] * Q[w, lane]
