"""A small Vision Transformer trained from scratch (the paper's ViT baseline), through timm.

Width :data:`WIDTH` (the Keras ViT example's projection size), ``model.transformer_layers``
blocks of ``model.attention_heads`` heads, MLP ratio 2, dropout 0.1, average pooling, then
the paper's Dense(n) head. Patches are sized for about eight a side (4 px at 32x32); an image
whose side is not a multiple of the patch is resized up to the next one. timm loads only
when one is built.
"""

from __future__ import annotations

import math

from pydantic import Field
from torch import nn

from sigbench.errors import SigbenchError
from sigbench.models.registry import register_model
from sigbench.models.transfer import (
    HEAD_CAPACITY,
    PixelPreprocess,
    TransferConfig,
    TransferNet,
    head_layers,
)
from sigbench.models.weights import load_weights

WIDTH = 64
PATCHES_PER_SIDE = 8
MLP_RATIO = 2.0
DROPOUT = 0.1
MEAN, STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)  # timm's ViT defaults


class VitConfig(TransferConfig):
    """``vit``: how deep the transformer is and how many heads each block has."""

    transformer_layers: int = Field(2, ge=1, description="transformer blocks")
    attention_heads: int = Field(8, ge=1, description=f"must divide the width {WIDTH}")


def patch_size(side: int) -> int:
    """A power of two between 2 and 16 giving about :data:`PATCHES_PER_SIDE` patches a side."""
    return min(16, max(2, 2 ** round(math.log2(side / PATCHES_PER_SIDE))))


@register_model(
    "vit",
    config=VitConfig,
    description=f"small ViT from scratch (width {WIDTH}), Dense(n) head",
    layers=head_layers,
    capacity={
        "model.transformer_layers": [1, 2, 4],
        "model.attention_heads": [2, 4, 8],
        **HEAD_CAPACITY,
    },
)
def vit(input_shape: tuple[int, ...], num_classes: int, config: VitConfig) -> nn.Module:
    from timm.models.vision_transformer import VisionTransformer

    channels, height, width = input_shape
    if WIDTH % config.attention_heads:
        raise SigbenchError(
            f"model.attention_heads = {config.attention_heads}: the ViT's width {WIDTH} must "
            "split evenly across heads; use 1, 2, 4, 8 or 16"
        )
    patch = patch_size(max(height, width))
    size = (math.ceil(height / patch) * patch, math.ceil(width / patch) * patch)
    backbone = VisionTransformer(
        img_size=size,
        patch_size=patch,
        in_chans=channels,
        num_classes=0,
        global_pool="avg",
        class_token=False,
        embed_dim=WIDTH,
        depth=config.transformer_layers,
        num_heads=config.attention_heads,
        mlp_ratio=MLP_RATIO,
        proj_drop_rate=DROPOUT,
        attn_drop_rate=DROPOUT,
    )
    pretrained = load_weights(backbone, config)
    return TransferNet(
        PixelPreprocess(size, channels, MEAN, STD),
        backbone,
        WIDTH,
        num_classes,
        config,
        last_stage=(f"blocks.{config.transformer_layers - 1}", "fc_norm"),
        pretrained=pretrained,
    )
