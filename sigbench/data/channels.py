"""``data.channels: auto``: read a file-based dataset as grayscale when it is stored so.

A folder of grayscale images (scans, X-rays, the lecture's 80x60 characters) read as RGB
becomes three identical channels: three times the signature streams' channels, a model
several times larger, nothing learned from it. ``auto`` opens each training image's header
(no pixels are decoded) and picks 1 channel when every readable one is stored in a
grayscale mode, else 3. The answer depends only on the files, so it is worked out when the
config is validated: it is written into the run's ``config.yaml`` and hashed into its run id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from sigbench.config import GRAY, RGB, FileData, register_channel_probe
from sigbench.data.sources import open_source
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT

# PIL modes that hold one intensity per pixel (``LA``: plus alpha, composited on black).
GRAYSCALE_MODES = frozenset({"L", "1", "I", "F", "LA", "I;16", "I;16L", "I;16B", "I;16N"})
DATA_LOGGER = "sigbench.data"

# The keys that decide which files are the training images (not how they are decoded).
LISTING_KEYS = {"source", "name", "root", "train", "labels", "path_column", "label_columns"}

_answers: dict[str, int | None] = {}


def stored_channels(paths: list[Path]) -> int | None:
    """1 when every readable file of ``paths`` is stored grayscale, 3 at the first that is
    not; None when none is readable (decoding will report them)."""
    gray_seen = False
    for path in paths:
        try:
            with Image.open(path) as image:  # reads the header only
                mode = image.mode
        except Exception:  # unreadable files are decoding's to skip or report
            continue
        if mode not in GRAYSCALE_MODES:
            return RGB
        gray_seen = True
    return GRAY if gray_seen else None


@contextmanager
def _quiet_data_warnings() -> Iterator[None]:
    """Listing the files again must not repeat the warnings loading them gives."""
    logger = logging.getLogger(DATA_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def probe_channels(cfg: FileData) -> int | None:
    """1 or 3 for ``cfg``'s training images, or None when they cannot be listed yet (the
    data loader then says what is wrong). Remembered per listing settings in this process,
    so a sweep's points look once."""
    key = json.dumps(cfg.model_dump(mode="json", include=LISTING_KEYS), sort_keys=True)
    if key not in _answers:
        try:
            with _quiet_data_warnings():
                catalog = open_source(cfg, SILENT).train
        except SigbenchError:
            return None
        paths = getattr(catalog.fetcher, "paths", None)
        _answers[key] = None if paths is None else stored_channels(list(paths))
    return _answers[key]


register_channel_probe(probe_channels)
