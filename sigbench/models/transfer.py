"""What every image baseline shares: its own pixel preprocessing and, for transfer learning,
a backbone under the paper's Dense(n) head with ``train.finetune`` freezing.

Image models eat (N, C, H, W) pixels in [0, 1] and carry resizing, grey-to-RGB and their
backbone's mean/std as a first layer, so a saved run maps pixels to classes on its own (as
an ImageSig model can carry its signature) and ``predict`` needs no separate pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from sigbench.config import FinetuneMode
from sigbench.models.imagesig import DenseHeadConfig, dense_block
from sigbench.models.weights import WeightsConfig

log = logging.getLogger(__name__)


class TransferConfig(WeightsConfig, DenseHeadConfig):
    """A backbone from ``model.weights`` under the paper's Dense(n) head."""


# What a search varies of a backbone under the Dense(n) head: the head (the backbone's
# architecture is fixed; model.weights and train.finetune are the user's choice, --set).
HEAD_CAPACITY: dict[str, Any] = {
    "model.neurons": {"low": 16, "high": 256, "log": True},
    "model.dropout": {"low": 0.0, "high": 0.5},
}


class PixelPreprocess(nn.Module):
    """[0, 1] pixels to what a network was built for: its size, channel count and mean/std."""

    def __init__(
        self,
        size: tuple[int, int],
        channels: int,
        mean: Sequence[float],
        std: Sequence[float],
    ) -> None:
        super().__init__()
        self.size, self.channels = size, channels
        # Not persistent: they follow from the config, and keep the state dict to weights.
        self.register_buffer("mean", torch.tensor(mean[:channels]).view(1, -1, 1, 1), False)
        self.register_buffer("std", torch.tensor(std[:channels]).view(1, -1, 1, 1), False)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        if pixels.shape[1] != self.channels:  # grayscale into an RGB network
            pixels = pixels.expand(-1, self.channels, -1, -1)
        if tuple(pixels.shape[-2:]) != self.size:
            pixels = F.interpolate(
                pixels, size=self.size, mode="bilinear", antialias=True, align_corners=False
            )
        return (pixels - self.mean) / self.std


class TransferNet(nn.Module):
    """Preprocess, a feature backbone, then Dense(n, ReLU), Dropout, Dense(K).

    ``last_stage`` names the backbone's submodules that ``finetune: last_stage`` unfreezes
    (ResNet's layer4). A backbone that starts from random weights always trains whole:
    freezing random features is never what a baseline means.
    """

    def __init__(
        self,
        preprocess: PixelPreprocess,
        backbone: nn.Module,
        features: int,
        num_classes: int,
        config: DenseHeadConfig,
        *,
        last_stage: Sequence[str],
        pretrained: bool,
    ) -> None:
        super().__init__()
        self.preprocess = preprocess
        self.backbone = backbone
        self.head = dense_block(features, config.neurons, config.dropout, num_classes)
        self.last_stage = tuple(last_stage)
        self.pretrained = pretrained
        self.finetune: FinetuneMode = "full"

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(self.preprocess(pixels)))

    def _stage_modules(self) -> list[nn.Module]:
        return [self.backbone.get_submodule(name) for name in self.last_stage]

    def set_finetune(self, mode: FinetuneMode) -> FinetuneMode:
        """Freeze what ``mode`` leaves untrained; returns the mode in effect."""
        self.finetune = mode if self.pretrained else "full"
        self.backbone.requires_grad_(self.finetune == "full")
        if self.finetune == "last_stage":
            for module in self._stage_modules():
                module.requires_grad_(True)
        self.train(self.training)
        return self.finetune

    def train(self, mode: bool = True) -> TransferNet:
        """Frozen layers always run as at inference: BatchNorm keeps its ImageNet statistics."""
        super().train(mode)
        if self.finetune != "full":
            self.backbone.eval()
            if self.finetune == "last_stage":
                for module in self._stage_modules():
                    module.train(mode)
        return self


def head_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The Dense(n) layer's ReLU (``hidden``): the features the output layer reads."""
    return {"hidden": model.head[1]}


def backbone_layers(model: nn.Module) -> dict[str, nn.Module]:
    """After each of the backbone's stages (timm's ``feature_info``), then ``hidden``."""
    stages = {
        info["module"].replace(".", "_"): model.backbone.get_submodule(info["module"])
        for info in model.backbone.feature_info
    }
    return {**stages, **head_layers(model)}


def apply_finetune(model: nn.Module, mode: FinetuneMode) -> FinetuneMode | None:
    """Freeze a transfer model's layers as ``train.finetune`` says; None for other models."""
    if not isinstance(model, TransferNet):
        return None
    effective = model.set_finetune(mode)
    if effective != mode:
        log.info("train.finetune = %s: model.weights is none, so the whole network trains", mode)
    return effective
