"""sigbench: an experiment runner for signature-based image recognition (ImageSig)."""

from sigbench.registries import set_registry_loader

__version__ = "0.1.0"


def _import_registering_packages() -> None:
    """The model kinds and the ``data.channels`` probe a config is checked against register
    as their packages are imported; torch comes with them, so only once a config is checked."""
    import sigbench.data  # noqa: F401
    import sigbench.models  # noqa: F401


set_registry_loader(_import_registering_packages)
