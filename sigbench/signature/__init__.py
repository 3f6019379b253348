"""The signature engine: images as streams of paths, and their truncated signatures.

It knows arrays, not datasets or models::

    from sigbench.signature import image_signatures
    features = image_signatures(images, depth=4, two_direction=True, path="time")

``featurize`` does the same for a whole dataset, in batches, through a file cache;
``ImageSignatureLayer`` is the same computation as a differentiable torch layer, and
``differentiable_signatures`` / ``lanes_signature`` sign paths through autograd (``layer``).
"""

from sigbench.signature.backends import available_backends, resolve_backend
from sigbench.signature.compute import image_signatures, signature_length
from sigbench.signature.featurize import Features, SignatureSettings, featurize
from sigbench.signature.layer import (
    ImageSignatureLayer,
    differentiable_signatures,
    lanes_signature,
)
from sigbench.signature.streams import PATH_TRANSFORMS, stream_count

__all__ = [
    "PATH_TRANSFORMS",
    "Features",
    "ImageSignatureLayer",
    "SignatureSettings",
    "available_backends",
    "differentiable_signatures",
    "featurize",
    "image_signatures",
    "lanes_signature",
    "resolve_backend",
    "signature_length",
    "stream_count",
]
