"""The CelebA layout: ``data.root`` holds ``img_align_celeba/`` (the images),
``list_attr_celeba.txt`` and, optionally, ``list_eval_partition.txt``.

``list_attr_celeba.txt`` is the image count on line 1, the attribute names on line 2, then
one line per image: its file name and a -1 or 1 per attribute (read as 0 / 1).
``list_eval_partition.txt`` gives each file 0, 1 or 2: train, validation or test. Without it
the loader splits test and validation images off at random, as for any source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sigbench.config import CelebaData
from sigbench.data.sources.attributes import AttributeTable, attribute_source
from sigbench.data.sources.base import Source
from sigbench.data.sources.files import require_path
from sigbench.errors import SigbenchError
from sigbench.progress import Progress

SOURCE = "celeba"
IMAGES = "img_align_celeba"
ATTRIBUTES = "list_attr_celeba.txt"
PARTITION = "list_eval_partition.txt"
LAYOUT = f"the CelebA layout ({IMAGES}/, {ATTRIBUTES}, optionally {PARTITION})"
ATTRIBUTE_VALUES = {"-1": 0, "1": 1}
SPLITS = {"0": "train", "1": "val", "2": "test"}


def read_attribute_file(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(file names, attribute names, 0/1 values (N, K)) of a ``list_attr_celeba.txt``."""
    lines = path.read_text(errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 2 or not lines[0].strip().isdigit():
        raise SigbenchError(
            f"{path}: line 1 should be the image count and line 2 the attribute names"
        )
    names = lines[1].split()
    files: list[str] = []
    rows: list[list[int]] = []
    for number, line in enumerate(lines[2:], start=3):
        file, *values = line.split()
        if len(values) != len(names):
            raise SigbenchError(
                f"{path} line {number}: {len(values)} values for {len(names)} attributes; "
                "each line is a file name and -1 or 1 per attribute"
            )
        bad = next((v for v in values if v not in ATTRIBUTE_VALUES), None)
        if bad is not None:
            column = names[values.index(bad)]
            raise SigbenchError(
                f"{path} line {number} ({file}) attribute {column!r} = {bad!r}; values are -1 or 1"
            )
        files.append(file)
        rows.append([ATTRIBUTE_VALUES[v] for v in values])
    if int(lines[0]) != len(files):
        raise SigbenchError(
            f"{path}: line 1 says {int(lines[0])} images but {len(files)} lines follow"
        )
    return files, names, np.array(rows, dtype=np.int64).reshape(len(files), len(names))


def read_partition_file(path: Path, files: list[str]) -> np.ndarray:
    """The split (``train``, ``val`` or ``test``) of each of ``files``."""
    split: dict[str, str] = {}
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in SPLITS:
            raise SigbenchError(
                f"{path} line {number}: {line.strip()!r}; each line is a file name and 0, 1 or 2 "
                "(train, validation, test)"
            )
        split[fields[0]] = SPLITS[fields[1]]
    missing = [f for f in files if f not in split]
    if missing:
        raise SigbenchError(
            f"{path}: {missing[0]} (and {len(missing) - 1} more) of {ATTRIBUTES} have no "
            "partition; every image needs 0, 1 or 2"
        )
    return np.array([split[f] for f in files])


def open_celeba(cfg: CelebaData, progress: Progress) -> Source:
    root = require_path(cfg.root, "data.root", LAYOUT, folder=True, source=SOURCE)
    images = require_path(root / IMAGES, "data.root", LAYOUT, folder=True, source=SOURCE)
    attribute_file = require_path(
        root / ATTRIBUTES, "data.root", LAYOUT, folder=False, source=SOURCE
    )
    files, names, values = read_attribute_file(attribute_file)
    if not files:
        raise SigbenchError(f"{attribute_file}: lists no images; it should be {LAYOUT}")
    table = AttributeTable([images / f for f in files], values, names)
    where = str(attribute_file)
    if not (root / PARTITION).is_file():
        return attribute_source(table, cfg, progress, where)
    split = read_partition_file(root / PARTITION, files)
    parts = {name: table.subset(np.flatnonzero(split == name)) for name in SPLITS.values()}
    if not parts["train"].paths:
        raise SigbenchError(f"{root / PARTITION}: no image is in the training partition (0)")
    return attribute_source(
        parts["train"],
        cfg,
        progress,
        where,
        val=parts["val"],
        test=parts["test"] if parts["test"].paths else None,
    )
