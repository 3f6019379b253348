"""How the config loads the registries it checks against, without naming their packages.

The model kinds (``sigbench.models``) and the ``data.channels: auto`` probe
(``sigbench.data``) are registered by packages above the config, which load torch: the
config may not import them (the layers in ``pyproject.toml``), nor load them for a command
that never checks a config. So the ``sigbench`` package, the one place that knows every
layer, hands in at its import the function that imports them, and the config calls
:func:`load_registries` when it needs one. A library user's ``load_config`` then works
with no import of ``sigbench.models`` first.
"""

from __future__ import annotations

from collections.abc import Callable

_loader: list[Callable[[], object]] = []


def set_registry_loader(loader: Callable[[], object]) -> None:
    """``loader`` imports the packages whose import fills the registries."""
    _loader[:] = [loader]


def load_registries() -> None:
    """Fill the registries (their packages' imports; after the first call, a lookup)."""
    for loader in _loader:
        loader()
