"""The computer-vision lecture's baselines: logistic regression on pixels and a small CNN.

Both eat [0, 1] pixels as the lecture's ``Rescaling(1/255)`` leaves them, at the data's own
channel count, and train from scratch (``model.weights`` may name a file of theirs). The CNN
upsamples images smaller than its pools' product (8x8 digits) to :data:`CNN_MIN_SIZE` and
keeps its weights channels-last (oneDNN's fast path on CPU, as the transfer CNNs do).
:func:`lecture_cnn` builds it with any convolution per stage, so its variants (deformable
convolution) differ from it only where they say.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from sigbench.models.registry import register_model
from sigbench.models.transfer import PixelPreprocess
from sigbench.models.weights import WeightsConfig, load_weights

CNN_CHANNELS = (16, 32, 64)
CNN_POOLS = (2, 2, 4)
CNN_DENSE = 64
CNN_MIN_SIZE = math.prod(CNN_POOLS)

# (stage index, in channels, out channels) -> a 3x3 "same" convolution
ConvFactory = Callable[[int, int, int], nn.Module]


def plain_conv(stage: int, in_channels: int, out_channels: int) -> nn.Module:
    return nn.Conv2d(in_channels, out_channels, 3, padding="same")


def lecture_cnn(
    input_shape: tuple[int, ...], num_classes: int, conv: ConvFactory = plain_conv
) -> nn.Sequential:
    """Conv 16-32-64 (each ReLU + max-pool), Dense(64), Dense(K); ``conv`` makes each stage's
    convolution."""
    channels, height, width = input_shape
    height, width = max(height, CNN_MIN_SIZE), max(width, CNN_MIN_SIZE)
    layers: list[nn.Module] = [PixelPreprocess((height, width), channels, (0.0,) * 3, (1.0,) * 3)]
    for stage, (out_channels, pool) in enumerate(zip(CNN_CHANNELS, CNN_POOLS, strict=True)):
        layers += [conv(stage, channels, out_channels), nn.ReLU(), nn.MaxPool2d(pool)]
        channels, height, width = out_channels, height // pool, width // pool
    return nn.Sequential(
        *layers,
        nn.Flatten(),
        nn.Linear(channels * height * width, CNN_DENSE),
        nn.ReLU(),
        nn.Linear(CNN_DENSE, num_classes),
    )


def pooled_stage_layers(model: nn.Module) -> dict[str, nn.Module]:
    """A plain ``nn.Sequential`` CNN's probes: after each stage (its max-pool), and the
    layer before the classifier (``hidden``: simple_cnn's Dense(64) ReLU, facenet_small's
    embedding)."""
    pools = [m for m in model if isinstance(m, nn.MaxPool2d)]
    return {**{f"stage{i + 1}": pool for i, pool in enumerate(pools)}, "hidden": model[-2]}


@register_model("logistic", config=WeightsConfig, description="logistic regression on the pixels")
def logistic(input_shape: tuple[int, ...], num_classes: int, config: WeightsConfig) -> nn.Module:
    model = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes))
    load_weights(model, config)
    return model


@register_model(
    "simple_cnn",
    config=WeightsConfig,
    description="lecture CNN: Conv 16-32-64 + pools, Dense(64)",
    layers=pooled_stage_layers,
)
def simple_cnn(input_shape: tuple[int, ...], num_classes: int, config: WeightsConfig) -> nn.Module:
    model = lecture_cnn(input_shape, num_classes)
    load_weights(model, config)
    return model.to(memory_format=torch.channels_last)
