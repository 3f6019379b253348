"""``image_signatures``: uint8 images in, (N, streams, length) signature features out.

A :class:`SignaturePlan` carries out a :class:`SignatureSpec`: it resolves the backend once,
then signs batch after batch (``featurize`` calls it from several worker threads at once).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import DTypeLike

from sigbench.errors import SigbenchError
from sigbench.signature.backends import backend_function, pixel_function
from sigbench.signature.spec import SignatureSpec
from sigbench.signature.streams import stream_groups, transformed_paths

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_nhwc(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) or (N, H, W, C) -> (N, H, W, C), without copying."""
    if images.dtype != np.uint8:
        raise SigbenchError(f"images must be uint8 (0-255), got {images.dtype}")
    if images.ndim == 3:
        return images[..., None]
    if images.ndim != 4:
        raise SigbenchError(
            f"images must have shape (N, H, W) or (N, H, W, C), got {tuple(images.shape)}"
        )
    return images


class SignaturePlan:
    """How to sign batches of images by ``spec``, in ``dtype``: the backend resolved once."""

    def __init__(
        self, spec: SignatureSpec, dtype: DTypeLike = np.float32, device: str = "cpu"
    ) -> None:
        self.dtype = np.dtype(dtype)
        if self.dtype not in FLOAT_DTYPES:
            raise SigbenchError(f"dtype {self.dtype}: choose float32 or float64")
        self.spec = spec
        self.device = device  # where the backend computes, if it can (see backend_function)
        self.function = backend_function(spec.backend, spec.depth, device)
        self.pixel_function = (
            pixel_function(spec.backend, spec.depth, device) if spec.path == "none" else None
        )

    def _sign(self, paths: np.ndarray) -> np.ndarray:
        # Cases that some backends refuse, answered here for all of them: no paths, or
        # one-point paths, whose signature is 0 (signatory); one-channel log-signatures,
        # which are just the increment, the only Lyndon word being one letter (iisignature).
        if len(paths) == 0 or paths.shape[1] < 2:
            length = replace(self.spec, path="none").length(paths.shape[-1])  # transformed
            return np.zeros((len(paths), length), paths.dtype)
        if self.spec.log_sig and paths.shape[-1] == 1:
            return paths[:, -1] - paths[:, 0]
        return self.function(paths, self.spec.depth, self.spec.log_sig)

    def _sign_group(self, group: np.ndarray) -> np.ndarray:
        """uint8 streams (N, streams, points, C) -> (N * streams, length): straight from
        the pixels where the backend reads them, else from float paths."""
        count, streams, points, channels = group.shape
        usual = count * streams > 0 and points >= 2 and not (self.spec.log_sig and channels == 1)
        if self.pixel_function is not None and usual:
            return self.pixel_function(group, self.dtype, self.spec.depth, self.spec.log_sig)
        return self._sign(transformed_paths(group, self.spec.path, self.dtype))

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, H, W[, C]) -> features (N, streams, length): rows, then columns."""
        images = as_nhwc(np.asarray(images))
        count, height, width = images.shape[:3]
        groups = stream_groups(images, self.spec.two_direction)
        signed = [self._sign_group(group) for group in groups]
        parts = [
            group.reshape(count, streams, group.shape[-1])
            for group, streams in zip(signed, (height, width), strict=False)
        ]
        stacked = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        return stacked.astype(self.dtype, copy=False)


def image_signatures(
    images: np.ndarray,
    depth: int,
    *,
    two_direction: bool = False,
    log_sig: bool = False,
    path: str = "none",
    backend: str = "auto",
    dtype: DTypeLike = np.float32,
) -> np.ndarray:
    """The stacked stream signatures of each image: (N, streams, length) in ``dtype``.

    ``images`` are uint8 (N, H, W, C) or (N, H, W) (one channel); pixels are scaled to
    [0, 1]. Each row is a stream (``two_direction`` appends the columns, see ``streams``);
    ``path`` transforms every stream first; ``log_sig`` gives the Lyndon-basis
    log-signature (see :class:`SignatureSpec`). All of it is computed at once: for datasets
    use ``featurize``.
    """
    spec = SignatureSpec(depth, two_direction, log_sig, path, backend)
    return SignaturePlan(spec, dtype)(images)
