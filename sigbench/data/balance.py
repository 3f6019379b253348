"""Class balance for the training split: resampling here, loss weights for the trainer."""

from __future__ import annotations

import numpy as np

from sigbench.data.imageset import Allocate, ImageSet
from sigbench.data.splits import rng_for


def class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """alpha_c = N / (K * N_c), the paper's focal-loss weights (Table 1: fire 1.84, no-fire 0.68).

    A class with no training images gets weight 0: it contributes no loss either way.
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_classes)[:n_classes]
    total = counts.sum()
    return np.divide(
        float(total),
        n_classes * counts.astype(np.float64),
        out=np.zeros(n_classes, dtype=np.float64),
        where=counts > 0,
    )


def positive_weights(labels: np.ndarray) -> np.ndarray:
    """Per attribute of 0/1 (N, K) labels: negatives / positives, the BCE ``pos_weight``
    that makes an attribute's positives weigh as much as its negatives in the loss.

    An attribute no image has gets weight 1 (there is no positive term to weigh).
    """
    labels = np.asarray(labels)
    positives = labels.sum(axis=0).astype(np.float64)
    negatives = len(labels) - positives
    return np.divide(negatives, positives, out=np.ones_like(positives), where=positives > 0)


def _members(labels: np.ndarray) -> list[np.ndarray]:
    return [np.flatnonzero(labels == c) for c in np.unique(labels)]


def undersample(train: ImageSet, seed: int, allocate: Allocate | None = None) -> ImageSet:
    """Every class down to the smallest class's count, images chosen at random (seeded)."""
    rng = rng_for(seed, "undersample")
    groups = _members(train.labels)
    target = min(len(g) for g in groups)
    chosen = [rng.choice(g, target, replace=False) for g in groups]
    return train.take(np.sort(np.concatenate(chosen)), allocate)


def oversample(train: ImageSet, seed: int, allocate: Allocate | None = None) -> ImageSet:
    """Every class up to the largest class's count: all originals, then random repeats."""
    rng = rng_for(seed, "oversample")
    groups = _members(train.labels)
    target = max(len(g) for g in groups)
    extra = [rng.choice(g, target - len(g), replace=True) for g in groups]
    return train.take(np.concatenate([np.arange(len(train)), *extra]), allocate)


def rebalance(
    train: ImageSet, method: str, seed: int, allocate: Allocate | None = None
) -> ImageSet:
    """Apply ``data.balance``; ``none`` and ``class_weights`` leave the images alone.

    ``allocate`` receives the resampled images batch by batch (see :meth:`ImageSet.take`).
    """
    if method == "undersample":
        return undersample(train, seed, allocate)
    if method == "oversample":
        return oversample(train, seed, allocate)
    return train
