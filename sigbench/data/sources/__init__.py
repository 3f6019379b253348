"""Where images come from: one module per ``data.source``, each returning a :class:`Source`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigbench.config import DataConfig
from sigbench.data.sources.base import Source
from sigbench.data.sources.builtin import open_builtin
from sigbench.data.sources.celeba import open_celeba
from sigbench.data.sources.csvfile import open_csv
from sigbench.data.sources.imagefolder import open_imagefolder
from sigbench.data.sources.labelfile import open_labelfile
from sigbench.progress import Progress

# Each opener takes its own source's config class (sigbench.config.DATA_CONFIGS).
OPENERS: dict[str, Callable[[Any, Progress], Source]] = {
    "builtin": open_builtin,
    "celeba": open_celeba,
    "csv": open_csv,
    "imagefolder": open_imagefolder,
    "labelfile": open_labelfile,
}


def open_source(cfg: DataConfig, progress: Progress) -> Source:
    """The catalogs of ``cfg.source``; nothing is decoded yet."""
    return OPENERS[cfg.source](cfg, progress)


__all__ = ["Source", "open_source"]
