"""Images named by number plus a label file (the HTER report's layout).

``data.train`` holds ``1.jpg, 2.jpg, ...``; sorted by number (so 10.jpg follows 9.jpg), the
n-th image gets the label on the n-th line of ``data.labels``.
"""

from __future__ import annotations

from pathlib import Path

from sigbench.config import LabelFileData
from sigbench.data.listing import NUMBERED, numbered_images
from sigbench.data.sources.base import Source
from sigbench.data.sources.files import labelled_source, require_path
from sigbench.errors import SigbenchError, plural
from sigbench.progress import Progress

SOURCE = "labelfile"
LABELS = "a text file with one label per line, in the images' numeric order"


def read_label_lines(path: Path, key: str) -> list[str]:
    """One stripped label per line; trailing blank lines are allowed, blank lines inside not."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise SigbenchError(f"{key}: {path} is empty; it should be {LABELS}")
    if "" in lines:
        raise SigbenchError(
            f"{key}: {path} line {lines.index('') + 1} is blank; it should be {LABELS}"
        )
    return lines


def _pair(images_key: str, labels_key: str, cfg: LabelFileData) -> tuple[list[Path], list[str]]:
    folder = require_path(
        getattr(cfg, images_key), f"data.{images_key}", NUMBERED, folder=True, source=SOURCE
    )
    label_file = require_path(
        getattr(cfg, labels_key), f"data.{labels_key}", LABELS, folder=False, source=SOURCE
    )
    numbered = numbered_images(folder, f"data.{images_key}", skip=label_file)
    labels = read_label_lines(label_file, f"data.{labels_key}")
    if len(labels) != len(numbered.paths):
        gap = f" ({numbered.missing_text()})" if numbered.missing else ""
        raise SigbenchError(
            f"data.{labels_key}: {label_file} has {plural(len(labels), 'label')} but "
            f"data.{images_key}: {folder} has {plural(len(numbered.paths), 'numbered image')}"
            f"{gap}; they must match one to one"
        )
    return numbered.paths, labels


def open_labelfile(cfg: LabelFileData, progress: Progress) -> Source:
    if (cfg.test is None) != (cfg.test_labels is None):
        raise SigbenchError(
            "data.test and data.test_labels go together for data.source: labelfile; "
            "set both, or neither to split a test set off the training images"
        )
    train = _pair("train", "labels", cfg)
    test = _pair("test", "test_labels", cfg) if cfg.test is not None else None
    return labelled_source(
        train,
        test,
        cfg,
        progress,
        train_where=f"data.labels: {cfg.labels}",
        test_where=f"data.test_labels: {cfg.test_labels}",
    )
