"""One registry and one entry point for every model, timm-style.

A model family is one module that decorates its builders with :func:`register_model`;
everything else builds models through :func:`create_model`. Each entry says what it eats:
``"signature"`` models take (N, streams, length) features, ``"image"`` models take
normalised (N, C, H, W) pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from torch import nn

from sigbench.config import ModelConfig
from sigbench.errors import SigbenchError

ModelInput = Literal["signature", "image"]
Builder = Callable[[tuple[int, ...], int, ModelConfig], nn.Module]


@dataclass(frozen=True)
class ModelEntry:
    kind: str
    builder: Builder
    input: ModelInput
    description: str


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    kind: str, *, input: ModelInput, description: str
) -> Callable[[Builder], Builder]:
    """Add a builder ``(input_shape, num_classes, config) -> nn.Module`` under ``kind``."""

    def decorate(builder: Builder) -> Builder:
        if kind in _REGISTRY:
            raise ValueError(f"model kind {kind!r} is registered twice")
        _REGISTRY[kind] = ModelEntry(kind, builder, input, description)
        return builder

    return decorate


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def model_entry(kind: str) -> ModelEntry:
    """The registry entry for ``kind``, or a one-line error listing the valid kinds."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise SigbenchError(
            f"model.kind = {kind!r} is not a known model; choose one of: {', '.join(list_models())}"
        ) from None


def create_model(
    kind: str, *, input_shape: tuple[int, ...], num_classes: int, config: ModelConfig | None = None
) -> nn.Module:
    """Build a model: ``input_shape`` is (streams, length) or (C, H, W) by the kind's input."""
    return model_entry(kind).builder(
        tuple(input_shape), num_classes, config or ModelConfig(kind=kind)
    )
