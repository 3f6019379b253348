"""lanes: sigbench's own CPU signatures, many paths side by side as SIMD lanes.

Image rows are thousands of short paths of 2 to 4 channels: looping over one path's
tensor coordinates leaves most of a vector unit idle. Here ``LANES`` paths are signed at
once, each arithmetic statement one vector instruction across them (see ``layout``); the
kernels are compiled by numba, release the GIL, and are cached on disk (``kernels``).
They read uint8 pixels as well as float paths (``pixel_signatures``: the scaling to [0, 1]
is done while loading, with no float copy of the images). Blocks of paths are shared out
over as many threads as torch is set to use, as the other backends do. The log-signature
is taken from the signature by the torch backend's tensor logarithm and Lyndon
projection, so every backend reports the same coordinates.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from sigbench.signature.backends.lanes.kernels import backward_kernel_for, kernel_for
from sigbench.signature.backends.lanes.layout import LANES, level_offsets, reciprocals
from sigbench.signature.backends.torch_backend import log_signature
from sigbench.signature.threads import kernel_workers

PARTS_PER_THREAD = 4  # so that a thread slowed by other work holds up little


def _split(count: int, threads: int) -> list[slice]:
    """Whole blocks of LANES paths, in about PARTS_PER_THREAD parts per thread."""
    blocks = -(-count // LANES)
    parts = min(blocks, threads * PARTS_PER_THREAD)
    if parts == 0:
        return []
    edges = [min(count, LANES * (blocks * i // parts)) for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _in_parts(kernel: Callable[[int, int], None], count: int) -> None:
    """Run ``kernel(start, stop)`` over ``count`` paths: in whole blocks shared out over
    torch's thread count (on lasting threads: a pool started per call took longer than
    signing 400 small images), or at once on one thread."""
    threads = torch.get_num_threads()
    parts = _split(count, threads)
    if threads == 1 or len(parts) <= 1:
        kernel(0, count)
    else:
        list(kernel_workers(threads).map(lambda p: kernel(p.start, p.stop), parts))


def _sign(group: np.ndarray, scale: np.floating, depth: int, log_sig: bool) -> np.ndarray:
    """(groups, streams, points, C) paths of any dtype, times ``scale`` (whose dtype is
    the result's) -> (groups * streams, length) signatures or log-signatures."""
    groups, streams, points, channels = group.shape
    count, dtype = groups * streams, scale.dtype
    if depth == 1:  # the signature and the log-signature are the increment
        last, first = group[:, :, -1], group[:, :, 0]
        if group.dtype == dtype:  # float paths: scale is 1
            return (last - first).reshape(count, channels)
        return (last * scale - first * scale).reshape(count, channels)
    kernel = kernel_for(channels, depth)
    inverse = reciprocals(depth, dtype)
    out = np.empty((count, level_offsets(channels, depth)[depth + 1]), dtype)
    _in_parts(lambda start, stop: kernel(group, scale, inverse, out, start, stop), count)
    if not log_sig:
        return out
    sizes = [channels**k for k in range(1, depth + 1)]
    with torch.no_grad():
        return log_signature(list(torch.from_numpy(out).split(sizes, dim=1)), channels).numpy()


def signatures(paths: np.ndarray, depth: int, log_sig: bool) -> np.ndarray:
    """(B, L, C) float paths -> (B, length), in their dtype."""
    return _sign(paths[None], paths.dtype.type(1), depth, log_sig)


def pixel_signatures(group: np.ndarray, dtype: np.dtype, depth: int, log_sig: bool) -> np.ndarray:
    """uint8 streams (N, streams, points, C), any strides, scaled to [0, 1] as
    ``streams.unit_paths`` scales them (bit for bit) -> (N * streams, length) in ``dtype``."""
    return _sign(group, dtype.type(1 / 255), depth, log_sig)


def signature_gradients(
    paths: np.ndarray,
    signatures: np.ndarray,
    grads: np.ndarray,
    depth: int,
    *,
    unrolled: bool | None = None,
) -> np.ndarray:
    """The vector-Jacobian product of ``signatures(paths, depth, False)``: dL/dpaths
    (B, L, C), given the signatures themselves (B, length) and dL/dsignatures (B, length),
    all C-contiguous in the paths' dtype. Running signatures are recovered backwards step
    by step (see ``generic_backward``; shapes up to RGB at depth 4 run it unrolled,
    ``backward_codegen``), so memory does not grow with the path length beyond the
    paths themselves. ``unrolled`` forces the kernel's choice (for the benchmark)."""
    count, points, channels = paths.shape
    if count == 0 or points < 2:  # no steps: the signature is 0 whatever the points
        return np.zeros_like(paths)
    if depth == 1:  # the increment: the end point gains the gradient, the start loses it
        out = np.zeros_like(paths)
        out[:, -1] += grads
        out[:, 0] -= grads
        return out
    out = np.empty_like(paths)  # the kernel writes every point of every path
    kernel = backward_kernel_for(channels, depth, unrolled=unrolled)
    inverse = reciprocals(depth, paths.dtype)
    _in_parts(
        lambda start, stop: kernel(paths, signatures, grads, inverse, out, start, stop), count
    )
    return out
