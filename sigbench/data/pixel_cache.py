"""The decoded-pixel cache: decode once, then every run maps the same file.

Decoding and resizing photos costs far more than reading pixels back (590 files/s for
500x375 JPEGs here, against a memory map that opens in milliseconds), and every run,
grid point, ``eval``, robustness check and TTA of a dataset needs the same pixels. So the
resized uint8 images of a catalog's entries are written once, batch by batch, to
``<cache>/pixels/<key>.npy`` and memory-mapped from then on.

The key hashes what decides the pixels: each entry's file path, size and modification
time (or a built-in array's content), the image size and channels, the decode rules'
version and options, in the entries' order. A changed, added or removed file changes the
key. An entry shares the feature cache's integrity rules (:mod:`sigbench.arraycache`):
written under a temporary name and renamed when whole, checked against its sidecar's size
and checksum on every load, and rebuilt, with a warning, when damaged. Unreadable files
are recorded in the sidecar, so a hit skips the same files a decode would.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from sigbench.arraycache import ArrayCache, cache_key
from sigbench.data.fetcher import Decoded, Fetched, Fetcher

PIXEL_DIR = "pixels"


def _extras(decoded: Decoded) -> dict[str, Any]:
    skipped = np.flatnonzero(~decoded.kept).tolist()
    return {"skipped": skipped, "skipped_names": decoded.skipped, "upsampled": decoded.upsampled}


def _decoded(extras: dict[str, Any], count: int) -> Decoded:
    kept = np.ones(count, dtype=bool)
    kept[np.asarray(extras["skipped"], dtype=np.int64)] = False
    return Decoded(kept, list(extras["skipped_names"]), int(extras["upsampled"]))


def _decode_in_memory(fetcher: Fetcher, keys: np.ndarray, split: str) -> Fetched:
    images = np.zeros((len(keys), *fetcher.image_shape), dtype=np.uint8)

    def keep(start: int, pixels: np.ndarray) -> None:
        images[start : start + len(pixels)] = pixels

    return Fetched.of(images, fetcher.decode(keys, keep, split), "off")


def _cached(fetcher: Fetcher, keys: np.ndarray, directory: Path, split: str) -> Fetched:
    shape = (len(keys), *fetcher.image_shape)
    description = {**fetcher.settings(), "entries": fetcher.fingerprint(keys), "count": len(keys)}
    key = cache_key(description)
    cache = ArrayCache(directory, key, description, np.dtype(np.uint8), "pixel cache")
    with cache.exclusive():  # grid points decoding the same files at once: one decodes
        images, extras, damaged = cache.load(shape)
        if images is not None:
            try:
                return Fetched.of(images, _decoded(extras, len(keys)), "hit")
            except (KeyError, TypeError, ValueError, IndexError):
                damaged = True  # a sidecar that checks out but lacks what decoding found
        with cache.writer(shape) as writer:
            decoded = fetcher.decode(keys, writer.write, split)
            images = writer.commit(_extras(decoded))
        return Fetched.of(images, decoded, "rebuilt" if damaged else "miss")


def fetch_pixels(fetcher: Fetcher, keys: np.ndarray, cache_dir: Path | None, split: str) -> Fetched:
    """The pixels of ``keys`` (of the split ``split``): from ``cache_dir/pixels`` (a read-only
    memory map, decoded there first on a miss), or decoded into memory when ``cache_dir`` is
    None."""
    started = time.perf_counter()
    if cache_dir is None or not len(keys):
        fetched = _decode_in_memory(fetcher, keys, split)
    else:
        fetched = _cached(fetcher, keys, Path(cache_dir) / PIXEL_DIR, split)
    fetched.seconds = time.perf_counter() - started
    return fetched
