"""Multi-label sources share this: image paths with a 0/1 row of attributes each, the
``data.attributes`` subset, and the catalogs built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigbench.config import CelebaData, CsvData
from sigbench.data.catalog import Catalog
from sigbench.data.sources.base import Source
from sigbench.data.sources.files import FileFetcher
from sigbench.errors import SigbenchError
from sigbench.progress import Progress


@dataclass
class AttributeTable:
    """Image files and their attributes: ``values`` is 0/1 (N, K) over ``names``."""

    paths: list[Path]
    values: np.ndarray
    names: list[str]

    def subset(self, rows: np.ndarray) -> AttributeTable:
        return AttributeTable([self.paths[i] for i in rows], self.values[rows], self.names)


def chosen_attributes(available: list[str], wanted: list[str] | None, where: str) -> list[int]:
    """Column indices of ``data.attributes`` (every attribute when it is None), in its order."""
    if wanted is None:
        return list(range(len(available)))
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise SigbenchError(
            f"data.attributes: {unknown[0]!r} is not an attribute of {where}; available: "
            f"{', '.join(available)}"
        )
    if not wanted or len(set(wanted)) != len(wanted):
        raise SigbenchError(
            f"data.attributes: {wanted} should list one or more different attributes of: "
            f"{', '.join(available)}"
        )
    return [available.index(name) for name in wanted]


def attribute_source(
    train: AttributeTable,
    cfg: CsvData | CelebaData,
    progress: Progress,
    where: str,
    *,
    val: AttributeTable | None = None,
    test: AttributeTable | None = None,
) -> Source:
    """A multi-label source from its tables, keeping the ``data.attributes`` columns;
    ``where`` names the file the attributes came from."""
    columns = chosen_attributes(train.names, cfg.attributes, where)

    def catalog(table: AttributeTable) -> Catalog:
        fetcher = FileFetcher(table.paths, cfg, progress)
        return Catalog.of([str(p) for p in table.paths], table.values[:, columns], fetcher)

    return Source(
        catalog(train),
        None if test is None else catalog(test),
        [train.names[c] for c in columns],
        val=None if val is None else catalog(val),
    )
