"""Cost figures reported beside accuracy: parameters, size on disk, FLOPs."""

from __future__ import annotations

import io

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def serialized_kb(obj: object) -> float:
    """Size of ``torch.save(obj)`` in KB (1 KB = 1024 bytes)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.tell() / 1024


@torch.no_grad()
def flops_per_sample(model: nn.Module, example: torch.Tensor) -> int:
    """Forward FLOPs for one sample (a multiply-add counts as two), by torch's flop counter."""
    model.eval()
    counter = FlopCounterMode(display=False)
    with counter:
        model(example[:1])
    return int(counter.get_total_flops())
