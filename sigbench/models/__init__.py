"""Models: one registry, one :func:`create_model`, a module per family.

Importing a family's module registers its kinds, in the order the ``models`` grid lists
them: the ImageSig heads, then the baselines, cheapest first. A new family is one module
here plus its import below (where it belongs in that order). Plugins' kinds come last:
installed packages' ``sigbench.models`` entry points and ``--plugin`` files
(:mod:`sigbench.models.plugins`).
"""

# isort: off
from sigbench.models import imagesig, lift, simple, fis, deformable, scale_space  # noqa: F401
from sigbench.models import group_equivariant, facenet, vit, cnn  # noqa: F401

# isort: on
from sigbench.models.plugins import load_plugins
from sigbench.models.registry import (
    ModelEntry,
    create_model,
    list_models,
    model_config,
    model_entry,
    named_layers,
    register_model,
)
from sigbench.models.transfer import apply_finetune

load_plugins()

__all__ = [
    "ModelEntry",
    "apply_finetune",
    "create_model",
    "list_models",
    "model_config",
    "model_entry",
    "named_layers",
    "register_model",
]
