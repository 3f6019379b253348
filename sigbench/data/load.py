"""``load_splits``: one config in, train / val / test images and a report of what was done.

Order matters and is fixed: choose classes, split off a test set (only when the source has
none), cap training images per class, decode, split off validation, augment the training
split, balance it. The test set is never augmented or balanced, so scores stay comparable.
"""

from __future__ import annotations

import logging

from sigbench.config import DataConfig
from sigbench.data.augment import augment
from sigbench.data.balance import rebalance
from sigbench.data.catalog import Catalog, Fetched
from sigbench.data.imageset import DataReport, DatasetSplits, ImageSet, count_classes
from sigbench.data.sources import open_source
from sigbench.data.splits import cap_per_class, select_classes, split_catalog, stratified_split
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress

log = logging.getLogger(__name__)

MAX_SKIPPED_NAMES = 5


def _record_fetches(
    fetches: list[Fetched], total: int, cfg: DataConfig, report: DataReport
) -> None:
    """Warn once about unreadable files, note upsampling, and keep both in the report."""
    skipped = [name for f in fetches for name in f.skipped]
    report.skipped = len(skipped)
    report.skipped_names = skipped[:MAX_SKIPPED_NAMES]
    if skipped:
        log.warning(
            "skipped %d unreadable or non-image file(s) (first: %s); set data.strict: true to "
            "stop at the first one instead",
            len(skipped),
            ", ".join(report.skipped_names),
        )
        report.notes.append(f"skipped {len(skipped)} unreadable or non-image file(s)")
    upsampled = sum(f.upsampled for f in fetches)
    if upsampled:
        size = cfg.image_size
        report.notes.append(
            f"{upsampled} of {total} images were smaller than {size}x{size} and were upsampled "
            "with bilinear interpolation (larger ones use area interpolation)"
        )


def _decode(catalog: Catalog, key: str) -> tuple[ImageSet, Fetched]:
    images, fetched = catalog.fetch()
    if len(catalog) and not len(images):
        raise SigbenchError(f"{key}: none of its {len(catalog)} images could be read")
    return images, fetched


def load_splits(cfg: DataConfig, seed: int, *, progress: Progress = SILENT) -> DatasetSplits:
    """Read ``cfg``'s images and make the splits a run trains, validates and tests on.

    The splits and the per-class cap are drawn with ``cfg.splits_seed(seed)``, so runs that
    differ only in ``seed`` can share their test images; augmentation and rebalancing are
    training randomness and follow ``seed``.
    """
    split_seed = cfg.splits_seed(seed)
    source = open_source(cfg, progress)
    report = DataReport()
    train_catalog, test_catalog, classes = source.train, source.test, source.classes
    if cfg.classes is not None:
        train_catalog = select_classes(train_catalog, classes, cfg.classes)
        if test_catalog is not None:
            test_catalog = select_classes(test_catalog, classes, cfg.classes)
        classes = list(cfg.classes)
    if test_catalog is None:
        train_catalog, test_catalog = split_catalog(
            train_catalog, cfg.test_split, split_seed, "data.test_split"
        )
        report.notes.append(
            f"no test set given: held out a stratified {cfg.test_split:.0%} of the training "
            f"images as test (seed {split_seed})"
        )
    if cfg.max_per_class is not None:
        before = len(train_catalog)
        train_catalog = cap_per_class(train_catalog, cfg.max_per_class, split_seed)
        if len(train_catalog) < before:
            report.notes.append(
                f"data.max_per_class: kept {len(train_catalog)} of {before} training images "
                f"(at most {cfg.max_per_class} per class)"
            )

    train, train_fetch = _decode(train_catalog, "data.train")
    test, test_fetch = _decode(test_catalog, "data.test")
    _record_fetches([train_fetch, test_fetch], len(train_catalog) + len(test_catalog), cfg, report)

    kept, held = stratified_split(train.labels, cfg.val_split, split_seed, "data.val_split")
    train, val = train.take(kept), train.take(held)
    train, report.augmentations, augment_notes = augment(train, cfg.augment, seed, progress)
    report.notes.extend(augment_notes)
    report.class_counts["train_before_balance"] = count_classes(train.labels, classes)
    train = rebalance(train, cfg.balance, seed)
    if cfg.balance in ("undersample", "oversample"):
        report.notes.append(
            f"data.balance: {cfg.balance}d the training split to {len(train)} images"
        )
    report.class_counts["train"] = count_classes(train.labels, classes)
    report.class_counts["val"] = count_classes(val.labels, classes)
    report.class_counts["test"] = count_classes(test.labels, classes)
    for name, count in report.class_counts["train"].items():
        if count == 0:
            log.warning("class %r has no training images; the model cannot learn it", name)
    return DatasetSplits(train, val, test, classes, report)
