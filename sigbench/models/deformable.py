"""``deformable_cnn``: the lecture CNN with deformable convolution (Dai et al. 2017) in its
later stages, as the scale-equivariance notes compare it with regular convolution.

Each deformable stage is torchvision's :class:`~torchvision.ops.DeformConv2d` fed by a
parallel 3x3 offset branch that predicts an (x, y) shift per kernel tap and pixel. The branch
starts at zero, so an untrained deformable stage samples the regular grid: the network
begins as ``simple_cnn`` does and learns to deform from there. torchvision loads only when
one is built (its import takes seconds).
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from sigbench.models.registry import register_model
from sigbench.models.simple import CNN_CHANNELS, lecture_cnn, plain_conv, pooled_stage_layers
from sigbench.models.weights import WeightsConfig, load_weights

KERNEL = 3


class DeformableConfig(WeightsConfig):
    """``deformable_cnn``: how many of the last stages deform."""

    deformable_stages: int = Field(
        2, ge=1, le=len(CNN_CHANNELS), description="the last n of the 3 stages are deformable"
    )


class DeformableConv(nn.Module):
    """A 3x3 "same" deformable convolution with its offset branch (zero at the start)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        from torchvision.ops import DeformConv2d

        super().__init__()
        self.offset = nn.Conv2d(in_channels, 2 * KERNEL * KERNEL, KERNEL, padding=KERNEL // 2)
        nn.init.zeros_(self.offset.weight)
        nn.init.zeros_(self.offset.bias)
        self.conv = DeformConv2d(in_channels, out_channels, KERNEL, padding=KERNEL // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()  # torchvision's CPU kernel reads NCHW memory
        return self.conv(x, self.offset(x))


@register_model(
    "deformable_cnn",
    config=DeformableConfig,
    description="lecture CNN, its last stages deformable (torchvision DeformConv2d)",
    layers=pooled_stage_layers,
    capacity={"model.deformable_stages": [1, 2, 3]},
)
def deformable_cnn(
    input_shape: tuple[int, ...], num_classes: int, config: DeformableConfig
) -> nn.Module:
    first = len(CNN_CHANNELS) - config.deformable_stages

    def conv(stage: int, in_channels: int, out_channels: int) -> nn.Module:
        if stage < first:
            return plain_conv(stage, in_channels, out_channels)
        return DeformableConv(in_channels, out_channels)

    model = lecture_cnn(input_shape, num_classes, conv)
    load_weights(model, config)
    return model
