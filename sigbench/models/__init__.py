"""Models: one registry, one :func:`create_model`, a module per family."""

from sigbench.models import imagesig  # noqa: F401  (registers the ImageSig heads)
from sigbench.models.registry import create_model, list_models, model_entry, register_model

__all__ = ["create_model", "list_models", "model_entry", "register_model"]
