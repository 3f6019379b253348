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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from sigbench.config import ModelConfig, ModelInput, register_model_config, unknown_kind_message
from sigbench.errors import SigbenchError

Builder = Callable[[tuple[int, ...], int, Any], nn.Module]
# A built model's named depths, shallow to deep, whose outputs ``eval --equivariance`` reads
# through forward hooks.
LayerProbe = Callable[[nn.Module], dict[str, nn.Module]]


# The training recipe every kind's search space covers (``sigbench compare``, ``sigbench
# tune --space KIND``), so every model is tuned over the same recipe. The form is a space
# file's (sigbench.sweeps.space): a list is a choice, {low, high, log} a range.
RECIPE_SPACE: dict[str, Any] = {
    "train.lr": {"low": 1.0e-4, "high": 1.0e-2, "log": True},
    "train.weight_decay": {"low": 1.0e-6, "high": 1.0e-3, "log": True},
    "train.batch_size": [32, 64, 128, 256],
    "train.optimizer": ["adam", "adamw"],
}


@dataclass(frozen=True)
class ModelEntry:
    kind: str
    builder: Builder
    config: type[ModelConfig]
    description: str
    layers: LayerProbe | None = None
    capacity: Mapping[str, Any] = field(default_factory=dict)  # the kind's own searched keys

    @property
    def input(self) -> ModelInput:
        return self.config.input

    @property
    def space(self) -> dict[str, Any]:
        """The kind's search space: its capacity keys, then the shared training recipe."""
        return {**self.capacity, **RECIPE_SPACE}


_REGISTRY: dict[str, ModelEntry] = {}


def register_model(
    kind: str,
    *,
    config: type[ModelConfig],
    description: str,
    layers: LayerProbe | None = None,
    capacity: Mapping[str, Any] | None = None,
) -> Callable[[Builder], Builder]:
    """Add a builder ``(input_shape, num_classes, config) -> nn.Module`` under ``kind``.

    ``config`` is the class of ``kind``'s model section: exactly the keys the builder reads.
    ``layers`` names the depths of a built model that ``eval --equivariance`` measures.
    ``capacity`` is what a search varies of the kind itself (its size, its signature), in a
    space file's form; its search space adds :data:`RECIPE_SPACE`.
    """

    def decorate(builder: Builder) -> Builder:
        if kind in _REGISTRY:
            raise ValueError(f"model kind {kind!r} is registered twice")
        _REGISTRY[kind] = ModelEntry(
            kind, builder, config, description, layers, dict(capacity or {})
        )
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
