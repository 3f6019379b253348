"""Helpers shared by the sources that read image files: checked paths and a decoding fetcher."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from sigbench.config import RGB, FileData
from sigbench.data.catalog import Catalog
from sigbench.data.decode import DECODE_RULES, decode_stream
from sigbench.data.fetcher import SPLIT_WORDS, Decoded, Fetcher, Write
from sigbench.data.sources.base import Source
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

STRICT_HINT = " (data.strict is true; fix or remove the file, or set data.strict: false to skip it)"


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


def ordered_classes(values: set[str]) -> list[str]:
    """Class names sorted as numbers when they all are (so label "1" is class 1), else as text."""
    if all(v.lstrip("-").isdigit() for v in values):
        return sorted(values, key=int)
    return sorted(values)


class FileFetcher(Fetcher):
    """Decodes ``paths[key]`` at ``cfg.height_width`` with ``cfg.channels`` (RGB while still
    ``auto``: nothing could be listed to decide); a file is known by its absolute path, size
    and modification time."""

    def __init__(self, paths: list[Path], cfg: FileData, progress: Progress) -> None:
        self.paths, self.cfg, self.progress = paths, cfg, progress
        self.channels = cfg.channels if isinstance(cfg.channels, int) else RGB

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (*self.cfg.height_width, self.channels)

    def settings(self) -> dict[str, Any]:
        return {
            "source": "files",
            "image_size": self.cfg.image_size,
            "channels": self.channels,
            "decode_rules": DECODE_RULES,
            "jpeg_draft": self.cfg.jpeg_draft,
            "strict": self.cfg.strict,  # a strict run must meet the unreadable file itself
        }

    def fingerprint(self, keys: np.ndarray) -> str:
        digest = xxhash.xxh3_128()
        for key in keys:
            path = os.path.abspath(self.paths[key])
            try:
                stat = os.stat(path)
                size, mtime = stat.st_size, stat.st_mtime_ns
            except OSError:
                size, mtime = -1, -1  # gone: decoding will say so
            digest.update(f"{path}\0{size}\0{mtime}\n".encode(errors="surrogateescape"))
        return digest.hexdigest()

    def decode(self, keys: np.ndarray, write: Write, split: str) -> Decoded:
        return decode_stream(
            [self.paths[k] for k in keys],
            self.cfg.image_size,
            self.channels,
            write,
            strict=self.cfg.strict,
            strict_hint=STRICT_HINT,
            draft=self.cfg.jpeg_draft,
            description=f"decoding {SPLIT_WORDS[split]} images",
            progress=self.progress,
        )


def require_two_classes(classes: list[str], where: str) -> None:
    if len(classes) < 2:
        found = f"only {classes[0]!r}" if classes else "none"
        raise SigbenchError(f"{where}: found {found}; a classifier needs at least 2 classes")


def labelled_source(
    train: tuple[list[Path], list[str]],
    test: tuple[list[Path], list[str]] | None,
    cfg: FileData,
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

    def catalog(pairs: tuple[list[Path], list[str]]) -> Catalog:
        paths, labels = pairs
        fetcher = FileFetcher(paths, cfg, progress)
        return Catalog.of([str(p) for p in paths], np.array([index[v] for v in labels]), fetcher)

    if test is not None:
        unknown = sorted(set(test[1]) - set(classes))
        if unknown:
            raise SigbenchError(
                f"{test_where}: label {unknown[0]!r} is not a training label; training labels: "
                f"{', '.join(classes)}"
            )
    return Source(catalog(train), None if test is None else catalog(test), classes)
