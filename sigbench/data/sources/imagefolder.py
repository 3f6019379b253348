"""ImageFolder layout: ``<root>/<class>/<image>``, classes sorted by folder name."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from sigbench.config import ImageFolderData
from sigbench.data.catalog import Catalog
from sigbench.data.listing import is_hidden
from sigbench.data.sources.base import Source
from sigbench.data.sources.files import FileFetcher, require_path, require_two_classes
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

log = logging.getLogger(__name__)

WHAT = "ImageFolder images as <class>/<image>.jpg"
SOURCE = "imagefolder"


def scan_folder(root: Path, key: str) -> dict[str, list[Path]]:
    """``{class: sorted image files}`` for the non-empty class folders under ``root``.

    Files in nested folders count for their top-level class; hidden entries are ignored;
    empty class folders and loose files beside the class folders are warned about and ignored.
    """
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    loose = [p.name for p in entries if not p.is_dir()]
    if loose:
        log.warning(
            "%s: ignoring %d file(s) directly under %s (first: %s); images belong in "
            "<class>/ folders",
            key,
            len(loose),
            root,
            ", ".join(loose[:3]),
        )
    found: dict[str, list[Path]] = {}
    empty: list[str] = []
    for folder in (p for p in entries if p.is_dir()):
        files = sorted(p for p in folder.rglob("*") if p.is_file() and not is_hidden(p, root))
        if files:
            found[folder.name] = files
        else:
            empty.append(folder.name)
    if empty:
        log.warning("%s: ignoring empty class folder(s) under %s: %s", key, root, ", ".join(empty))
    if not found:
        raise SigbenchError(f"{key}: {root} has no class folders with files; put {WHAT} there")
    return found


def _catalog(
    found: dict[str, list[Path]], classes: list[str], cfg: ImageFolderData, progress: Progress
) -> Catalog:
    paths = [path for name in found for path in found[name]]
    labels = np.array([classes.index(name) for name in found for _ in found[name]])
    fetcher = FileFetcher(paths, cfg, progress)
    return Catalog.of([str(p) for p in paths], labels, fetcher)


def open_imagefolder(cfg: ImageFolderData, progress: Progress) -> Source:
    train_root = require_path(cfg.train, "data.train", WHAT, folder=True, source=SOURCE)
    train = scan_folder(train_root, "data.train")
    classes = sorted(train)
    require_two_classes(classes, f"data.train: class folders in {train_root}")
    test = None
    if cfg.test is not None:
        test_root = require_path(cfg.test, "data.test", WHAT, folder=True, source=SOURCE)
        found = scan_folder(test_root, "data.test")
        unknown = [name for name in found if name not in classes]
        if unknown:
            raise SigbenchError(
                f"data.test: class folder {unknown[0]!r} in {test_root} is not a training class; "
                f"training classes: {', '.join(classes)}"
            )
        test = _catalog(found, classes, cfg, progress)
    return Source(_catalog(train, classes, cfg, progress), test, classes)
