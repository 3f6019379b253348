"""One registry and one entry point for every model, timm-style.

A model family is one module: a config class per set of keys its builders read (a
subclass of :class:`~sigbench.config.ModelConfig`, plain data) and builders decorated with
:func:`register_model`. Everything else builds models through :func:`create_model`. The
config class says what a kind eats: ``"signature"`` models take (N, streams, length)
features, ``"image"`` models take (N, C, H, W) pixels in [0, 1].

Kinds are listed in the order they register, which the ``models`` grid and its table
keep: ``sigbench.models`` imports the ImageSig heads first, then the baselines, cheapest
first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from sigbench.config import ModelConfig, ModelInput, register_model_config, unknown_kind_message
from sigbench.errors import SigbenchError

Builder = Callable[[tuple[int, ...], int, Any], nn.Module]
# A built model's named depths, shallow to deep, whose outputs ``eval --equivariance`` reads
# through forward hooks.
LayerProbe = Callable[[nn.Module], dict[str, nn.Module]]


@dataclass(frozen=True)
class ModelEntry:
    kind: str
    builder: Builder
    config: type[ModelConfig]
    description: str
    layers: LayerProbe | None = None

    @property
    def input(self) -> ModelInput:
        return self.config.input


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    kind: str,
    *,
    config: type[ModelConfig],
    description: str,
    layers: LayerProbe | None = None,
) -> Callable[[Builder], Builder]:
    """Add a builder ``(input_shape, num_classes, config) -> nn.Module`` under ``kind``.

    ``config`` is the class of ``kind``'s model section: exactly the keys the builder reads.
    ``layers`` names the depths of a built model that ``eval --equivariance`` measures.
    """

    def decorate(builder: Builder) -> Builder:
        if kind in _REGISTRY:
            raise ValueError(f"model kind {kind!r} is registered twice")
        _REGISTRY[kind] = ModelEntry(kind, builder, config, description, layers)
        register_model_config(kind, config)
        return builder

    return decorate


def list_models() -> list[str]:
    """Every registered kind: ImageSig heads, then baselines, cheapest first."""
    return list(_REGISTRY)


def model_entry(kind: str) -> ModelEntry:
    """The registry entry for ``kind``, or a one-line error listing the valid kinds."""
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise SigbenchError(unknown_kind_message(kind)) from None


def named_layers(kind: str, model: nn.Module) -> dict[str, nn.Module]:
    """``kind``'s named depths in ``model``, shallow to deep, or a one-line error."""
    entry = model_entry(kind)
    if entry.layers is None:
        raise SigbenchError(
            f"model.kind = {kind!r} names no layers to measure; --equivariance works for "
            f"{', '.join(k for k, e in _REGISTRY.items() if e.layers is not None)}"
        )
    return entry.layers(model)


def model_config(kind: str, **settings: Any) -> ModelConfig:
    """``kind``'s config: ``settings`` over its defaults (pydantic checks them)."""
    return model_entry(kind).config(kind=kind, **settings)


def create_model(
    kind: str,
    *,
    input_shape: tuple[int, ...],
    num_classes: int,
    config: ModelConfig | None = None,
    pretrained: bool = True,
) -> nn.Module:
    """Build a model: ``input_shape`` is (streams, length) or (C, H, W) by the kind's input.

    ``pretrained=False`` ignores ``model.weights`` (a checkpoint is about to fill them all).
    """
    entry = model_entry(kind)
    config = config or model_config(kind)
    if not pretrained and "weights" in type(config).model_fields:
        config = config.model_copy(update={"weights": "none"})
    return entry.builder(tuple(input_shape), num_classes, config)
