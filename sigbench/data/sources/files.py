"""Helpers shared by the sources that read image files: checked paths and a decoding fetcher."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sigbench.config import DataConfig
from sigbench.data.catalog import Catalog, Fetched, Fetcher
from sigbench.data.decode import decode_files
from sigbench.data.sources.base import Source
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

STRICT_HINT = " (data.strict is true; fix or remove the file, or set data.strict: false to skip it)"
RGB = 3


def require_path(path: Path | None, key: str, noun: str, *, folder: bool, source: str) -> Path:
    """``path`` if it exists as the right kind of thing, else an error that says what goes there.

    ``noun`` says what belongs at ``key``, e.g. "ImageFolder images as <class>/<image>.jpg".
    """
    if path is None:
        raise SigbenchError(f"{key} is not set; data.source: {source} reads {noun} from it")
    path = Path(path)
    if not path.exists():
        fix = f"put {noun} there" if folder else f"it should be {noun}"
        raise SigbenchError(f"{key}: {path} does not exist; {fix}")
    if folder and not path.is_dir():
        raise SigbenchError(f"{key}: {path} is a file; it should be a folder of {noun}")
    if not folder and not path.is_file():
        raise SigbenchError(f"{key}: {path} is a folder; it should be {noun}")
    return path


def is_hidden(path: Path, root: Path) -> bool:
    """Hidden entries (``.DS_Store``, ``.ipynb_checkpoints``) are system files, not images."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def ordered_classes(values: set[str]) -> list[str]:
    """Class names sorted as numbers when they all are (so label "1" is class 1), else as text."""
    if all(v.lstrip("-").isdigit() for v in values):
        return sorted(values, key=int)
    return sorted(values)


def file_fetcher(
    paths: list[Path], cfg: DataConfig, progress: Progress, description: str
) -> Fetcher:
    """A fetcher that decodes ``paths[key]`` as RGB at ``cfg.image_size``."""

    def fetch(keys: np.ndarray) -> Fetched:
        return decode_files(
            [paths[k] for k in keys],
            cfg.image_size,
            RGB,
            strict=cfg.strict,
            strict_hint=STRICT_HINT,
            description=description,
            progress=progress,
        )

    return fetch


def require_two_classes(classes: list[str], where: str) -> None:
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if classes else "none"
        raise SigbenchError(f"{where}: found {found}; a classifier needs at least 2 classes")


def labelled_source(
    train: tuple[list[Path], list[str]],
    test: tuple[list[Path], list[str]] | None,
    cfg: DataConfig,
    progress: Progress,
    *,
    train_where: str,
    test_where: str,
) -> Source:
    """A source from (image path, label text) lists, classes ordered by :func:`ordered_classes`.

    ``train_where`` / ``test_where`` name the key and file that the labels came from.
    """
    classes = ordered_classes(set(train[1]))
    require_two_classes(classes, f"{train_where}: labels")
    index = {name: i for i, name in enumerate(classes)}

    def catalog(pairs: tuple[list[Path], list[str]], what: str) -> Catalog:
        paths, labels = pairs
        fetcher = file_fetcher(paths, cfg, progress, f"decoding {what} images")
        return Catalog.of([str(p) for p in paths], np.array([index[v] for v in labels]), fetcher)

    if test is not None:
        unknown = sorted(set(test[1]) - set(classes))
        if unknown:
            raise SigbenchError(
                f"{test_where}: label {unknown[0]!r} is not a training label; training labels: "
                f"{', '.join(classes)}"
            )
    test_catalog = None if test is None else catalog(test, "test")
    return Source(catalog(train, "training"), test_catalog, classes)
