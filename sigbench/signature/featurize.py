"""Featurize a whole image array in batches, into a memory-mapped file that is cached.

The features of 100k images can exceed RAM, so they are written batch by batch into an
``.npy`` file opened as a memory map, and training reads its batches from there. The file
is keyed by the images' content and every setting that changes the features; a second
identical run loads it instead of computing.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import xxhash

from sigbench.progress import SILENT, Progress
from sigbench.signature.backends import resolve_backend
from sigbench.signature.compute import as_nhwc, image_signatures, signature_length
from sigbench.signature.streams import stream_count

log = logging.getLogger(__name__)

CACHE_FORMAT = 1
PATHS_PER_BATCH = 65_536  # ~1,000 images of 64 rows: large enough to amortise per-call costs
HASH_CHUNK = 1 << 24  # bytes hashed per update


@dataclass(frozen=True)
class SignatureSettings:
    """Every setting that changes the features (the backend only through its precision)."""

    depth: int = 4
    two_direction: bool = False
    log_sig: bool = False
    path: str = "none"
    backend: str = "auto"

    def compute(self, images: np.ndarray) -> np.ndarray:
        return image_signatures(images, **asdict(self))

    def feature_shape(self, image_shape: tuple[int, ...]) -> tuple[int, int]:
        height, width, channels = as_nhwc(np.empty((1, *image_shape[1:]), np.uint8)).shape[1:]
        streams = stream_count(height, width, self.two_direction)
        length = signature_length(channels, self.depth, log_sig=self.log_sig, path=self.path)
        return streams, length


@dataclass
class Features:
    """Features (N, streams, length) float32, where they came from, and how long it took."""

    array: np.ndarray
    cache: str  # "hit", "miss", "rebuilt" (a bad cache file was replaced) or "off"
    seconds: float


def _digest_rows(digest: xxhash.xxh3_128, array: np.ndarray) -> None:
    """Feed an array's bytes to ``digest`` a chunk of rows at a time (it may be a memmap)."""
    row_bytes = max(int(np.prod(array.shape[1:])) * array.itemsize, 1)
    rows = max(1, HASH_CHUNK // row_bytes)
    for start in range(0, len(array), rows):
        digest.update(np.ascontiguousarray(array[start : start + rows]))


def cache_key(images: np.ndarray, settings: SignatureSettings) -> str:
    """Hash of the image content, shape and dtype, the settings and the backend used."""
    digest = xxhash.xxh3_128()
    described = {
        **asdict(settings),
        "backend": resolve_backend(settings.backend),
        "shape": list(images.shape),
        "dtype": str(images.dtype),
        "format": CACHE_FORMAT,
    }
    digest.update(json.dumps(described, sort_keys=True).encode())
    _digest_rows(digest, images)
    return digest.hexdigest()


def _checksum(array: np.ndarray) -> str:
    digest = xxhash.xxh3_128()
    _digest_rows(digest, array)
    return digest.hexdigest()


def _fill(
    out: np.ndarray, images: np.ndarray, settings: SignatureSettings, progress: Progress
) -> str:
    """Compute every batch into ``out``; return the checksum of what was written.

    Hashing each batch while it is still in cache costs far less than re-reading the file.
    """
    digest = xxhash.xxh3_128()
    streams = out.shape[1]
    batch = max(1, PATHS_PER_BATCH // streams)
    with progress.task("signatures", total=len(images)) as task:
        for start in range(0, len(images), batch):
            stop = min(start + batch, len(images))
            features = settings.compute(np.asarray(images[start:stop]))
            out[start:stop] = features
            digest.update(features)
            task.advance(stop - start)
    return digest.hexdigest()


def _load_valid(path: Path, meta_path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    """The cached array if its metadata, shape and checksum all agree; else None."""
    try:
        meta = json.loads(meta_path.read_text())
        array = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if tuple(array.shape) != shape or meta.get("checksum") != _checksum(array):
        return None
    return array


def featurize(
    images: np.ndarray,
    settings: SignatureSettings,
    *,
    cache_dir: Path | None = None,
    progress: Progress = SILENT,
) -> Features:
    """Signature features of every image, from the cache when an identical run made them."""
    started = time.perf_counter()
    images = as_nhwc(images)
    shape = (len(images), *settings.feature_shape(images.shape))
    if cache_dir is None:
        out = np.empty(shape, dtype=np.float32)
        _fill(out, images, settings, progress)
        return Features(out, "off", time.perf_counter() - started)

    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = cache_key(images, settings)
    path, meta_path = cache_dir / f"{key}.npy", cache_dir / f"{key}.json"
    status = "miss"
    if path.exists() or meta_path.exists():
        cached = _load_valid(path, meta_path, shape)
        if cached is not None:
            return Features(cached, "hit", time.perf_counter() - started)
        log.warning("feature cache %s is incomplete or corrupt; recomputing it", path)
        status = "rebuilt"

    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    out = np.lib.format.open_memmap(temporary, mode="w+", dtype=np.float32, shape=shape)
    checksum = _fill(out, images, settings, progress)
    out.flush()
    meta = {"settings": asdict(settings), "shape": list(shape), "checksum": checksum}
    del out
    os.replace(temporary, path)
    # The metadata goes last: a file without it is never trusted.
    meta_temporary = meta_path.with_name(f".{meta_path.name}.tmp-{os.getpid()}")
    meta_temporary.write_text(json.dumps(meta))
    os.replace(meta_temporary, meta_path)
    return Features(np.load(path, mmap_mode="r"), status, time.perf_counter() - started)
