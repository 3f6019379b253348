"""Models: one registry, one :func:`create_model`, a module per family."""

# Importing a family's module registers its kinds.
from sigbench.models import cnn, imagesig, simple, vit  # noqa: F401
from sigbench.models.registry import create_model, list_models, model_entry, register_model
from sigbench.models.transfer import apply_finetune

__all__ = ["apply_finetune", "create_model", "list_models", "model_entry", "register_model"]
