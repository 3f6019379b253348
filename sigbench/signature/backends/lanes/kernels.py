"""Compiling the lane kernels once per machine: where they are cached, and which one a
(channels, depth) gets.

Compiled code is cached by numba (``cache=True``), so only the first process on a machine
pays the compile. The generated kernels live as ``.py`` files in a writable folder (numba
then caches beside them): ``$NUMBA_CACHE_DIR/sigbench-lanes`` when that is set, else
``~/.cache/sigbench/lanes`` (``$XDG_CACHE_HOME``), else the temp folder. The generic kernel
is part of the package; when numba finds no writable place for its cache either (a
read-only site-packages and home), it is pointed at the same folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

import llvmlite.binding as llvm
import numba
import numpy as np

from sigbench.errors import SigbenchError
from sigbench.signature.backends.lanes.backward_codegen import backward_fits, backward_source
from sigbench.signature.backends.lanes.codegen import fits, kernel_source
from sigbench.signature.backends.lanes.generic import generic_kernel
from sigbench.signature.backends.lanes.generic_backward import generic_backward_kernel

Kernel = Callable[[np.ndarray, float, np.ndarray, np.ndarray, int, int], None]
BackwardKernel = Callable[
    [np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int], None
]

# LLVM's loop vectorizer gives up on a lane loop whose body has more memory accesses than
# its default limits on dependence checks (100) and runtime alias checks (8), which every
# unrolled body here has: the loops then run one lane at a time, 5x slower. The accesses
# are all to distinct, fixed offsets, so the checks are cheap. Raising the limits changes
# nothing else numba compiles, except that more loops may vectorize.
for option in (
    "-max-dependences=100000",
    "-runtime-memory-check-threshold=100000",
    "-memory-check-merge-threshold=100000",
):
    llvm.set_option("", option)

JIT_OPTIONS = {
    "nogil": True,
    "fastmath": True,
    "cache": True,
    "error_model": "numpy",
    "boundscheck": False,
}

_loading = threading.Lock()


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


@cache
def kernel_folder() -> Path:
    """The first writable folder of: $NUMBA_CACHE_DIR/sigbench-lanes, the user cache, tmp."""
    candidates = []
    if os.environ.get("NUMBA_CACHE_DIR"):
        candidates.append(Path(os.environ["NUMBA_CACHE_DIR"]) / "sigbench-lanes")
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    candidates.append(Path(user_cache) / "sigbench" / "lanes")
    candidates.append(Path(tempfile.gettempdir()) / f"sigbench-lanes-{os.getuid()}")
    for folder in candidates:
        if _writable(folder):
            return folder
    tried = ", ".join(map(str, candidates))
    raise SigbenchError(
        f"no writable folder for the lanes backend's compiled kernels (tried {tried}): "
        "set NUMBA_CACHE_DIR to one"
    )


def _import_generated(source: str, prefix: str, function: str) -> Callable:
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    name = f"{prefix}_{digest}"  # a new generator, a new file
    path = kernel_folder() / f"{name}.py"
    if not path.exists():  # rewriting an existing file would make numba's cache stale
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(source)
        partial.replace(path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache finds the module by name when loading
    spec.loader.exec_module(module)
    return getattr(module, function)


@cache
def _generated(channels: int, depth: int) -> Kernel:
    with _loading:
        source = kernel_source(channels, depth)
        return _import_generated(source, f"sigbench_lanes_c{channels}_d{depth}", "kernel")


@cache
def _generated_backward(channels: int, depth: int) -> BackwardKernel:
    with _loading:
        source = backward_source(channels, depth)
        prefix = f"sigbench_lanes_backward_c{channels}_d{depth}"
        return _import_generated(source, prefix, "backward")


def _compiled(function: Callable) -> Callable:
    with _loading:
        try:
            return numba.njit(**JIT_OPTIONS)(function)
        except RuntimeError:  # numba: "no locator available", nowhere to write its cache
            numba.config.CACHE_DIR = str(kernel_folder())
            return numba.njit(**JIT_OPTIONS)(function)


@cache
def generic() -> Callable[[np.ndarray, float, np.ndarray, int, np.ndarray, int, int], None]:
    """The generic kernel, compiled (on first call, per dtype) and cached."""
    return _compiled(generic_kernel)


@cache
def generic_backward() -> Callable[..., None]:
    """The generic backward kernel (``generic_backward``), compiled and cached."""
    return _compiled(generic_backward_kernel)


def kernel_for(channels: int, depth: int, *, unrolled: bool | None = None) -> Kernel:
    """The kernel for paths of ``channels`` to ``depth``: unrolled where that compiles in
    seconds (``unrolled`` forces a choice, for tests), the generic one otherwise."""
    if unrolled if unrolled is not None else fits(channels, depth):
        return _generated(channels, depth)
    function = generic()

    def run(
        paths: np.ndarray, scale: float, inverse: np.ndarray, out: np.ndarray, start: int, stop: int
    ) -> None:
        function(paths, scale, inverse, depth, out, start, stop)

    return run


def backward_kernel_for(
    channels: int, depth: int, *, unrolled: bool | None = None
) -> BackwardKernel:
    """The vector-Jacobian kernel for paths of ``channels`` to ``depth`` (>= 2),
    ``kernel(paths, signatures, grads, inverse, out, start, stop)``: unrolled where that
    compiles in reasonable time (``unrolled`` forces a choice, for tests), else generic."""
    if unrolled if unrolled is not None else backward_fits(channels, depth):
        return _generated_backward(channels, depth)
    function = generic_backward()

    def run(
        paths: np.ndarray,
        signatures: np.ndarray,
        grads: np.ndarray,
        inverse: np.ndarray,
        out: np.ndarray,
        start: int,
        stop: int,
    ) -> None:
        function(paths, signatures, grads, inverse, depth, out, start, stop)

    return run
