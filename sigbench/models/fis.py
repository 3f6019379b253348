"""``fis_cnn`` and its control ``tiny_cnn``: fast iterated sums (FIS) in a tiny CNN.

Diehl, Ibraheem, Schmitz and Wu ("Tensor-to-tensor models with fast iterated sum
features", Neurocomputing 675, 2026) compute, at every pixel, two-parameter iterated sums
of a feature map over *corner trees*. This module implements their two-node trees from the
paper's definitions: tree t has a root vector a_t and a child vector b_t over the channels
and a quadrant direction d_t (NW, NE, SW, SE), and its output channel is

    real:     out_t[i, j] = (a_t . x[i, j]) * sum_{(k, l) in Q} w^(|i-k|+|j-l|) (b_t . x[k, l])
    max-plus: out_t[i, j] = (a_t . x[i, j]) + max_{(k, l) in Q} w^(|i-k|+|j-l|) (b_t . x[k, l])

where Q = d_t(i, j) is the quadrant of pixels from (i, j) towards d_t, (i, j) included; w
is 1, or with ``discount`` a learned per-tree weight in (0, 1) (initially 0.99) that makes
the sum local. A quadrant sum is a cumulative sum (maximum) along the rows, then along the
columns: linear in the number of pixels.

``tiny_cnn`` is Conv-BN-ReLU x2, max-pool, Conv-BN-ReLU, max-pool, Conv-BN-ReLU, global
average pooling, linear: the paper's tiny Fashion-MNIST kind. ``fis_cnn`` is the same
network with a FIS block (FIS, BN, ReLU, added to its input) after the first pool, which
adds 2 C^2 + 2 C weights (3% of ``tiny_cnn``), so the FIS effect is measured at nearly equal
size.

ONNX: the cumulative sum exports as ``CumSum``; a cumulative maximum has no ONNX operator,
so under export (and whenever the sum is discounted) the scan runs as log2(n) doubling
steps of shifted slices (the same values; a test checks both ways agree).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from pydantic import Field
from torch import nn

from sigbench.models.registry import register_model
from sigbench.models.weights import WeightsConfig, load_weights

# (rows reversed, columns reversed): a quadrant sum is a NW sum of the flipped map.
DIRECTIONS: dict[str, tuple[bool, bool]] = {
    "NW": (False, False),
    "NE": (False, True),
    "SW": (True, False),
    "SE": (True, True),
}
Semiring = Literal["real", "maxplus"]
INITIAL_DISCOUNT = 0.99
STEM_CHANNELS, MID_CHANNELS = 16, 32


def discounted_scan(
    values: torch.Tensor, dim: int, semiring: Semiring, discount: torch.Tensor | None
) -> torch.Tensor:
    """y_t = x_t (+ or max) w * y_(t-1) along ``dim``: a running sum or maximum.

    ``discount`` (broadcastable to ``values``) is w; None means w = 1, the plain cumulative
    sum or maximum. Undiscounted sums use ``cumsum``; undiscounted maxima ``cummax``
    except under ONNX export. Everything else takes log2(n) doubling steps: after the step
    with shift s, y_t combines x_t .. x_(t - 2s + 1), each weighted by w^distance.
    """
    exporting = torch.onnx.is_in_onnx_export()
    if discount is None and semiring == "real":
        return values.cumsum(dim)
    if discount is None and not exporting:
        return values.cummax(dim).values
    length = values.shape[dim]
    shift, result = 1, values
    while shift < length:
        earlier = result.narrow(dim, 0, length - shift)
        if discount is not None:
            earlier = earlier * discount**shift
        later = result.narrow(dim, shift, length - shift)
        combined = later + earlier if semiring == "real" else torch.maximum(later, earlier)
        result = torch.cat([result.narrow(dim, 0, shift), combined], dim=dim)
        shift *= 2
    return result


def quadrant_sums(
    values: torch.Tensor,
    direction: str,
    semiring: Semiring,
    discount: torch.Tensor | None = None,
) -> torch.Tensor:
    """(N, T, H, W) -> the (discounted) sum or maximum over each pixel's ``direction``
    quadrant, the pixel included: a scan along the rows, then along the columns."""
    flip_rows, flip_columns = DIRECTIONS[direction]
    flips = [dim for dim, flip in ((2, flip_rows), (3, flip_columns)) if flip]
    if flips:
        values = values.flip(flips)
    summed = discounted_scan(discounted_scan(values, 2, semiring, discount), 3, semiring, discount)
    return summed.flip(flips) if flips else summed


class FisLayer(nn.Module):
    """Two-node corner trees over the four quadrant directions: (N, C, H, W) -> (N, T, H, W).

    Tree t looks towards ``DIRECTIONS`` in turn, in contiguous groups (trees 0..T/4 - 1 NW,
    and so on); roots and children are 1x1 convolutions without bias (one vector per node).
    """

    def __init__(
        self, channels: int, trees: int, semiring: Semiring = "real", discount: bool = False
    ) -> None:
        super().__init__()
        self.semiring = semiring
        self.root = nn.Conv2d(channels, trees, 1, bias=False)
        self.child = nn.Conv2d(channels, trees, 1, bias=False)
        self.groups = [len(g) for g in torch.arange(trees).tensor_split(len(DIRECTIONS))]
        # The discount as a logit, so it stays in (0, 1) whatever the optimiser does.
        logit = math.log(INITIAL_DISCOUNT / (1 - INITIAL_DISCOUNT))
        self.discount_logit = nn.Parameter(torch.full((trees,), logit)) if discount else None

    def discounts(self) -> torch.Tensor | None:
        """Each tree's discount w in (0, 1), or None when the sums are not discounted."""
        return None if self.discount_logit is None else torch.sigmoid(self.discount_logit)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        roots, children = self.root(x), self.child(x)
        weights = self.discounts()
        parts, start = [], 0
        for direction, size in zip(DIRECTIONS, self.groups, strict=True):
            if size == 0:
                continue
            group = children[:, start : start + size]
            discount = None if weights is None else weights[start : start + size].view(-1, 1, 1)
            parts.append(quadrant_sums(group, direction, self.semiring, discount))
            start += size
        summed = torch.cat(parts, dim=1)
        return roots * summed if self.semiring == "real" else roots + summed

    def extra_repr(self) -> str:
        discounted = self.discount_logit is not None
        return f"semiring={self.semiring!r}, discount={discounted}, trees={sum(self.groups)}"


class FisBlock(nn.Module):
    """x + ReLU(BN(FIS(x))): a FIS layer beside the network's path, as many trees as channels."""

    def __init__(self, channels: int, semiring: Semiring, discount: bool) -> None:
        super().__init__()
        self.fis = FisLayer(channels, channels, semiring, discount)
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.norm(self.fis(x)))


def conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    )


class TinyNet(nn.Module):
    """Conv-BN-ReLU x2, pool, [FIS block], Conv-BN-ReLU, pool, Conv-BN-ReLU, GAP, linear."""

    def __init__(self, channels: int, num_classes: int, fis: FisBlock | None = None) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(
            conv_bn_relu(channels, STEM_CHANNELS),
            conv_bn_relu(STEM_CHANNELS, STEM_CHANNELS),
            nn.MaxPool2d(2),
        )
        self.fis = fis if fis is not None else nn.Identity()
        self.stage2 = nn.Sequential(conv_bn_relu(STEM_CHANNELS, MID_CHANNELS), nn.MaxPool2d(2))
        self.stage3 = conv_bn_relu(MID_CHANNELS, MID_CHANNELS)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(MID_CHANNELS, num_classes)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.stage3(self.stage2(self.fis(self.stage1(pixels))))
        return self.classifier(self.pool(x))


def tiny_layers(model: nn.Module) -> dict[str, nn.Module]:
    """After each stage (``fis``: after the FIS block, the first stage's output in
    ``tiny_cnn``), and the pooled features before the classifier (``hidden``)."""
    return {
        "stage1": model.stage1,
        "fis": model.fis,
        "stage2": model.stage2,
        "stage3": model.stage3,
        "hidden": model.pool,
    }


class FisConfig(WeightsConfig):
    """``fis_cnn``: the FIS layer's semiring and whether its sums are discounted."""

    semiring: Semiring = Field("real", description="real (sums) or maxplus (maxima)")
    discount: bool = Field(False, description="learn a per-tree discount (local sums)")


@register_model(
    "tiny_cnn",
    config=WeightsConfig,
    description="tiny CNN: Conv-BN-ReLU 16-16-32-32, pools, GAP (fis_cnn's control)",
    layers=tiny_layers,
)
def tiny_cnn(input_shape: tuple[int, ...], num_classes: int, config: WeightsConfig) -> nn.Module:
    model = TinyNet(input_shape[0], num_classes)
    load_weights(model, config)
    return model


@register_model(
    "fis_cnn",
    config=FisConfig,
    description="tiny_cnn with a fast-iterated-sums block after its first pool",
    layers=tiny_layers,
    capacity={"model.semiring": ["real", "maxplus"], "model.discount": [False, True]},
)
def fis_cnn(input_shape: tuple[int, ...], num_classes: int, config: FisConfig) -> nn.Module:
    block = FisBlock(STEM_CHANNELS, config.semiring, config.discount)
    model = TinyNet(input_shape[0], num_classes, block)
    load_weights(model, config)
    return model
