"""``dss_cnn``: a small Deep Scale Space network (Worrall & Welling 2019), the lecture CNN's
stages done as scale convolutions.

- Lifting: the image becomes a stack of ``scales`` levels, level k blurred by a Gaussian of
  sigma ``base_sigma * sqrt(4^k - 1)`` (level 0 untouched): the blur that takes an image
  whose pixels carry ``base_sigma`` to one sampled twice as coarsely per level, so that a
  dilation of 2^k sees a band-limited image.
- Scale convolution: output level k sums 3x3 convolutions of input levels k .. k +
  ``interaction`` - 1, the j-th with its own weights, dilated by 2^k. The weights are tied
  across k, which is what makes the layer equivariant to the (discrete) dilations.
- Scale pooling: the average over the levels, before the Dense(64) head.

Each stage is a scale convolution, ReLU and spatial max-pool of the lecture CNN's sizes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from sigbench.models.registry import register_model
from sigbench.models.simple import CNN_CHANNELS, CNN_DENSE, CNN_MIN_SIZE, CNN_POOLS
from sigbench.models.transfer import PixelPreprocess
from sigbench.models.weights import WeightsConfig, load_weights

KERNEL = 3


class DssConfig(WeightsConfig):
    """``dss_cnn``: the scale space's size and how far each scale convolution reaches."""

    scales: int = Field(3, ge=1, le=4, description="levels of the scale space (dilation 2^k)")
    interaction: int = Field(2, ge=1, le=4, description="input levels each output level reads")
    base_sigma: float = Field(0.5, gt=0, le=2, description="blur the input pixels carry")


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalised 1-D Gaussian of radius ceil(3 sigma)."""
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    return kernel / kernel.sum()


class GaussianLift(nn.Module):
    """(N, C, H, W) -> (N, C, S, H, W): the image at ``scales`` blur levels (zero borders)."""

    def __init__(self, scales: int, base_sigma: float) -> None:
        super().__init__()
        self.sigmas = [base_sigma * math.sqrt(4**k - 1) for k in range(scales)]
        for k, sigma in enumerate(self.sigmas[1:], start=1):
            # Not persistent: they follow from the config, as PixelPreprocess's buffers do.
            self.register_buffer(f"kernel{k}", gaussian_kernel(sigma), persistent=False)

    def _blur(self, x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
        channels, radius = x.shape[1], len(kernel) // 2
        rows = kernel.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
        x = F.conv2d(x, rows, padding=(0, radius), groups=channels)
        return F.conv2d(x, rows.transpose(2, 3), padding=(radius, 0), groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        levels = [x] + [
            self._blur(x, getattr(self, f"kernel{k}")) for k in range(1, len(self.sigmas))
        ]
        return torch.stack(levels, dim=2)


class ScaleConv(nn.Module):
    """(N, Cin, S, H, W) -> (N, Cout, S, H, W); weights tied across levels, dilation 2^k.

    The weight is (Cout, Cin, interaction, 3, 3): level k reads levels k .. k + interaction
    - 1 as one convolution over their channels stacked (fewer than ``interaction`` at the
    coarsest levels, which read what there is).
    """

    def __init__(self, in_channels: int, out_channels: int, interaction: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(
            torch.empty(out_channels, in_channels, interaction, KERNEL, KERNEL)
        )
        self.bias = nn.Parameter(torch.zeros(out_channels))
        # Initialised as one Conv2d over all the levels an output level reads.
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, scales, height, width = x.shape
        levels = []
        for k in range(scales):
            reach = min(self.weight.shape[2], scales - k)
            stacked = x[:, :, k : k + reach].reshape(batch, channels * reach, height, width)
            weight = self.weight[:, :, :reach].flatten(1, 2)
            dilation = 2**k
            levels.append(F.conv2d(stacked, weight, self.bias, dilation=dilation, padding=dilation))
        return torch.stack(levels, dim=2)


class ScalePool(nn.Module):
    """The average over the scale axis: (N, C, S, H, W) -> (N, C, H, W)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=2)


def dss_layers(model: nn.Module) -> dict[str, nn.Module]:
    """After each stage (its max-pool, the scale axis folded into the channels), after the
    scale pooling, and the Dense(64) layer's ReLU (``hidden``)."""
    pools = [m for m in model if isinstance(m, nn.MaxPool3d)]
    scale_pool = next(m for m in model if isinstance(m, ScalePool))
    stages = {f"stage{i + 1}": pool for i, pool in enumerate(pools)}
    return {**stages, "scale_pool": scale_pool, "hidden": model[-2]}


@register_model(
    "dss_cnn",
    config=DssConfig,
    description="Deep Scale Space: Gaussian lifting, tied dilated scale convs, scale pooling",
    layers=dss_layers,
    capacity={"model.scales": [2, 3, 4], "model.interaction": [1, 2]},
)
def dss_cnn(input_shape: tuple[int, ...], num_classes: int, config: DssConfig) -> nn.Module:
    channels, height, width = input_shape
    height, width = max(height, CNN_MIN_SIZE), max(width, CNN_MIN_SIZE)
    layers: list[nn.Module] = [
        PixelPreprocess((height, width), channels, (0.0,) * 3, (1.0,) * 3),
        GaussianLift(config.scales, config.base_sigma),
    ]
    for out_channels, pool in zip(CNN_CHANNELS, CNN_POOLS, strict=True):
        layers += [
            ScaleConv(channels, out_channels, config.interaction),
            nn.ReLU(),
            nn.MaxPool3d((1, pool, pool)),
        ]
        channels, height, width = out_channels, height // pool, width // pool
    model = nn.Sequential(
        *layers,
        ScalePool(),
        nn.Flatten(),
        nn.Linear(channels * height * width, CNN_DENSE),
        nn.ReLU(),
        nn.Linear(CNN_DENSE, num_classes),
    )
    load_weights(model, config)
    return model
