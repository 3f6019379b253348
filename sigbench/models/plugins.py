"""User model kinds without a fork: installed packages' entry points and plugin files.

A package declares an entry point in the group ``sigbench.models``; loading it (importing
the module it names, or calling the function it names) runs its :func:`register_model`
calls, so its kinds have everything a built-in kind has: their config class and its key
errors, ``list models``, the ``models`` grid, ``tune``, ``compare`` and the tables.
``sigbench --plugin my_models.py`` loads one file the same way. Plugin files are also listed
in the environment variable :data:`PLUGIN_FILES_ENV`, so that worker processes (a spawned
process pool) load them when they import :mod:`sigbench.models`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType

from sigbench.errors import SigbenchError

ENTRY_POINT_GROUP = "sigbench.models"
PLUGIN_FILES_ENV = "SIGBENCH_PLUGINS"

_loaded_files: dict[Path, ModuleType] = {}


def _failure(what: str, exc: BaseException) -> SigbenchError:
    reason = str(exc).splitlines()[0] if str(exc) else ""
    return SigbenchError(f"{what} failed to load: {type(exc).__name__}: {reason}")


def load_entry_point(entry: EntryPoint) -> None:
    """Import what ``entry`` names; call it if it is a function (its registration hook)."""
    what = f"plugin {entry.name} = {entry.value} (entry point group {ENTRY_POINT_GROUP})"
    try:
        loaded = entry.load()
        if callable(loaded) and not isinstance(loaded, ModuleType):
            loaded()
    except SigbenchError:
        raise
    except Exception as exc:
        raise _failure(what, exc) from exc


def load_plugin_file(path: Path) -> ModuleType:
    """Run the Python file ``path`` once as a module (its ``register_model`` calls register)."""
    resolved = Path(path).expanduser().resolve()
    if resolved in _loaded_files:
        return _loaded_files[resolved]
    if not resolved.is_file() or resolved.suffix != ".py":
        raise SigbenchError(f"--plugin {path}: no such Python file (expected a .py file)")
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    name = f"sigbench_plugin_{resolved.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    assert spec is not None and spec.loader is not None  # a .py file always has both
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except SigbenchError:
        del sys.modules[name]
        raise
    except Exception as exc:
        del sys.modules[name]
        raise _failure(f"--plugin {path}", exc) from exc
    _loaded_files[resolved] = module
    return module


def plugin_files_from_env() -> list[Path]:
    value = os.environ.get(PLUGIN_FILES_ENV, "")
    return [Path(part) for part in value.split(os.pathsep) if part]


def add_plugin_files(paths: list[Path]) -> None:
    """Load ``paths`` now and name them in :data:`PLUGIN_FILES_ENV` for worker processes."""
    for path in paths:
        load_plugin_file(path)
    listed = [str(p) for p in plugin_files_from_env()]
    for path in paths:
        resolved = str(Path(path).expanduser().resolve())
        if resolved not in listed:
            listed.append(resolved)
    os.environ[PLUGIN_FILES_ENV] = os.pathsep.join(listed)


def load_plugins() -> None:
    """Every installed ``sigbench.models`` entry point, then the files the environment names."""
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        load_entry_point(entry)
    for path in plugin_files_from_env():
        load_plugin_file(path)
