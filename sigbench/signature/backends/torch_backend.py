"""sigbench's own signatures in plain torch: batched, differentiable, on any device.

Chen's identity with Horner's scheme: walking along the path, the running signature S is
multiplied by exp(dx) for each increment dx, level by level from the top. Only mul, add,
reshape and slicing are used, so a model that starts with :class:`ImageSignatureLayer`
exports to ONNX as one pixels-to-class graph.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from sigbench.signature.lyndon import lyndon_projection
from sigbench.signature.streams import apply_path_transform, image_streams


def _outer(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Tensor product of flattened levels: (B, D^i) x (B, D^j) -> (B, D^(i+j))."""
    return (a.unsqueeze(-1) * b.unsqueeze(-2)).flatten(-2)


def signature_levels(paths: torch.Tensor, depth: int) -> list[torch.Tensor]:
    """Levels 1..depth of the signature of paths (B, L, D), each flattened (B, D^k)."""
    increments = paths[:, 1:] - paths[:, :-1]
    batch, steps, channels = increments.shape
    levels = [paths.new_zeros(batch, channels**k) for k in range(1, depth + 1)]
    for step in range(steps):
        dx = increments[:, step]
        # S <- S (x) exp(dx). Top level first, since each level reads the old lower ones:
        # new_k = S_k + (...((dx/k + S_1) (x) dx/(k-1) + S_2) ...) (x) dx.
        for k in range(depth, 0, -1):
            running = dx / k
            for i in range(1, k):
                running = _outer(running + levels[i - 1], dx / (k - i))
            levels[k - 1] = levels[k - 1] + running
    return levels


def _truncated_product(a: list[torch.Tensor], b: list[torch.Tensor]) -> list[torch.Tensor]:
    """Product of two tensors with zero scalar term, truncated at len(a) levels."""
    depth = len(a)
    product = [torch.zeros_like(level) for level in a]
    for i in range(1, depth + 1):
        for j in range(1, depth + 1 - i):
            product[i + j - 1] = product[i + j - 1] + _outer(a[i - 1], b[j - 1])
    return product


def log_signature_from_levels(levels: list[torch.Tensor], channels: int) -> torch.Tensor:
    """Lyndon-basis log-signature from signature levels (tensor log, then change of basis)."""
    depth = len(levels)
    logarithm = [level.clone() for level in levels]
    power = levels
    for n in range(2, depth + 1):
        power = _truncated_product(power, levels)
        sign = (-1) ** (n + 1) / n
        logarithm = [total + sign * term for total, term in zip(logarithm, power, strict=True)]
    flat = torch.cat(logarithm, dim=-1)
    indices, change = lyndon_projection(channels, depth)
    words = flat[:, torch.as_tensor(indices, device=flat.device)]
    return words @ torch.as_tensor(change, dtype=flat.dtype, device=flat.device)


def path_signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> torch.Tensor:
    """(B, L, D) -> (B, length): signature (no leading 1) or Lyndon-basis log-signature."""
    levels = signature_levels(paths, depth)
    if log_sig:
        return log_signature_from_levels(levels, paths.shape[-1])
    return torch.cat(levels, dim=-1)


def signatures(paths: torch.Tensor, depth: int, log_sig: bool) -> np.ndarray:
    with torch.no_grad():
        return path_signatures(paths, depth, log_sig).numpy()


class ImageSignatureLayer(nn.Module):
    """Images (N, H, W, C) in [0, 1] -> signature features (N, streams, length).

    The same streams, path transforms and signature as ``image_signatures``, as a layer:
    differentiable, device-agnostic and exportable.
    """

    def __init__(
        self, depth: int, two_direction: bool = False, log_sig: bool = False, path: str = "none"
    ) -> None:
        super().__init__()
        self.depth, self.two_direction, self.log_sig, self.path = (
            depth,
            two_direction,
            log_sig,
            path,
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = []
        for group in image_streams(images, self.two_direction):
            n, streams = group.shape[:2]
            paths = apply_path_transform(group.flatten(0, 1), self.path)
            features.append(path_signatures(paths, self.depth, self.log_sig).view(n, streams, -1))
        return torch.cat(features, dim=1)
