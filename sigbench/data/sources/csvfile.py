"""A CSV with a header row; relative image paths are read from the CSV's own folder.

Single-label: columns ``path,label``. Multi-label (``data.label_columns``): the path column
and one 0/1 column per attribute. ``data.path_column`` names the path column (``path``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sigbench.config import CsvData
from sigbench.data.sources.attributes import AttributeTable, attribute_source
from sigbench.data.sources.base import Source
from sigbench.data.sources.files import labelled_source, require_path
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

SOURCE = "csv"
BINARY = {"0": 0, "1": 1}


def _rows(path: Path, key: str, columns: list[str], what: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, the stripped values of ``columns``) for each row; the header must name
    every column."""
    with path.open(newline="", errors="replace") as handle:
        reader = csv.DictReader(handle, skipinitialspace=True)
        header = [name.strip() for name in reader.fieldnames or []]
        absent = [c for c in columns if c not in header]
        if absent:
            raise SigbenchError(
                f"{key}: {path} has columns {header}, no {absent[0]!r}; it should be {what}"
            )
        reader.fieldnames = header
        count = 0
        for row in reader:
            count += 1
            yield reader.line_num, [(row.get(c) or "").strip() for c in columns]
    if not count:
        raise SigbenchError(f"{key}: {path} has a header but no rows; it should be {what}")


def read_csv(path: Path | None, key: str, path_column: str) -> tuple[list[Path], list[str]]:
    """The image paths (resolved against the CSV's folder) and label texts of one CSV."""
    what = f"a CSV file with a header row {path_column},label (paths relative to its folder)"
    path = require_path(path, key, what, folder=False, source=SOURCE)
    paths: list[Path] = []
    labels: list[str] = []
    for line, (image, label) in _rows(path, key, [path_column, "label"], what):
        if not image or not label:
            raise SigbenchError(
                f"{key}: {path} line {line} lacks a path or a label; every row needs both"
            )
        paths.append(path.parent / image)
        labels.append(label)
    return paths, labels


def read_attribute_csv(
    path: Path | None, key: str, path_column: str, label_columns: list[str]
) -> AttributeTable:
    """The image paths and 0/1 attribute values of one multi-label CSV."""
    what = (
        f"a CSV file with a header row naming {path_column!r} (image paths relative to its "
        f"folder) and the 0/1 columns {', '.join(map(repr, label_columns))}"
    )
    path = require_path(path, key, what, folder=False, source=SOURCE)
    paths: list[Path] = []
    rows: list[list[int]] = []
    for line, (image, *values) in _rows(path, key, [path_column, *label_columns], what):
        if not image:
            raise SigbenchError(f"{key}: {path} line {line} has no {path_column!r}")
        for column, value in zip(label_columns, values, strict=True):
            if value not in BINARY:
                raise SigbenchError(
                    f"{key}: {path} line {line} column {column!r} = {value!r}; "
                    "attribute values are 0 or 1"
                )
        paths.append(path.parent / image)
        rows.append([BINARY[v] for v in values])
    return AttributeTable(paths, np.array(rows, dtype=np.int64), list(label_columns))


def _open_multilabel(cfg: CsvData, progress: Progress) -> Source:
    columns = list(cfg.label_columns or [])
    if not columns or len(set(columns)) != len(columns) or cfg.path_column in columns:
        raise SigbenchError(
            f"data.label_columns: {columns} should name one or more different columns, "
            f"besides the path column {cfg.path_column!r}"
        )
    train = read_attribute_csv(cfg.train, "data.train", cfg.path_column, columns)
    test = None
    if cfg.test is not None:
        test = read_attribute_csv(cfg.test, "data.test", cfg.path_column, columns)
    return attribute_source(train, cfg, progress, "data.label_columns", test=test)


def open_csv(cfg: CsvData, progress: Progress) -> Source:
    if cfg.label_columns is not None:
        return _open_multilabel(cfg, progress)
    train = read_csv(cfg.train, "data.train", cfg.path_column)
    test = read_csv(cfg.test, "data.test", cfg.path_column) if cfg.test is not None else None
    return labelled_source(
        train,
        test,
        cfg,
        progress,
        train_where=f"data.train: {cfg.train}",
        test_where=f"data.test: {cfg.test}",
    )
