"""A CSV with columns ``path,label``; relative paths are read from the CSV's own folder."""

from __future__ import annotations

import csv
from pathlib import Path

from sigbench.config import DataConfig
from sigbench.data.sources.base import Source
from sigbench.data.sources.files import labelled_source, require_path
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

SOURCE = "csv"
CSV = "a CSV file with a header row path,label (paths relative to the CSV's folder)"
COLUMNS = ("path", "label")


def read_csv(path: Path | None, key: str) -> tuple[list[Path], list[str]]:
    """The image paths (resolved against the CSV's folder) and label texts of one CSV."""
    path = require_path(path, key, CSV, folder=False, source=SOURCE)
    with path.open(newline="", errors="replace") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        header = [name.strip() for name in reader.fieldnames or []]
        if not set(COLUMNS) <= set(header):
            raise SigbenchError(f"{key}: {path} has columns {header}; it should be {CSV}")
        reader.fieldnames = header
        paths: list[Path] = []
        labels: list[str] = []
        for row in reader:
            image, label = ((row.get(c) or "").strip() for c in COLUMNS)
            if not image or not label:
                raise SigbenchError(
                    f"{key}: {path} line {reader.line_num} lacks a path or a label; "
                    "every row needs both"
                )
            paths.append(path.parent / image)
            labels.append(label)
    if not paths:
        raise SigbenchError(f"{key}: {path} has a header but no rows; it should be {CSV}")
    return paths, labels


def open_csv(cfg: DataConfig, progress: Progress) -> Source:
    train = read_csv(cfg.train, "data.train")
    test = read_csv(cfg.test, "data.test") if cfg.test is not None else None
    return labelled_source(
        train,
        test,
        cfg,
        progress,
        train_where=f"data.train: {cfg.train}",
        test_where=f"data.test: {cfg.test}",
    )
