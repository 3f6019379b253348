"""The IDX format of MNIST and Fashion-MNIST: a magic number, big-endian sizes, raw bytes."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from sigbench.errors import SigbenchError

_UNSIGNED_BYTE = 0x08


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (gzipped or not) as a uint8 array of its stated shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            data = handle.read()
    except (OSError, EOFError) as exc:
        raise SigbenchError(f"{path}: cannot read ({exc}); expected an IDX file") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != _UNSIGNED_BYTE:
        raise SigbenchError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(data[4:header], dtype=">u4"))
    if len(shape) != ndim or len(data) - header != int(np.prod(shape)):
        raise SigbenchError(
            f"{path}: IDX header says shape {shape} but the file holds {len(data) - header} "
            "bytes of data; the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
