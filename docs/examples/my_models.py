"""A sigbench plugin: one model kind, ``pixel_mlp``, registered without forking sigbench.

Use it as a file:        sigbench --plugin docs/examples/my_models.py train CONFIG --set model.kind=pixel_mlp
or from a package whose pyproject.toml declares
    [project.entry-points."sigbench.models"]
    pixel_mlp = "my_models"
"""

import math

from pydantic import Field
from torch import nn

from sigbench.config import ModelConfig
from sigbench.models import register_model


class PixelMlpConfig(ModelConfig):
    """The keys ``model:`` may set for this kind; pydantic checks them like a built-in's."""

    input = "image"  # the model eats (N, C, H, W) pixels in [0, 1]; "signature" for features
    hidden: int = Field(32, ge=1, description="width of the hidden layer")
    dropout: float = Field(0.1, ge=0.0, lt=1.0)


def probe_layers(model: nn.Module) -> dict[str, nn.Module]:
    """Named depths for `sigbench eval --equivariance` (optional)."""
    return {"hidden": model[2]}


@register_model(
    "pixel_mlp",
    config=PixelMlpConfig,
    description="plugin example: flatten, Dense(hidden, ReLU), Dense(K)",
    layers=probe_layers,
)
def pixel_mlp(input_shape: tuple[int, ...], num_classes: int, config: PixelMlpConfig) -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(math.prod(input_shape), config.hidden),
        nn.ReLU(),
        nn.Dropout(config.dropout),
        nn.Linear(config.hidden, num_classes),
    )
