"""ImageSig heads: what the paper puts on top of the stacked image signature.

Every head eats (N, streams, length) signature features and returns logits. Each carries a
:class:`FeatureStandardizer` first (buffers, not parameters, so parameter counts match the
paper's formula) that is fitted on the training features before training.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from sigbench.config import ModelConfig
from sigbench.errors import SigbenchError
from sigbench.models.registry import register_model

# Below this training std (pixels scaled to [0, 1]) a feature counts as constant.
MIN_STD = 1e-3


class DenseHeadConfig(ModelConfig):
    """The paper's Dense(n) classifier, on every ImageSig head and transfer baseline."""

    neurons: int = Field(50, ge=1, le=100_000, description="width of the dense layer")
    dropout: float = Field(0.4, ge=0.0, lt=1.0, description="dropout before the output layer")


class FcConfig(DenseHeadConfig):
    """``imagesig_fc``: the signature matrix flattened into the dense head."""

    input = "signature"
    standardize: bool = Field(
        True, description="scale each feature by the training split's mean and std"
    )


class ConvHeadConfig(ModelConfig):
    """ImageSig's Conv1D + MaxPool1D blocks along the streams (``imagesig_conv``'s, and
    ``imagesig_lift``'s with ``head: conv``)."""

    conv_channels: list[int] = Field(
        default_factory=lambda: [32, 64], description="channels of each Conv1D layer"
    )
    kernel_size: int = Field(3, ge=1, description="Conv1D kernel size")
    pool_size: int = Field(3, ge=1, description="MaxPool1D size after each conv")


class ConvConfig(FcConfig, ConvHeadConfig):
    """``imagesig_conv``: Conv1D + MaxPool1D blocks along the streams first."""


class AttentionConfig(ConvConfig):
    """``imagesig_attention``: the conv block, then transformer layers and sequence pooling."""

    transformer_layers: int = Field(2, ge=0, description="the paper used 50")
    attention_heads: int = Field(8, ge=1, description="heads of each self-attention layer")
    key_dim: int = Field(64, ge=1, description="key size of each attention head")
    mlp_units: list[int] = Field(
        default_factory=lambda: [64, 64], description="widths of each transformer MLP"
    )


class FeatureStandardizer(nn.Module):
    """(x - mean) / std per feature; the identity until :meth:`set_statistics` is called."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("std", torch.ones(shape))

    @torch.no_grad()
    def set_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Use the training split's statistics.

        Features that barely vary in training (the time channel's own terms, blank border
        rows) are centred but not scaled: dividing by their tiny std would multiply any
        test-time change, float rounding in an export or int8's quantization step by up to
        a million.
        """
        self.mean.copy_(mean)
        self.std.copy_(torch.where(std < MIN_STD, torch.ones_like(std), std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class ImageSigClassifier(nn.Module):
    """Standardise the signature features, then apply a head."""

    def __init__(self, input_shape: tuple[int, ...], head: nn.Module, standardize: bool) -> None:
        super().__init__()
        self.input_shape = input_shape
        self.standardizer = FeatureStandardizer(input_shape) if standardize else nn.Identity()
        self.head = head

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(self.standardizer(features))


def dense_block(in_features: int, neurons: int, dropout: float, num_classes: int) -> nn.Sequential:
    """Dense(n, ReLU), Dropout, Dense(K): the paper's classifier on top of every head."""
    return nn.Sequential(
        nn.Linear(in_features, neurons),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(neurons, num_classes),
    )


class ConvBlock(nn.Module):
    """Conv1D(c, k, ReLU) + MaxPool1D(p) per entry of ``channels``, along the stream axis."""

    def __init__(self, input_shape: tuple[int, int], config: ConvHeadConfig) -> None:
        super().__init__()
        streams, length = input_shape
        layers: list[nn.Module] = []
        in_channels, steps = length, streams
        for channels in config.conv_channels:
            layers += [
                nn.Conv1d(in_channels, channels, config.kernel_size),
                nn.ReLU(),
                nn.MaxPool1d(config.pool_size),
            ]
            steps = (steps - config.kernel_size + 1) // config.pool_size
            in_channels = channels
        if steps < 1:
            raise SigbenchError(
                f"model.kind = {config.kind!r}: {streams} streams are too few for "
                f"{len(config.conv_channels)} conv+pool blocks; raise data.image_size, "
                "set signature.two_direction: true, or lower model.kernel_size / pool_size"
            )
        self.layers = nn.Sequential(*layers)
        self.out_steps, self.out_channels = steps, in_channels

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(N, streams, length) -> (N, steps, channels)."""
        return self.layers(features.transpose(1, 2)).transpose(1, 2)


class MultiHeadSelfAttention(nn.Module):
    """Keras-style multi-head attention: each head has its own ``key_dim`` wide projections."""

    def __init__(self, width: int, heads: int, key_dim: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.key_dim, self.dropout = heads, key_dim, dropout
        self.qkv = nn.Linear(width, 3 * heads * key_dim)
        self.out = nn.Linear(heads * key_dim, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = x.shape
        qkv = self.qkv(x).view(batch, steps, 3, self.heads, self.key_dim).permute(2, 0, 3, 1, 4)
        query, key, value = qkv[0], qkv[1], qkv[2]
        scores = query @ key.transpose(-1, -2) / math.sqrt(self.key_dim)
        weights = F.dropout(scores.softmax(dim=-1), self.dropout, self.training)
        attended = (weights @ value).transpose(1, 2).reshape(batch, steps, -1)
        return self.out(attended)


class TransformerLayer(nn.Module):
    """Pre-norm transformer unit: LN, attention, residual, LN, GELU MLP, residual."""

    def __init__(self, width: int, config: AttentionConfig) -> None:
        super().__init__()
        if config.mlp_units[-1] != width:
            raise SigbenchError(
                f"model.mlp_units = {config.mlp_units}: the last unit count must equal the "
                f"conv block's width {width} for the residual connection"
            )
        self.norm1 = nn.LayerNorm(width)
        self.attention = MultiHeadSelfAttention(width, config.attention_heads, config.key_dim, 0.1)
        self.norm2 = nn.LayerNorm(width)
        mlp: list[nn.Module] = []
        in_units = width
        for units in config.mlp_units:
            mlp += [nn.Linear(in_units, units), nn.GELU(), nn.Dropout(0.1)]
            in_units = units
        self.mlp = nn.Sequential(*mlp)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class SequencePooling(nn.Module):
    """Attention-weighted average over the sequence (the Compact Convolutional Transformer)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.score = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.score(x).softmax(dim=1)
        return (weights * x).sum(dim=1)


def imagesig_layers(model: nn.Module) -> dict[str, nn.Module]:
    """The Dense(n) layer's ReLU (``hidden``); the signature features themselves are the
    model's input, not a layer (``eval --equivariance`` reads them from the inputs)."""
    return {"hidden": model.head[-1][1]}


# What a search varies of an ImageSig model: its signature and its head's width.
SIGNATURE_CAPACITY: dict[str, Any] = {
    "signature.depth": [2, 3, 4, 5],
    "signature.path": ["none", "time", "lead_lag"],
    "signature.two_direction": [True, False],
    "model.neurons": {"low": 16, "high": 256, "log": True},
}


@register_model(
    "imagesig_fc",
    config=FcConfig,
    description="flatten, Dense(n), Dense(K)",
    layers=imagesig_layers,
    capacity=SIGNATURE_CAPACITY,
)
def imagesig_fc(input_shape: tuple[int, ...], num_classes: int, config: FcConfig) -> nn.Module:
    head = nn.Sequential(
        nn.Flatten(),
        dense_block(math.prod(input_shape), config.neurons, config.dropout, num_classes),
    )
    return ImageSigClassifier(input_shape, head, config.standardize)


@register_model(
    "imagesig_conv",
    config=ConvConfig,
    description="two Conv1D blocks, Dense(n)",
    layers=imagesig_layers,
    capacity=SIGNATURE_CAPACITY,
)
def imagesig_conv(input_shape: tuple[int, ...], num_classes: int, config: ConvConfig) -> nn.Module:
    conv = ConvBlock((input_shape[0], input_shape[1]), config)
    head = nn.Sequential(
        conv,
        nn.Flatten(),
        dense_block(
            conv.out_steps * conv.out_channels, config.neurons, config.dropout, num_classes
        ),
    )
    return ImageSigClassifier(input_shape, head, config.standardize)


@register_model(
    "imagesig_attention",
    config=AttentionConfig,
    description="conv block, transformer layers, pooling",
    layers=imagesig_layers,
    capacity={**SIGNATURE_CAPACITY, "model.transformer_layers": [1, 2, 4]},
)
def imagesig_attention(
    input_shape: tuple[int, ...], num_classes: int, config: AttentionConfig
) -> nn.Module:
    conv = ConvBlock((input_shape[0], input_shape[1]), config)
    width = conv.out_channels
    head = nn.Sequential(
        conv,
        *[TransformerLayer(width, config) for _ in range(config.transformer_layers)],
        nn.LayerNorm(width),
        nn.Dropout(config.dropout),
        SequencePooling(width),
        dense_block(width, config.neurons, config.dropout, num_classes),
    )
    return ImageSigClassifier(input_shape, head, config.standardize)
