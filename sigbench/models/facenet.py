"""``facenet_small``: the compact FaceNet-style network of the HTER face report (the seeds).

As the report builds it: Conv 7x7/2 (64) + BN + ReLU + MaxPool 3/2, Conv 1x1 (64) + BN +
ReLU, Conv 3x3 (192) + BN + ReLU + MaxPool 3/2, global average pooling, dropout, a
Linear(192, embedding) embedding and a Linear(embedding, classes) classifier (no
nonlinearity between the two, as in the report). It eats [0, 1] pixels at the data's own
channel count and size (global pooling takes any H x W) and trains from scratch.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from sigbench.models.registry import register_model
from sigbench.models.simple import pooled_stage_layers
from sigbench.models.weights import WeightsConfig, load_weights

STEM, MIDDLE, WIDE = 64, 64, 192  # the report's channel counts


class FacenetConfig(WeightsConfig):
    """``facenet_small``: the embedding width and the dropout before it."""

    embedding: int = Field(128, ge=1, description="width of the embedding layer (fc1)")
    dropout: float = Field(0.5, ge=0.0, lt=1.0, description="dropout before the embedding")


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> list[nn.Module]:
    """Conv (same padding for odd kernels) + BatchNorm + ReLU."""
    return [
        nn.Conv2d(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]


@register_model(
    "facenet_small",
    config=FacenetConfig,
    description="HTER report's compact FaceNet: conv 7x7/2-1x1-3x3, BN, pools, 128-d embedding",
    layers=pooled_stage_layers,  # stage1, stage2 and the embedding (hidden)
    capacity={"model.embedding": [64, 128, 256], "model.dropout": {"low": 0.0, "high": 0.6}},
)
def facenet_small(
    input_shape: tuple[int, ...], num_classes: int, config: FacenetConfig
) -> nn.Module:
    channels = input_shape[0]
    model = nn.Sequential(
        *_conv(channels, STEM, 7, stride=2),
        nn.MaxPool2d(3, stride=2, padding=1),
        *_conv(STEM, MIDDLE, 1),
        *_conv(MIDDLE, WIDE, 3),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(config.dropout),
        nn.Linear(WIDE, config.embedding),
        nn.Linear(config.embedding, num_classes),
    )
    load_weights(model, config)
    return model.to(memory_format=torch.channels_last)  # oneDNN's fast path, as simple_cnn
