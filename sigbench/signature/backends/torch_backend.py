"""sigbench's own signatures in plain torch: batched, differentiable, on any device.

All steps of a path are processed at once, level by level (no loop over the points):
by Chen's identity the level-k signature gains, at step s with increment dx,

    delta_k[s] = sum_{j=1..k} S_{k-j}[before s] (x) dx^(x)j / j!,

where S_i[before s] is the level-i signature of the path up to step s (S_0 = 1), itself
a cumulative sum of the lower levels' gains. Each gain is evaluated in Horner form, and the
top level is only ever needed summed over the steps, which is one batched matrix product.
That is a few dozen tensor ops (mul, add, cumsum, matmul, reshape) whatever the path length,
so a model that starts with ``ImageSignatureLayer`` (``sigbench.signature.layer``) exports to
ONNX as one small pixels-to-class graph and runs well on a GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from sigbench.signature.lyndon import lyndon_projection
from sigbench.signature.threads import single_threaded_workers

# Paths per chunk times steps times the widest stored level. Small enough that each
# intermediate (about 1 MB in float32) stays in cache: measured 25% faster on CPU than
# chunks 16 times larger, where every op pays page faults on fresh memory.
CHUNK_ELEMENTS = 1 << 18


def _outer(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Tensor product of flattened tensors: (..., D^i) x (..., D^j) -> (..., D^(i+j))."""
    return (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(-2)


def _word_order(level: torch.Tensor, channels: int, k: int) -> torch.Tensor:
    """Reverse the letters of every word's index: the working order to the usual one."""
    return level.unflatten(1, [channels] * k).permute(0, *range(k, 0, -1)).flatten(1)


def signature_levels(paths: torch.Tensor, depth: int) -> list[torch.Tensor]:
    """Levels 1..depth of the signature of paths (B, L, D), each flattened to (B, D^k).

    While computing, a word's first letter is its least significant index digit, so that
    appending an increment's letter, ``_outer(dx, running)``, broadcasts along the long
    contiguous axis (faster on CPU than the usual order); levels are reordered at the end.
    """
    increments = paths[:, 1:] - paths[:, :-1]
    channels = paths.shape[-1]
    before: list[torch.Tensor] = []  # level i of the signature up to (not including) each step
    levels: list[torch.Tensor] = []
    for k in range(1, depth + 1):
        # Horner: ((dx/k + S_1) (x) dx/(k-1) + S_2) ... + S_{k-1}, then (x) dx.
        running = increments / k
        for i in range(1, k):
            running = running + before[i - 1]
            if i < k - 1:
                running = _outer(increments / (k - i), running)
        if k == depth:
            # Only the total is needed: the sum over steps of running (x) dx, as a matmul.
            total = increments.transpose(1, 2) @ running if k > 1 else increments.sum(1)
            levels.append(_word_order(total.flatten(1), channels, k))
            break
        gains = _outer(increments, running) if k > 1 else running
        cumulative = gains.cumsum(dim=1)
        before.append(cumulative - gains)
        levels.append(_word_order(gains.sum(1), channels, k))
    return levels


def _truncated_product(a: list[torch.Tensor], b: list[torch.Tensor]) -> list[torch.Tensor]:
    """Product of two tensors with zero scalar term, truncated at len(a) levels."""
    product = [torch.zeros_like(level) for level in a]
    for i in range(1, len(a) + 1):
        for j in range(1, len(a) + 1 - i):
            product[i + j - 1] = product[i + j - 1] + _outer(a[i - 1], b[j - 1])
    return product


def log_signature(levels: list[torch.Tensor], channels: int) -> torch.Tensor:
    """Lyndon-basis log-signature from signature levels.

    The tensor logarithm log(1 + x) = x - x^2/2 + x^3/3 - ..., then its coefficients on the
    Lyndon words mapped to Lyndon-basis coordinates (as iisignature and signatory report).
    """
    logarithm, power = list(levels), levels
    for n in range(2, len(levels) + 1):
        power = _truncated_product(power, levels)
        sign = (-1) ** (n + 1) / n
        logarithm = [total + sign * term for total, term in zip(logarithm, power, strict=True)]
    indices, change = lyndon_projection(channels, len(levels))
    flat = torch.cat(logarithm, dim=-1)
    words = flat[:, torch.as_tensor(indices, device=flat.device)]
    return words @ torch.as_tensor(change, dtype=flat.dtype, device=flat.device)


def path_signatures(paths: torch.Tensor, depth: int, log_sig: bool = False) -> torch.Tensor:
    """(B, L, D) -> (B, length): signature (no leading 1) or Lyndon-basis log-signature."""
    levels = signature_levels(paths, depth)
    if log_sig:
        return log_signature(levels, paths.shape[-1])
    return torch.cat(levels, dim=-1)


def _sign_chunk(paths: torch.Tensor, depth: int, log_sig: bool) -> torch.Tensor:
    with torch.no_grad():  # grad mode is per thread
        return path_signatures(paths, depth, log_sig)


def _chunks(paths: np.ndarray, depth: int, elements: int) -> tuple[torch.Tensor, ...]:
    """``paths`` as tensors of whole paths whose largest level holds about ``elements``."""
    _, length, channels = paths.shape
    per_path = max(1, (length - 1) * channels ** max(depth - 1, 1))
    return torch.from_numpy(paths).split(max(1, elements // per_path))


def signatures(paths: np.ndarray, depth: int, log_sig: bool) -> np.ndarray:
    """The backend entry point: cache-sized chunks, signed by single-threaded workers.

    Ops on a chunk are too small to split across threads: torch's OpenMP threads then
    mostly wait for each other, and when other processes share the cores a run took 12x
    the CPU time of one thread and 8x its wall time. So the workers (as many as torch is
    set to use) run one thread each and share out the chunks.
    """
    chunks = _chunks(paths, depth, CHUNK_ELEMENTS)
    with single_threaded_workers() as pool:
        parts = list(pool.map(partial(_sign_chunk, depth=depth, log_sig=log_sig), chunks))
    return torch.cat(parts).numpy()


# Elements of the largest level per GPU chunk (4 bytes each, a few copies alive at once):
# far more than a CPU core's cache holds, so each chunk keeps a GPU busy.
GPU_CHUNK_ELEMENTS = 1 << 26


def signatures_on(device: str) -> Callable[[np.ndarray, int, bool], np.ndarray]:
    """The backend entry point computing on ``device`` (a GPU): paths copied over a chunk
    at a time, signed there, and the results copied back."""

    def signatures_there(paths: np.ndarray, depth: int, log_sig: bool) -> np.ndarray:
        chunks = _chunks(paths, depth, GPU_CHUNK_ELEMENTS)
        parts = [_sign_chunk(chunk.to(device), depth, log_sig).cpu() for chunk in chunks]
        return torch.cat(parts).numpy()

    return signatures_there
