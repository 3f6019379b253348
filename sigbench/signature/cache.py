"""The feature cache: one ``.npy`` per (settings, images), trusted only when it checks out.

An entry is ``<settings>-<content>.npy`` plus a sidecar ``.json``. ``<settings>`` hashes
everything but the pixels (settings, resolved backend, image shape, dtype, format), so
"no entry starts with it" proves a miss without reading the images; ``<content>`` is a
blake2b digest of the pixel bytes.

Writes go to a temporary name and are renamed when whole, the sidecar last, so a killed
run never leaves a file that looks complete. What can still go wrong later (a truncated
copy, a full disk, a file overwritten) is caught by the sidecar: exact byte size, shape,
dtype and a checksum of 64 blocks spread over the file (the whole file when it is under
4 MB). That costs milliseconds even for a multi-GB cache, where a full checksum would cost
as much as reading the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

log = logging.getLogger(__name__)

FORMAT = 2
DTYPE = np.dtype(np.float32)
HASH_CHUNK = 1 << 24
SPOT_BLOCKS = 64
SPOT_BYTES = 1 << 16


def settings_key(description: dict[str, object]) -> str:
    """A short digest of everything but the pixels that changes the features."""
    text = json.dumps({**description, "format": FORMAT}, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def new_digest() -> hashlib.blake2b:
    return hashlib.blake2b(digest_size=16)


def image_digest(images: np.ndarray) -> str:
    """blake2b of the pixel bytes, a chunk at a time (images may be a large memmap)."""
    digest = new_digest()
    rows = max(1, HASH_CHUNK // max(images[0].nbytes, 1)) if len(images) else 1
    for start in range(0, len(images), rows):
        digest.update(np.ascontiguousarray(images[start : start + rows]))
    return digest.hexdigest()


def spot_checksum(path: Path) -> str:
    """crc32 of SPOT_BLOCKS blocks spread evenly over the file (all of it when small)."""
    size = path.stat().st_size
    checksum = 0
    with path.open("rb") as file:
        if size <= SPOT_BLOCKS * SPOT_BYTES:
            return f"{zlib.crc32(file.read()):08x}"
        for offset in np.linspace(0, size - SPOT_BYTES, SPOT_BLOCKS).astype(np.int64):
            file.seek(int(offset))
            checksum = zlib.crc32(file.read(SPOT_BYTES), checksum)
    return f"{checksum:08x}"


class FeatureCache:
    """The entries of one settings key in one folder."""

    def __init__(self, directory: Path, key: str, description: dict[str, object]) -> None:
        self.directory = Path(directory)
        self.key = key
        self.description = description
        self.directory.mkdir(parents=True, exist_ok=True)

    def paths(self, content: str) -> tuple[Path, Path]:
        stem = self.directory / f"{self.key}-{content}"
        return stem.with_suffix(".npy"), stem.with_suffix(".json")

    def has_entries(self) -> bool:
        """Whether any entry was made with these settings (else it is surely a miss)."""
        return any(self.directory.glob(f"{self.key}-*"))

    def load(self, content: str, shape: tuple[int, ...]) -> tuple[np.ndarray | None, bool]:
        """(the cached features, False) when valid; (None, damaged) otherwise."""
        array_path, meta_path = self.paths(content)
        if not array_path.exists() and not meta_path.exists():
            return None, False
        try:
            meta = json.loads(meta_path.read_text())
            array = np.load(array_path, mmap_mode="r")
            valid = (
                tuple(array.shape) == shape
                and array.dtype == DTYPE
                and array_path.stat().st_size == meta["bytes"]
                and spot_checksum(array_path) == meta["checksum"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            valid = False
        if valid:
            return array, False
        log.warning("feature cache %s is incomplete or corrupt; recomputing it", array_path)
        return None, True

    @contextmanager
    def writer(self, shape: tuple[int, ...]) -> Iterator[CacheWriter]:
        """A writer into a temporary file, which is gone afterwards unless committed."""
        temporary = self.directory / f".{self.key}.tmp-{os.getpid()}-{threading.get_ident()}"
        try:
            with temporary.open("wb") as file:
                header = {"descr": DTYPE.str, "fortran_order": False, "shape": shape}
                np.lib.format.write_array_header_1_0(file, header)
                yield CacheWriter(self, temporary, file, shape)
        finally:
            temporary.unlink(missing_ok=True)


class CacheWriter:
    """Writes features batch by batch into a temporary ``.npy``; ``commit`` publishes it."""

    def __init__(
        self, cache: FeatureCache, temporary: Path, file: BinaryIO, shape: tuple[int, ...]
    ) -> None:
        self.cache, self.temporary, self.file = cache, temporary, file
        self.data_offset = file.tell()
        self.row_bytes = int(np.prod(shape[1:])) * DTYPE.itemsize

    def write(self, start: int, features: np.ndarray) -> None:
        """Features of images ``start:start + len(features)`` (batches may come in any order)."""
        self.file.seek(self.data_offset + start * self.row_bytes)
        self.file.write(np.ascontiguousarray(features, dtype=DTYPE))

    def commit(self, content: str) -> np.ndarray:
        """Publish the file under its content digest; return it memory-mapped."""
        self.file.flush()
        array_path, meta_path = self.cache.paths(content)
        meta = {
            "settings": self.cache.description,
            "bytes": self.temporary.stat().st_size,
            "checksum": spot_checksum(self.temporary),
        }
        os.replace(self.temporary, array_path)
        # The sidecar goes last: an array without one is never trusted.
        meta_temporary = meta_path.with_name(f".{meta_path.name}.tmp-{os.getpid()}")
        meta_temporary.write_text(json.dumps(meta, indent=1))
        os.replace(meta_temporary, meta_path)
        return np.load(array_path, mmap_mode="r")
