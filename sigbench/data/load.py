"""``load_splits``: one config in, train / val / test images and a report of what was done.

Order matters and is fixed: choose classes, split off a test set (only when the source has
none), cap training images per class, split off validation, decode, augment the training
split, balance it. The test set is never augmented or balanced, so scores stay comparable.

With a ``cache_dir`` (and ``data.cache`` on) each split's pixels come from the pixel cache
(:mod:`sigbench.data.pixel_cache`) as read-only memory maps, and the augmented or
resampled training images are written batch by batch to scratch memory maps beside it, so
no split is held in this process's memory, let alone twice.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from sigbench.arraycache import scratch_array
from sigbench.config import DataConfig, size_text, with_resolved_channels
from sigbench.data.augment import augment
from sigbench.data.balance import rebalance
from sigbench.data.catalog import Catalog
from sigbench.data.fetcher import Fetched
from sigbench.data.imageset import DataReport, DatasetSplits, ImageSet, count_classes, in_memory
from sigbench.data.multilabel import check_task_keys
from sigbench.data.pixel_cache import PIXEL_DIR
from sigbench.data.sources import open_source
from sigbench.data.splits import cap_per_class, select_classes, split_catalog
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT, Progress

log = logging.getLogger(__name__)

MAX_SKIPPED_NAMES = 5
SCRATCH_DIR = f"{PIXEL_DIR}/scratch"  # unnamed files for augmented and resampled images


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
        report.notes.append(
            f"{upsampled} of {total} images were smaller than {size_text(cfg.image_size)} "
            "(height x width) and were upsampled "
            "with bilinear interpolation (larger ones use area interpolation)"
        )


def _decode(
    catalog: Catalog, key: str, cache_dir: Path | None, report: DataReport, split: str
) -> tuple[ImageSet, Fetched]:
    images, fetched = catalog.fetch(split, cache_dir)
    if len(catalog) and not len(images):
        raise SigbenchError(f"{key}: none of its {len(catalog)} images could be read")
    if len(catalog):
        report.pixel_cache[split] = fetched.cache
        report.decode_seconds += fetched.seconds
    return images, fetched


def load_splits(
    cfg: DataConfig,
    seed: int,
    *,
    progress: Progress = SILENT,
    cache_dir: Path | None = None,
) -> DatasetSplits:
    """Read ``cfg``'s images and make the splits a run trains, validates and tests on.

    The splits and the per-class cap are drawn with ``cfg.splits_seed(seed)``, so runs that
    differ only in ``seed`` can share their test images; augmentation and rebalancing are
    training randomness and follow ``seed``. ``cache_dir`` (a results folder's ``cache/``)
    holds the pixel cache; without one, or with ``data.cache: false``, the pixels are
    decoded into memory. Files are decoded with ``cfg.channels`` (``auto``: as stored).
    """
    check_task_keys(cfg)
    cfg = with_resolved_channels(cfg)  # a config that was never validated as a whole
    split_seed = cfg.splits_seed(seed)
    cache_dir = cache_dir if cfg.cache else None
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
        how = "a random" if cfg.multilabel else "a stratified"
        report.notes.append(
            f"no test set given: held out {how} {cfg.test_split:.0%} of the training "
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

    if source.val is not None:
        val_catalog = source.val
        report.notes.append(
            f"validation: the source's own split of {len(val_catalog)} images (data.val_split "
            "is not used)"
        )
    else:
        train_catalog, val_catalog = split_catalog(
            train_catalog, cfg.val_split, split_seed, "data.val_split"
        )
    total = len(train_catalog) + len(val_catalog) + len(test_catalog)
    train, train_fetch = _decode(train_catalog, "data.train", cache_dir, report, "train")
    val, val_fetch = _decode(val_catalog, "data.train", cache_dir, report, "val")
    test, test_fetch = _decode(test_catalog, "data.test", cache_dir, report, "test")
    _record_fetches([train_fetch, val_fetch, test_fetch], total, cfg, report)

    allocate = (
        in_memory
        if cache_dir is None
        else partial(scratch_array, directory=cache_dir / SCRATCH_DIR)
    )
    train, report.augmentations, augment_notes = augment(
        train, cfg.augment, seed, progress, allocate
    )
    report.notes.extend(augment_notes)
    report.class_counts["train_before_balance"] = count_classes(train.labels, classes)
    train = rebalance(train, cfg.balance, seed, allocate)
    if cfg.balance in ("undersample", "oversample"):
        report.notes.append(
            f"data.balance: {cfg.balance}d the training split to {len(train)} images"
        )
    report.class_counts["train"] = count_classes(train.labels, classes)
    report.class_counts["val"] = count_classes(val.labels, classes)
    report.class_counts["test"] = count_classes(test.labels, classes)
    what = (
        "attribute %r is on no training image"
        if cfg.multilabel
        else "class %r has no training images"
    )
    for name, count in report.class_counts["train"].items():
        if count == 0:
            log.warning(what + "; the model cannot learn it", name)
    return DatasetSplits(train, val, test, classes, report)
