"""The lanes kernels as a torch autograd function: forward the lane kernel, backward its
vector-Jacobian product (``signature_gradients``), both on CPU tensors in float32/float64.

The log-signature is taken from the signature by the torch backend's tensor logarithm and
Lyndon projection, so its gradient flows through those torch ops into this function.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.autograd.function import FunctionCtx, once_differentiable

from sigbench.errors import SigbenchError
from sigbench.signature.backends.lanes import signature_gradients, signatures
from sigbench.signature.backends.torch_backend import log_signature
from sigbench.signature.spec import SignatureSpec

DTYPES = (torch.float32, torch.float64)


def _array(tensor: torch.Tensor) -> np.ndarray:
    """A C-contiguous numpy view (or copy) of a CPU tensor, outside autograd."""
    return tensor.detach().resolve_conj().contiguous().numpy()


class LanesSignature(torch.autograd.Function):
    """(B, L, C) paths -> (B, C + ... + C^depth) signatures, differentiable once."""

    @staticmethod
    def forward(ctx: FunctionCtx, paths: torch.Tensor, depth: int) -> torch.Tensor:  # type: ignore[override]
        signature = torch.from_numpy(signatures(_array(paths), depth, False))
        ctx.depth = depth  # type: ignore[attr-defined]
        ctx.save_for_backward(paths, signature)
        return signature

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        paths, signature = ctx.saved_tensors  # type: ignore[attr-defined]
        gradients = signature_gradients(
            _array(paths),
            signature.numpy(),
            _array(grad.to(paths.dtype)),
            ctx.depth,  # type: ignore[attr-defined]
        )
        return torch.from_numpy(gradients), None


def lanes_signature(paths: torch.Tensor, depth: int, log_sig: bool = False) -> torch.Tensor:
    """Signatures (no leading 1) or Lyndon-basis log-signatures of CPU paths (B, L, C) in
    float32/float64, with gradients by the lanes backward pass."""
    if paths.device.type != "cpu" or paths.dtype not in DTYPES or paths.ndim != 3:
        raise SigbenchError(
            f"lanes signatures take CPU float32/float64 paths (B, L, C), got a "
            f"{paths.device.type} {paths.dtype} tensor of shape {tuple(paths.shape)}: "
            "use backend 'torch' for other devices and types"
        )
    depth = SignatureSpec(depth, log_sig=log_sig).depth  # the one depth check (1 to 8)
    signature = LanesSignature.apply(paths, depth)
    if not log_sig:
        return signature
    channels = paths.shape[-1]
    levels = list(signature.split([channels**k for k in range(1, depth + 1)], dim=1))
    return log_signature(levels, channels)
