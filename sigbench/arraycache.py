"""Cached arrays on disk, trusted only when they check out: the feature and pixel caches.

An entry is ``<key>.npy`` plus a sidecar ``<key>.json``. The key is whatever the caller
hashes (:func:`cache_key`: a description plus array bytes, with xxh3 at about 15 GB/s here,
so the pixels of 100k 64x64 images cost under 0.1 s; blake2b managed 0.5 GB/s).

Writes go to a temporary name and are renamed when whole, the sidecar last, so a killed
run never leaves a file that looks complete. What can still go wrong later (a truncated
copy, a full disk, an overwritten file) is caught by the sidecar: the file's exact size
and an xxh3 checksum of the array bytes, taken batch by batch as they were written and
checked against the whole file on every load. A damaged entry is reported and rebuilt.

Arrays are read back as memory maps, which can be larger than RAM. Pages of a map that
were read count towards the process's resident memory until unmapped, so the readers that
sweep a whole map call :func:`release` as they go: the data stays in the page cache, and
reading it again costs a minor page fault rather than a disk read.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import xxhash
from filelock import FileLock

log = logging.getLogger(__name__)

FORMAT = 2
HASH_CHUNK = 1 << 24  # bytes per hash update (and per release while hashing a memory map)


def _shared_mapping(array: np.ndarray) -> mmap.mmap | None:
    """The shared file mapping under ``array`` (a ``np.memmap`` or a view of one), if any.

    A private copy-on-write map (mode ``"c"``) would lose its changes: it is not offered.
    """
    base: Any = array
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if base is None or base.mode == "c":
        return None
    return getattr(base, "_mmap", None)


def release(array: np.ndarray) -> None:
    """Drop the pages of ``array``'s memory map from this process (no-op for plain arrays).

    The pages of a shared map live on in the page cache and the file, so nothing is lost.
    """
    mapping = _shared_mapping(array)
    if mapping is not None and not mapping.closed:
        mapping.madvise(mmap.MADV_DONTNEED)


def scratch_array(
    shape: tuple[int, ...], directory: Path, dtype: np.dtype = np.dtype(np.uint8)
) -> np.ndarray:
    """A zeroed writable array backed by an unnamed file in ``directory``, for data derived
    from a cached array (augmented or resampled images): it lives in the page cache, not in
    this process, and the file is gone once the array is."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if nbytes == 0:
        return np.zeros(shape, dtype=dtype)
    directory.mkdir(parents=True, exist_ok=True)
    with naming(directory, nbytes), tempfile.TemporaryFile(dir=directory) as file:
        if hasattr(os, "posix_fallocate"):
            # Reserved, not sparse: on a full disk a store into a sparse map kills the
            # process with SIGBUS; this fails here, as an OSError naming the folder.
            os.posix_fallocate(file.fileno(), 0, nbytes)
        else:
            file.truncate(nbytes)
        return np.memmap(file, dtype=dtype, mode="r+", shape=shape)


def row_chunks(array: np.ndarray, rows: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, array[start:start + rows])`` in order, releasing map pages after each one."""
    for start in range(0, len(array), rows):
        yield start, array[start : start + rows]
        release(array)


def _digest_rows(digest: xxhash.xxh3_128, array: np.ndarray) -> None:
    """Feed an array's bytes to ``digest``, a chunk of rows at a time."""
    rows = max(1, HASH_CHUNK // max(array[0].nbytes, 1)) if len(array) else 1
    for _, chunk in row_chunks(array, rows):
        digest.update(np.ascontiguousarray(chunk))


def cache_key(description: dict[str, object], *arrays: np.ndarray) -> str:
    """xxh3 of the description (plus FORMAT) and the bytes of ``arrays``."""
    text = json.dumps({**description, "format": FORMAT}, sort_keys=True)
    digest = xxhash.xxh3_128(text.encode())
    for array in arrays:
        _digest_rows(digest, array)
    return digest.hexdigest()


def checksum(array: np.ndarray) -> str:
    digest = xxhash.xxh3_128()
    _digest_rows(digest, array)
    return digest.hexdigest()


NEEDED_BYTES = "needed_bytes"  # the attribute an OSError from :func:`naming` may carry


@contextmanager
def naming(folder: Path, needed_bytes: int | None = None) -> Iterator[None]:
    """An OSError raised inside names ``folder`` when it names no file (a write on a full
    disk does not), and carries ``needed_bytes``, what the step needed, so that the CLI can
    say in one line where it failed and, for a full disk, how much space was missing."""
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(folder)
        if needed_bytes is not None and getattr(error, NEEDED_BYTES, None) is None:
            setattr(error, NEEDED_BYTES, needed_bytes)
        raise


class ArrayCache:
    """One cache entry: an array of ``dtype`` for one key in one folder.

    ``what`` names the cache in the warning about a damaged entry ("feature cache").
    """

    def __init__(
        self,
        directory: Path,
        key: str,
        description: dict[str, object],
        dtype: np.dtype,
        what: str,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.array_path = directory / f"{key}.npy"
        self.meta_path = directory / f"{key}.json"
        self.description = description
        self.dtype = np.dtype(dtype)
        self.what = what

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the entry's lock (``.<key>.lock``, a blocking ``filelock``) so that processes
        wanting the same entry make it once: the first builds it, the others then hit it.
        The kernel drops the lock when its holder dies."""
        with FileLock(self.directory / f".{self.array_path.stem}.lock", thread_local=False):
            yield

    def load(self, shape: tuple[int, ...]) -> tuple[np.ndarray | None, dict[str, Any], bool]:
        """(the cached array, the extras committed with it, False) when the entry is valid,
        else (None, {}, damaged)."""
        if not self.array_path.exists() and not self.meta_path.exists():
            return None, {}, False
        try:
            meta = json.loads(self.meta_path.read_text())
            array = np.load(self.array_path, mmap_mode="r")
            valid = (
                tuple(array.shape) == shape
                and array.dtype == self.dtype
                and self.array_path.stat().st_size == meta["bytes"]
                and checksum(array) == meta["checksum"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            valid = False
        if valid:
            return array, meta.get("extras", {}), False
        log.warning("%s %s is incomplete or corrupt; recomputing it", self.what, self.array_path)
        return None, {}, True

    @contextmanager
    def writer(self, shape: tuple[int, ...]) -> Iterator[CacheWriter]:
        """A writer into a temporary file, which is gone afterwards unless committed.

        A full disk or a folder that cannot be written is an OSError naming the cache
        folder and, for a full disk, the bytes the entry needed (:func:`naming`)."""
        name = f".{self.array_path.name}.tmp-{os.getpid()}-{threading.get_ident()}"
        temporary = self.directory / name
        try:
            with naming(self.directory):
                file = temporary.open("wb")
            with file:
                header = {"descr": self.dtype.str, "fortran_order": False, "shape": tuple(shape)}
                size = int(np.prod(shape)) * self.dtype.itemsize
                with naming(self.directory, size):
                    np.lib.format.write_array_header_1_0(file, header)
                    if hasattr(os, "posix_fallocate"):
                        # Reserve the whole file now: a full disk fails here, not after
                        # minutes of work, and the writes get cheaper (a quarter less CPU).
                        os.posix_fallocate(file.fileno(), 0, file.tell() + size)
                yield CacheWriter(self, temporary, file, size)
        finally:
            temporary.unlink(missing_ok=True)


class CacheWriter:
    """Appends row batches to a temporary ``.npy``; ``commit`` publishes it."""

    def __init__(self, cache: ArrayCache, temporary: Path, file: BinaryIO, size: int) -> None:
        self.cache, self.temporary, self.file = cache, temporary, file
        self.size = size  # the array's bytes: what a full disk is told the entry needs
        self.digest = xxhash.xxh3_128()
        self.rows = 0

    def write(self, start: int, rows: np.ndarray) -> None:
        """Rows ``start:start + len(rows)``; batches come in order. (Writing with the file
        API rather than into a memory map keeps the written pages out of this process.)"""
        if start != self.rows:
            raise RuntimeError(f"batch for row {start} arrived before row {self.rows}")
        rows = np.ascontiguousarray(rows, dtype=self.cache.dtype)
        self.digest.update(rows)  # while the batch is in cache: no re-reading the file
        with naming(self.cache.directory, self.size):
            self.file.write(rows)
        self.rows += len(rows)

    def commit(self, extras: dict[str, Any] | None = None) -> np.ndarray:
        """Publish the file and its sidecar (holding ``extras``, plain JSON, for ``load``);
        return the array memory-mapped, read-only."""
        with naming(self.cache.directory, self.size):
            self.file.flush()
        meta = {
            "settings": self.cache.description,
            "bytes": self.temporary.stat().st_size,
            "checksum": self.digest.hexdigest(),
            "extras": extras or {},
        }
        os.replace(self.temporary, self.cache.array_path)
        # The sidecar goes last: an array without one is never trusted.
        meta_temporary = self.temporary.with_name(f"{self.temporary.name}.json")
        try:
            with naming(self.cache.directory):
                meta_temporary.write_text(json.dumps(meta, indent=1))
        except OSError:
            meta_temporary.unlink(missing_ok=True)
            raise
        os.replace(meta_temporary, self.cache.meta_path)
        return np.load(self.cache.array_path, mmap_mode="r")
