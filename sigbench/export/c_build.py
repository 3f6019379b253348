"""A C export compiled with the system C compiler and called through ctypes: the export check,
``sigbench predict`` and ``bench inference`` run the file itself, without torch.

The shared library holds ``model.c`` plus a one-loop batch wrapper (sigbench's, not part of
the export), so that a batch costs one ctypes call. Builds are cached under the temporary
directory, keyed by the sources, the compiler and its flags.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigbench.errors import SigbenchError
from sigbench.export.info import ExportInfo

HEADER = "model.h"
SOURCE = "model.c"
INFO_MARK = "sigbench-info: "  # model.h's comment line carrying the ExportInfo JSON
# Strict C99 and warnings as errors: the check also proves the file is plain C99. -O3 and
# -march=native as a deployment on this CPU would build it; FMA contraction allowed.
CFLAGS = (
    "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O3", "-march=native",
    "-ffp-contract=fast", "-fPIC", "-shared",
)  # fmt: skip
BATCH_WRAPPER = """#include "model.h"
void sigbench_model_predict_batch(const uint8_t *pixels, long count, float *scores) {
  const long size = (long)SIGBENCH_MODEL_HEIGHT * SIGBENCH_MODEL_WIDTH * SIGBENCH_MODEL_CHANNELS;
  for (long i = 0; i < count; i++)
    sigbench_model_predict(pixels + i * size, scores + i * SIGBENCH_MODEL_CLASSES);
}
"""


def is_c_export(path: Path) -> bool:
    """A folder holding ``model.c`` and ``model.h``."""
    path = Path(path)
    return path.is_dir() and (path / SOURCE).is_file() and (path / HEADER).is_file()


def read_c_info(header: Path) -> str | None:
    """The ExportInfo JSON stored in a ``model.h``, or None if sigbench did not write it."""
    for line in Path(header).read_text(errors="replace").splitlines()[:5]:
        start = line.find(INFO_MARK)
        if start >= 0:
            return line[start + len(INFO_MARK) :]
    return None


def compiler() -> str:
    """``$CC``, else ``cc``: the system C compiler."""
    name = os.environ.get("CC", "cc")
    if shutil.which(name) is None:
        raise SigbenchError(
            f"no C compiler {name!r} on PATH: install one (Debian: apt-get install gcc) or set CC"
        )
    return name


def build_shared(directory: Path) -> Path:
    """The export in ``directory`` compiled to a shared library (cached)."""
    cc = compiler()
    sources = [(Path(directory) / name).read_bytes() for name in (HEADER, SOURCE)]
    key = hashlib.sha256(b"\0".join([*sources, cc.encode(), " ".join(CFLAGS).encode()]))
    cache = Path(tempfile.gettempdir()) / "sigbench-c"
    library = cache / f"{key.hexdigest()[:24]}.so"
    if library.is_file():
        return library
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        wrapper = Path(scratch) / "batch.c"
        wrapper.write_text(BATCH_WRAPPER)
        built = Path(scratch) / "model.so"
        command = [cc, *CFLAGS, "-I", str(directory), str(Path(directory) / SOURCE)]
        command += [str(wrapper), "-o", str(built), "-lm"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["no output"]
            first = next((line for line in lines if "error" in line), lines[0])
            raise SigbenchError(f"{directory}: {cc} could not compile {SOURCE}: {first}")
        os.replace(built, library)
    return library


@dataclass
class CModel:
    """A compiled C export: the same ``predict_proba`` as the ONNX and TorchScript models."""

    info: ExportInfo
    path: Path
    library: Path

    def __post_init__(self) -> None:
        self._predict = ctypes.CDLL(str(self.library)).sigbench_model_predict_batch
        self._predict.restype = None
        self._predict.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_void_p]

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, H, W, C) -> float32 (N, K), one C call for the batch."""
        height, width = self.info.height_width
        pixels = np.ascontiguousarray(images, dtype=np.uint8)
        if pixels.shape[1:] != (height, width, self.info.channels):
            raise SigbenchError(
                f"{self.path}: images of shape {pixels.shape[1:]}, the file takes "
                f"{(height, width, self.info.channels)}"
            )
        scores = np.empty((len(pixels), len(self.info.classes)), np.float32)
        self._predict(pixels.ctypes.data, len(pixels), scores.ctypes.data)
        return scores


def load_c(directory: Path) -> CModel:
    """Compile and open the C export in ``directory``."""
    text = read_c_info(Path(directory) / HEADER)
    if text is None:
        raise SigbenchError(
            f"{directory}: its {HEADER} was not written by `sigbench export --format c` "
            "(no sigbench-info line)"
        )
    info = ExportInfo.from_json(text, Path(directory) / HEADER)
    return CModel(info, Path(directory), build_shared(directory))
