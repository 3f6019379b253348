"""Signature backends behind one function each: (B, L, D) paths -> (B, length) signatures.

Paths arrive as a contiguous CPU tensor (each backend reads it without a copy); the
result is a numpy array.

Every backend is imported lazily so that ``import sigbench.signature`` pulls in none of
the optional packages. ``auto`` picks the fastest installed backend, measured by
``scripts/bench_signature.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

import numpy as np
import torch

from sigbench.errors import SigbenchError

SignatureFunction = Callable[[torch.Tensor, int, bool], np.ndarray]

# Fastest first (see the README's benchmark table).
BACKENDS: dict[str, tuple[str, str]] = {
    "pysiglib": ("pysiglib", "sigbench.signature.backends.pysiglib_backend"),
    "signatory": ("signatory", "sigbench.signature.backends.signatory_backend"),
    "torch": ("torch", "sigbench.signature.backends.torch_backend"),
    "iisignature": ("iisignature", "sigbench.signature.backends.iisignature_backend"),
}


@cache
def _installed(package: str) -> bool:
    try:
        importlib.import_module(package)
    except Exception:  # an extension built against another torch fails with other errors too
        return False
    return True


def available_backends() -> list[str]:
    """Installed backends, fastest first."""
    return [name for name, (package, _) in BACKENDS.items() if _installed(package)]


def resolve_backend(name: str) -> str:
    """``auto`` -> the fastest installed backend; otherwise check ``name`` is usable."""
    installed = available_backends()
    if name == "auto":
        return installed[0]
    if name not in BACKENDS:
        raise SigbenchError(
            f"signature.backend = {name!r}: choose auto or one of {', '.join(BACKENDS)}"
        )
    if name not in installed:
        raise SigbenchError(
            f"signature.backend = {name!r} is not installed here; installed: {', '.join(installed)}"
        )
    return name


def backend_function(name: str) -> SignatureFunction:
    """The ``signatures(paths, depth, log_sig)`` function of a resolved backend."""
    module = importlib.import_module(BACKENDS[resolve_backend(name)][1])
    return module.signatures
