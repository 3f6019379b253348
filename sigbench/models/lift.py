"""``imagesig_lift``: ImageSig with a learned lift of each stream (deep signature transforms).

Kidger, Bonnier, Perez Arribas, Salvi and Lyons (NeurIPS 2019) learn a pointwise or
small-window map of a path before its signature and train through the signature. On an
image: each row (and with ``two_direction`` each column) is a stream of C channels, plus
the time channel with ``path: time`` (any of ImageSig's path transforms applies first); a
Conv1d of kernel ``lift_kernel`` lifts it to ``lift_channels`` channels, the stream's
signature is taken to ``depth``, and ImageSig's FC or conv head classifies the stacked
signatures. One lift serves rows and columns.

Features change with the lift, so nothing is cached: the model eats pixels and computes
the signatures of every batch, forward and backward, through
:func:`~sigbench.signature.layer.differentiable_signatures` (``backend: auto`` takes the
lanes kernels and their backward pass on CPU: 3-5x faster than the torch backend for 28-point
streams lifted to 4-5 channels at depth 3-4, measured side by side, docs/models.md). The
stacked features go through a BatchNorm (without affine terms) in place of ImageSig's
fitted standardizer, which needs fixed features to fit.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field
from torch import nn

from sigbench.errors import SigbenchError
from sigbench.models.imagesig import ConvBlock, ConvHeadConfig, DenseHeadConfig, dense_block
from sigbench.models.registry import register_model
from sigbench.signature.layer import LAYER_BACKENDS, differentiable_signatures
from sigbench.signature.spec import (
    PathTransform,
    stream_count,
    transformed_channels,
    transformed_points,
)
from sigbench.signature.streams import apply_path_transform, image_streams


class LiftConfig(DenseHeadConfig, ConvHeadConfig):
    """``imagesig_lift``: the lift, the signature and the head, all in the model section
    (the run never computes cached features, so the ``signature`` section is not read)."""

    input = "image"
    lift_channels: int = Field(4, ge=1, le=16, description="k: channels after the lift")
    lift_kernel: int = Field(3, ge=1, le=9, description="w: points each lifted point sees")
    depth: int = Field(3, ge=1, le=6, description="signature depth of each lifted stream")
    two_direction: bool = Field(True, description="columns are streams too")
    path: PathTransform = Field("time", description="applied to each stream before the lift")
    head: Literal["fc", "conv"] = Field("fc", description="ImageSig's FC or Conv1D head")
    backend: Literal[LAYER_BACKENDS] = Field(
        "auto",
        description="training signature: auto (lanes on CPU, 3-5x faster than torch forward "
        "and backward; torch on CUDA and under export), torch or lanes",
    )


class LiftedSignatures(nn.Module):
    """Pixels (N, C, H, W) -> (N, streams, length): transform, lift and sign every stream."""

    def __init__(self, channels: int, config: LiftConfig) -> None:
        super().__init__()
        self.path, self.depth, self.two_direction = config.path, config.depth, config.two_direction
        self.backend = config.backend
        self.lift = nn.Conv1d(
            transformed_channels(channels, config.path), config.lift_channels, config.lift_kernel
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        features = []
        for group in image_streams(pixels.permute(0, 2, 3, 1), self.two_direction):
            n, streams, points, channels = group.shape
            paths = apply_path_transform(group.reshape(n * streams, points, channels), self.path)
            lifted = self.lift(paths.transpose(1, 2)).transpose(1, 2)
            signed = differentiable_signatures(lifted, self.depth, backend=self.backend)
            features.append(signed.view(n, streams, -1))
        return torch.cat(features, dim=1) if len(features) > 1 else features[0]


def lift_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The lifted streams' signatures (``signatures``) and the Dense(n) ReLU (``hidden``)."""
    return {"signatures": model[0], "hidden": model[-1][1]}


@register_model(
    "imagesig_lift",
    config=LiftConfig,
    description="learned Conv1d lift per stream, signature, FC or conv head",
    layers=lift_layers,
    capacity={
        "model.lift_channels": [3, 4, 5],
        "model.lift_kernel": [1, 3],
        "model.depth": [2, 3, 4],
        "model.head": ["fc", "conv"],
        "model.neurons": {"low": 16, "high": 256, "log": True},
    },
)
def imagesig_lift(input_shape: tuple[int, ...], num_classes: int, config: LiftConfig) -> nn.Module:
    channels, height, width = input_shape
    sides = (height, width) if config.two_direction else (width,)
    shortest = min(transformed_points(side, config.path) for side in sides)
    if shortest < config.lift_kernel + 1:
        raise SigbenchError(
            f"model.lift_kernel = {config.lift_kernel}: streams of {shortest} points leave "
            "fewer than 2 lifted points; lower model.lift_kernel or raise data.image_size"
        )
    signer = LiftedSignatures(channels, config)
    streams = stream_count(height, width, config.two_direction)
    shape = (streams, sum(config.lift_channels**k for k in range(1, config.depth + 1)))
    if config.head == "fc":
        head: list[nn.Module] = [nn.Flatten(), nn.BatchNorm1d(math.prod(shape), affine=False)]
        width_in = math.prod(shape)
    else:
        conv = ConvBlock(shape, config)
        head = [StreamNorm(shape[1]), conv, nn.Flatten()]
        width_in = conv.out_steps * conv.out_channels
    return nn.Sequential(
        signer, *head, dense_block(width_in, config.neurons, config.dropout, num_classes)
    )


class StreamNorm(nn.Module):
    """BatchNorm of each signature term over the batch and the streams (for the conv head)."""

    def __init__(self, length: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(length, affine=False)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.norm(features.transpose(1, 2)).transpose(1, 2)
