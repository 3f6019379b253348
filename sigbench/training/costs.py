"""Cost figures reported beside accuracy: parameters, size on disk, FLOPs, CPU speed."""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
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


THROUGHPUT_BATCH = 256
LATENCY_REPEATS = 50
THROUGHPUT_REPEATS = 5
TIME_BUDGET_S = 3.0  # per figure, after the minimum of three timed calls


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block on ``count`` intra-op threads, then restore the previous setting."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def call_seconds(call: Callable[[], object], repeats: int, budget_s: float) -> list[float]:
    """Wall times of up to ``repeats`` calls after one warm-up; stops early once over budget."""
    call()
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < repeats and (len(times) < 3 or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def median_seconds(call: Callable[[], object], repeats: int, budget_s: float) -> float:
    """Median wall time of ``call`` (see :func:`call_seconds`)."""
    return statistics.median(call_seconds(call, repeats, budget_s))


@torch.inference_mode()
def inference_speed(
    predict: Callable[[np.ndarray], object],
    images: np.ndarray,
    *,
    batch: int = THROUGHPUT_BATCH,
    budget_s: float = TIME_BUDGET_S,
) -> dict[str, float]:
    """CPU speed of ``predict`` (uint8 images to logits, preprocessing included).

    ``latency_ms``: one image at a time on one thread, the median; ``images_per_s``: batches
    of ``batch`` (``images`` repeated as needed) on the current thread setting.
    """
    one = images[:1]
    with torch_threads(1):
        latency = median_seconds(lambda: predict(one), LATENCY_REPEATS, budget_s)
    many = images[np.arange(batch) % len(images)]
    per_batch = median_seconds(lambda: predict(many), THROUGHPUT_REPEATS, budget_s)
    return {"latency_ms": round(1000 * latency, 4), "images_per_s": round(batch / per_batch, 1)}
