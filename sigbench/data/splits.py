"""Seeded, stratified selections: class choice, held-out splits and per-class caps."""

from __future__ import annotations

import zlib

import numpy as np

from sigbench.data.catalog import Catalog
from sigbench.errors import SigbenchError


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent random stream per purpose, so changing one step leaves the others alone."""
    return np.random.default_rng([seed % 2**32, zlib.crc32(purpose.encode())])


def stratified_split(
    labels: np.ndarray, fraction: float, seed: int, key: str
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (kept, held out) with ``fraction`` of every class held out; both sorted.

    scikit-learn's ``train_test_split`` does the work, so a user can reproduce a split with it.
    Multi-label (N, K) labels are split at random, not stratified: with K attributes there
    are up to 2**K label combinations, most with too few images to stratify on.
    """
    from sklearn.model_selection import train_test_split  # with scipy, seconds to import

    everything = np.arange(len(labels))
    if fraction == 0 or len(labels) == 0:
        return everything, everything[:0]
    try:
        kept, held = train_test_split(
            everything,
            test_size=fraction,
            stratify=labels if labels.ndim == 1 else None,
            random_state=seed % 2**32,
        )
    except ValueError as exc:
        if labels.ndim == 2:
            raise SigbenchError(
                f"{key} = {fraction}: cannot hold out that share of {len(labels)} images: "
                f"{exc}; use more images or another fraction"
            ) from None
        counts = np.bincount(labels)
        smallest = int(counts[counts > 0].min())
        raise SigbenchError(
            f"{key} = {fraction}: cannot hold out a stratified share of {len(labels)} images "
            f"in {np.count_nonzero(counts)} classes (smallest class: {smallest} images): {exc}; "
            "use more images per class or another fraction"
        ) from None
    return np.sort(kept), np.sort(held)


def split_catalog(
    catalog: Catalog, fraction: float, seed: int, key: str
) -> tuple[Catalog, Catalog]:
    kept, held = stratified_split(catalog.labels, fraction, seed, key)
    return catalog.subset(kept), catalog.subset(held)


def cap_per_class(catalog: Catalog, cap: int, seed: int) -> Catalog:
    """At most ``cap`` entries of each class, chosen at random (seeded), in their original order."""
    rng = rng_for(seed, "max_per_class")
    chosen = []
    for label in np.unique(catalog.labels):
        members = np.flatnonzero(catalog.labels == label)
        chosen.append(members if len(members) <= cap else rng.choice(members, cap, replace=False))
    return catalog.subset(np.sort(np.concatenate(chosen)))


def select_classes(catalog: Catalog, classes: list[str], wanted: list[str]) -> Catalog:
    """Keep only the classes in ``wanted`` (``data.classes``), relabelled in that order."""
    unknown = [name for name in wanted if name not in classes]
    if unknown:
        raise SigbenchError(
            f"data.classes: {unknown[0]!r} is not a class of this dataset; available: "
            f"{', '.join(classes)}"
        )
    if len(set(wanted)) != len(wanted) or len(wanted) < 2:
        raise SigbenchError(
            f"data.classes: {wanted} should list at least 2 different classes of: "
            f"{', '.join(classes)}"
        )
    new_label = np.full(len(classes), -1, dtype=np.int64)
    new_label[[classes.index(name) for name in wanted]] = np.arange(len(wanted))
    labels = new_label[catalog.labels]
    keep = np.flatnonzero(labels >= 0)
    return catalog.subset(keep, labels[keep])
