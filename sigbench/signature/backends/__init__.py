"""Signature backends behind one function each: (B, L, D) paths -> (B, length) signatures.

Paths arrive as a C-contiguous float32/float64 numpy array that owns its memory (so that
pysiglib reads it in place); the result is a numpy array. numpy, not torch, on this side:
given tensors, pysiglib checks its output with multi-threaded torch ops, which cost more
than the signatures themselves on small batches when the cores are busy.

Every backend computes the signature without the leading 1 and the log-signature in the
Lyndon basis, so all five are interchangeable.

Backend modules, and the packages they wrap, are imported only when first used: importing
``sigbench.signature`` pulls in none of signatory, iisignature, pysiglib or numba.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import cache

import numpy as np

from sigbench.errors import SigbenchError
from sigbench.options import AUTO_BACKEND

log = logging.getLogger(__name__)

SignatureFunction = Callable[[np.ndarray, int, bool], np.ndarray]
# (uint8 streams (N, streams, points, C), dtype, depth, log_sig) -> (N * streams, length)
PixelFunction = Callable[[np.ndarray, np.dtype, int, bool], np.ndarray]

# The module of each name in sigbench.options.SIGNATURE_BACKENDS (fastest first, as measured
# by scripts/bench_signature.py): "auto" takes the first that loads.
BACKENDS: dict[str, str] = {
    "lanes": "sigbench.signature.backends.lanes",
    "pysiglib": "sigbench.signature.backends.pysiglib_backend",
    "signatory": "sigbench.signature.backends.signatory_backend",
    "torch": "sigbench.signature.backends.torch_backend",
    "iisignature": "sigbench.signature.backends.iisignature_backend",
}


# Why each backend that did not load did not: "ImportError: No module named 'signatory'".
LOAD_FAILURES: dict[str, str] = {}


@cache
def _load(name: str) -> SignatureFunction | None:
    """The backend's function, or None when its package is not installed: an ImportError,
    or an OSError (signatory built against another torch fails to load its library). Any
    other exception is a bug in the backend and propagates."""
    try:
        return importlib.import_module(BACKENDS[name]).signatures
    except (ImportError, OSError) as exc:
        LOAD_FAILURES[name] = f"{type(exc).__name__}: {exc}"
        return None


def available_backends() -> list[str]:
    """Installed backends, fastest first."""
    return [name for name in BACKENDS if _load(name) is not None]


# Where "auto" prefers another backend to the first: at depth 1 the signature is just the
# increment, which pysiglib returned faster than lanes in scripts/bench_signature.py
# (32x32 RGB: 457,282 against 161,662 images/s; lanes led at depths 2 to 5).
AUTO_BY_DEPTH = {1: "pysiglib"}


# What "auto" takes to featurize on a CUDA device: the torch backend, the one that runs
# there with every PyTorch build (signatory and pysiglib need CUDA builds of their own;
# scripts/gpu_check.py measures the three side by side). Any other backend named runs on
# the CPU whatever the device.
GPU_AUTO_BACKEND = "torch"


def resolve_backend(name: str, depth: int | None = None, device: str = "cpu") -> str:
    """``auto`` -> the fastest installed backend (for ``depth``, when given; on ``device``,
    a torch device name); any other name is checked to be usable."""
    if name == AUTO_BACKEND and device.startswith("cuda"):
        return GPU_AUTO_BACKEND
    if name == AUTO_BACKEND:
        preferred = AUTO_BY_DEPTH.get(depth) if depth is not None else None
        order = [preferred, *BACKENDS] if preferred else list(BACKENDS)
        chosen = next(backend for backend in order if _load(backend) is not None)
        for skipped in order[: order.index(chosen)]:
            _report_fallback(skipped, chosen)
        return chosen
    if name not in BACKENDS:
        raise SigbenchError(
            f"signature.backend = {name!r}: choose auto or one of {', '.join(BACKENDS)}"
        )
    if _load(name) is None:
        raise SigbenchError(
            f"signature.backend = {name!r} is not installed here; "
            f"installed: {', '.join(available_backends())}"
        )
    return name


@cache
def _report_fallback(skipped: str, chosen: str) -> None:
    """Say once per process why ``auto`` passed over a faster backend."""
    log.warning(
        "signature.backend auto: %s did not load (%s); using %s, which may be several times slower",
        skipped,
        LOAD_FAILURES.get(skipped, "not installed"),
        chosen,
    )


def backend_function(name: str, depth: int | None = None, device: str = "cpu") -> SignatureFunction:
    """The ``signatures(paths, depth, log_sig)`` function of a backend (or ``auto``, for
    ``depth`` when given), computing on ``device`` where the backend can (torch)."""
    resolved = resolve_backend(name, depth, device)
    if resolved == "torch" and device != "cpu":
        return importlib.import_module(BACKENDS["torch"]).signatures_on(device)
    function = _load(resolved)
    assert function is not None  # resolve_backend only returns loadable backends
    return function


def pixel_function(
    name: str, depth: int | None = None, device: str = "cpu"
) -> PixelFunction | None:
    """A backend's ``pixel_signatures``, which reads uint8 streams and scales them itself
    (no float copy of the images), or None when it has none."""
    module = importlib.import_module(BACKENDS[resolve_backend(name, depth, device)])
    return getattr(module, "pixel_signatures", None)
