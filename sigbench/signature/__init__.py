"""The signature engine: images as streams of paths, and their truncated signatures.

It knows arrays, not datasets or models::

    from sigbench.signature import image_signatures
    features = image_signatures(images, depth=4, two_direction=True, path="time")

One :class:`SignatureSpec` holds every setting that changes the features; ``featurize``
signs a whole dataset by a spec, in batches, through a file cache;
``ImageSignatureLayer(spec)`` is the same computation as a differentiable torch layer, and
``differentiable_signatures`` / ``lanes_signature`` sign paths through autograd (``layer``).

The names below load on first use: the config imports ``sigbench.signature.spec``, and
that must not pull in torch (the light CLI paths load the config).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sigbench.options import PATH_TRANSFORMS
    from sigbench.signature.backends import available_backends, resolve_backend
    from sigbench.signature.compute import image_signatures
    from sigbench.signature.featurizer import Features, featurize
    from sigbench.signature.layer import (
        ImageSignatureLayer,
        differentiable_signatures,
        lanes_signature,
    )
    from sigbench.signature.spec import SignatureSpec, stream_count

# Each public name and the module that defines it.
_EXPORTS = {
    "PATH_TRANSFORMS": "sigbench.options",
    "Features": "sigbench.signature.featurizer",
    "ImageSignatureLayer": "sigbench.signature.layer",
    "SignatureSpec": "sigbench.signature.spec",
    "available_backends": "sigbench.signature.backends",
    "differentiable_signatures": "sigbench.signature.layer",
    "featurize": "sigbench.signature.featurizer",
    "image_signatures": "sigbench.signature.compute",
    "lanes_signature": "sigbench.signature.layer",
    "resolve_backend": "sigbench.signature.backends",
    "stream_count": "sigbench.signature.spec",
}

__all__ = [
    "PATH_TRANSFORMS",
    "Features",
    "ImageSignatureLayer",
    "SignatureSpec",
    "available_backends",
    "differentiable_signatures",
    "featurize",
    "image_signatures",
    "lanes_signature",
    "resolve_backend",
    "stream_count",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
