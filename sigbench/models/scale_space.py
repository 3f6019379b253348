"""The Deep Scale Space family (Worrall & Welling 2019) and the scale-equivariance notes'
two variants of it, each the lecture CNN's stages done as scale convolutions.

``dss_cnn``:

- Lifting: the image becomes a stack of ``scales`` levels, level k blurred by a Gaussian of
  sigma ``base_sigma * sqrt(base^(2k) - 1)`` (level 0 untouched): the blur that takes an
  image whose pixels carry ``base_sigma`` to one sampled ``base`` times more coarsely per
  level, so that a dilation of base^k sees a band-limited image.
- Scale convolution: output level k sums 3x3 convolutions of input levels k .. k +
  ``interaction`` - 1, the j-th with its own weights, dilated by base^k. The weights are
  tied across k, which is what makes the layer equivariant to the (discrete) dilations.
- Scale pooling: the average over the levels, before the Dense(64) head.

Each stage is a scale convolution, ReLU and spatial max-pool; ``channels`` are the three
stages' widths (the lecture CNN's 16-32-64 by default).

``deformable_dss`` (the notes' "deformable DSS"): the same network whose last
``deformable_stages`` scale convolutions have a parallel offset branch, as
``deformable_cnn``'s convolutions do. The branch is a scale convolution too (tied across
levels, dilated by base^k) predicting an (x, y) shift per tap; level k's shifts are scaled
by base^k, so a deformation learned at one level means the same at the others. It starts at
zero: an untrained ``deformable_dss`` computes what ``dss_cnn`` computes.

``dss_v2`` (the notes' "DSS v2"): the lifting is bilinear interpolation instead of a
Gaussian blur (level k is the image resized by 1 / base^k), so levels have their own sizes
and the scale convolutions are plain 3x3 convolutions, tied across levels (a coarser level
reads a level it mixes in resized to its own size). Before the head every level is
max-pooled to the size of the smallest, then the levels are averaged.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

from sigbench.models.deformable import KERNEL, DeformableConfig
from sigbench.models.registry import register_model
from sigbench.models.simple import CNN_CHANNELS, CNN_DENSE, CNN_MIN_SIZE, CNN_POOLS
from sigbench.models.transfer import PixelPreprocess
from sigbench.models.weights import WeightsConfig, load_weights


class ScaleSpaceConfig(WeightsConfig):
    """``dss_v2``'s keys, which the DSS family shares: the scale space's size and base, how
    far each scale convolution reaches, and the stages' widths."""

    id_when_set = ("base", "channels")  # added later: dss_cnn runs before them keep their ids
    scales: int = Field(3, ge=1, le=4, description="levels of the scale space (dilation base^k)")
    interaction: int = Field(2, ge=1, le=4, description="input levels each output level reads")
    base: int = Field(2, ge=2, le=4, description="scale factor from one level to the next")
    channels: list[int] = Field(
        default_factory=lambda: list(CNN_CHANNELS),
        min_length=len(CNN_POOLS),
        max_length=len(CNN_POOLS),
        description=f"the {len(CNN_POOLS)} stages' output channels",
    )

    @field_validator("channels")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(width < 1 for width in value):
            raise ValueError("every stage needs at least 1 channel")
        return value


class DssConfig(ScaleSpaceConfig):
    """``dss_cnn``: the family's keys and the blur of the Gaussian lifting."""

    base_sigma: float = Field(0.5, gt=0, le=2, description="blur the input pixels carry")


class DeformableDssConfig(DssConfig, DeformableConfig):
    """``deformable_dss``: ``dss_cnn``'s keys and how many of the last stages deform."""


def gaussian_kernel(sigma: float) -> torch.Tensor:
    """A normalised 1-D Gaussian of radius ceil(3 sigma)."""
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    return kernel / kernel.sum()


class GaussianLift(nn.Module):
    """(N, C, H, W) -> (N, C, S, H, W): the image at ``scales`` blur levels (zero borders)."""

    def __init__(self, scales: int, base_sigma: float, base: int = 2) -> None:
        super().__init__()
        self.sigmas = [base_sigma * math.sqrt(base ** (2 * k) - 1) for k in range(scales)]
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
    """(N, Cin, S, H, W) -> (N, Cout, S, H, W); weights tied across levels, dilation base^k.

    The weight is (Cout, Cin, interaction, 3, 3): level k reads levels k .. k + interaction
    - 1 as one convolution over their channels stacked (fewer than ``interaction`` at the
    coarsest levels, which read what there is).
    """

    def __init__(self, in_channels: int, out_channels: int, interaction: int, base: int = 2):
        super().__init__()
        self.base = base
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
            levels.append(self.level(stacked, reach, self.base**k))
        return torch.stack(levels, dim=2)

    def level(self, stacked: torch.Tensor, reach: int, dilation: int) -> torch.Tensor:
        """One output level from its ``reach`` input levels stacked along the channels."""
        weight = self.weight[:, :, :reach].flatten(1, 2)
        return F.conv2d(stacked, weight, self.bias, dilation=dilation, padding=dilation)


class DeformableScaleConv(ScaleConv):
    """A scale convolution with a parallel offset branch, itself a tied scale convolution
    (zero at the start); level k's offsets are in units of its dilation base^k."""

    def __init__(self, in_channels: int, out_channels: int, interaction: int, base: int = 2):
        super().__init__(in_channels, out_channels, interaction, base)
        taps = 2 * KERNEL * KERNEL
        self.offset_weight = nn.Parameter(
            torch.zeros(taps, in_channels, interaction, KERNEL, KERNEL)
        )
        self.offset_bias = nn.Parameter(torch.zeros(taps))

    def level(self, stacked: torch.Tensor, reach: int, dilation: int) -> torch.Tensor:
        from torchvision.ops import deform_conv2d  # its import takes seconds

        offset_weight = self.offset_weight[:, :, :reach].flatten(1, 2)
        offsets = F.conv2d(
            stacked, offset_weight, self.offset_bias, dilation=dilation, padding=dilation
        )
        return deform_conv2d(
            stacked.contiguous(),
            offsets * dilation,
            self.weight[:, :, :reach].flatten(1, 2),
            self.bias,
            padding=dilation,
            dilation=dilation,
        )


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
    return scale_space_cnn(input_shape, num_classes, config, deformable_stages=0)


@register_model(
    "deformable_dss",
    config=DeformableDssConfig,
    description="dss_cnn whose last scale convs have an offset branch (deformable DSS)",
    layers=dss_layers,
    capacity={
        "model.scales": [2, 3, 4],
        "model.interaction": [1, 2],
        "model.deformable_stages": [1, 2, 3],
    },
)
def deformable_dss(
    input_shape: tuple[int, ...], num_classes: int, config: DeformableDssConfig
) -> nn.Module:
    return scale_space_cnn(input_shape, num_classes, config, config.deformable_stages)


def scale_space_cnn(
    input_shape: tuple[int, ...], num_classes: int, config: DssConfig, deformable_stages: int
) -> nn.Module:
    """Gaussian lifting, three scale-conv stages (the last ``deformable_stages`` with offset
    branches), scale pooling, Dense(64), Dense(K)."""
    channels, height, width = input_shape
    height, width = max(height, CNN_MIN_SIZE), max(width, CNN_MIN_SIZE)
    layers: list[nn.Module] = [
        PixelPreprocess((height, width), channels, (0.0,) * 3, (1.0,) * 3),
        GaussianLift(config.scales, config.base_sigma, config.base),
    ]
    first_deformable = len(CNN_POOLS) - deformable_stages
    for stage, (out_channels, pool) in enumerate(zip(config.channels, CNN_POOLS, strict=True)):
        conv = DeformableScaleConv if stage >= first_deformable else ScaleConv
        layers += [
            conv(channels, out_channels, config.interaction, config.base),
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


def bilinear_levels(x: torch.Tensor, scales: int, base: int) -> list[torch.Tensor]:
    """``dss_v2``'s lifting: level k is ``x`` resized by 1 / base^k (bilinear)."""
    height, width = x.shape[-2:]
    return [x] + [
        F.interpolate(
            x, size=(math.ceil(height / base**k), math.ceil(width / base**k)), mode="bilinear"
        )
        for k in range(1, scales)
    ]


class BilinearLift(nn.Module):
    """(N, C, H, W) -> [(N, C, ceil(H / base^k), ceil(W / base^k)) for each level k]."""

    def __init__(self, scales: int, base: int) -> None:
        super().__init__()
        self.scales, self.base = scales, base

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return bilinear_levels(x, self.scales, self.base)


class LevelStage(nn.Module):
    """One ``dss_v2`` stage over a list of levels: a tied 3x3 scale convolution (level k
    reads levels k .. k + interaction - 1, each resized to level k's size), ReLU, max-pool.

    ``finest`` sees level 0's output, so that ``eval --equivariance`` can probe the stage.
    """

    def __init__(self, in_channels: int, out_channels: int, interaction: int, pool: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels * interaction, out_channels, KERNEL, padding=1)
        self.interaction, self.in_channels = interaction, in_channels
        self.pool = nn.MaxPool2d(pool, ceil_mode=True)  # a level of 1 pixel stays 1 pixel
        self.finest = nn.Identity()

    def forward(self, levels: list[torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for k, level in enumerate(levels):
            read = [level] + [
                F.interpolate(coarser, size=level.shape[-2:], mode="bilinear")
                for coarser in levels[k + 1 : k + self.interaction]
            ]
            weight = self.conv.weight[:, : self.in_channels * len(read)]
            mixed = F.conv2d(torch.cat(read, dim=1), weight, self.conv.bias, padding=1)
            out.append(self.pool(torch.relu(mixed)))
        self.finest(out[0])
        return out


class MatchedScalePool(nn.Module):
    """Every level max-pooled to the smallest level's size, then averaged over the levels:
    [(N, C, h_k, w_k)] -> (N, C, h, w)."""

    def forward(self, levels: list[torch.Tensor]) -> torch.Tensor:
        smallest = levels[-1].shape[-2:]
        return torch.stack([F.adaptive_max_pool2d(x, smallest) for x in levels]).mean(dim=0)


def dss_v2_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Each stage's finest level (after its max-pool), the matched and averaged levels
    (``scale_pool``) and the Dense(64) layer's ReLU (``hidden``)."""
    stages = [m for m in model if isinstance(m, LevelStage)]
    scale_pool = next(m for m in model if isinstance(m, MatchedScalePool))
    named = {f"stage{i + 1}": stage.finest for i, stage in enumerate(stages)}
    return {**named, "scale_pool": scale_pool, "hidden": model[-2]}


@register_model(
    "dss_v2",
    config=ScaleSpaceConfig,
    description="DSS v2: bilinear lifting, tied scale convs, levels max-pooled to match",
    layers=dss_v2_layers,
    capacity={"model.scales": [2, 3, 4], "model.interaction": [1, 2], "model.base": [2, 3]},
)
def dss_v2(input_shape: tuple[int, ...], num_classes: int, config: ScaleSpaceConfig) -> nn.Module:
    channels, height, width = input_shape
    height, width = max(height, CNN_MIN_SIZE), max(width, CNN_MIN_SIZE)
    layers: list[nn.Module] = [
        PixelPreprocess((height, width), channels, (0.0,) * 3, (1.0,) * 3),
        BilinearLift(config.scales, config.base),
    ]
    smallest = [math.ceil(side / config.base ** (config.scales - 1)) for side in (height, width)]
    for out_channels, pool in zip(config.channels, CNN_POOLS, strict=True):
        layers.append(LevelStage(channels, out_channels, config.interaction, pool))
        channels, smallest = out_channels, [math.ceil(side / pool) for side in smallest]
    model = nn.Sequential(
        *layers,
        MatchedScalePool(),
        nn.Flatten(),
        nn.Linear(channels * math.prod(smallest), CNN_DENSE),
        nn.ReLU(),
        nn.Linear(CNN_DENSE, num_classes),
    )
    load_weights(model, config)
    return model
