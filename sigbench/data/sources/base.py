"""What every source hands to the loader: catalogs for train (and test, when it has one)."""

from __future__ import annotations

from dataclasses import dataclass

from sigbench.data.catalog import Catalog


@dataclass
class Source:
    """``test`` is None when the source has no test set of its own (the loader splits one off);
    ``val`` likewise for a validation set (CelebA's partition file has one).

    Single-label sources give int labels (N,) over ``classes``; multi-label sources give 0/1
    labels (N, K), one column per attribute named in ``classes``.
    """

    train: Catalog
    test: Catalog | None
    classes: list[str]
    val: Catalog | None = None
