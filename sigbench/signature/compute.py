"""``image_signatures``: uint8 images in, (N, streams, length) signature features out.

A :class:`SignaturePlan` checks the settings and resolves the backend once, then signs
batch after batch (``featurize`` calls it from several worker threads at once).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from sigbench.errors import SigbenchError
from sigbench.signature.backends import backend_function, pixel_function
from sigbench.signature.lyndon import lyndon_words
from sigbench.signature.streams import (
    check_path,
    stream_groups,
    transformed_channels,
    transformed_paths,
)

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def signature_length(
    channels: int, depth: int, *, log_sig: bool = False, path: str = "none"
) -> int:
    """Features per stream: D + D^2 + ... + D^depth, or the Lyndon-word count for log_sig."""
    dimension = transformed_channels(channels, check_path(path))
    if log_sig:
        return len(lyndon_words(dimension, depth))
    return sum(dimension**k for k in range(1, depth + 1))


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
    """How to sign a batch of images: settings checked and the backend resolved once."""

    def __init__(
        self,
        depth: int,
        *,
        two_direction: bool = False,
        log_sig: bool = False,
        path: str = "none",
        backend: str = "auto",
        dtype: DTypeLike = np.float32,
    ) -> None:
        if depth < 1:
            raise SigbenchError(f"signature.depth = {depth}: must be at least 1")
        self.dtype = np.dtype(dtype)
        if self.dtype not in FLOAT_DTYPES:
            raise SigbenchError(f"dtype {self.dtype}: choose float32 or float64")
        self.depth, self.two_direction, self.log_sig = depth, two_direction, log_sig
        self.path = check_path(path)
        self.function = backend_function(backend, depth)
        self.pixel_function = pixel_function(backend, depth) if path == "none" else None

    def _sign(self, paths: np.ndarray) -> np.ndarray:
        # Cases that some backends refuse, answered here for all of them: no paths, or
        # one-point paths, whose signature is 0 (signatory); one-channel log-signatures,
        # which are just the increment, the only Lyndon word being one letter (iisignature).
        if len(paths) == 0 or paths.shape[1] < 2:
            length = signature_length(paths.shape[-1], self.depth, log_sig=self.log_sig)
            return np.zeros((len(paths), length), paths.dtype)
        if self.log_sig and paths.shape[-1] == 1:
            return paths[:, -1] - paths[:, 0]
        return self.function(paths, self.depth, self.log_sig)

    def _sign_group(self, group: np.ndarray) -> np.ndarray:
        """uint8 streams (N, streams, points, C) -> (N * streams, length): straight from
        the pixels where the backend reads them, else from float paths."""
        count, streams, points, channels = group.shape
        usual = count * streams > 0 and points >= 2 and not (self.log_sig and channels == 1)
        if self.pixel_function is not None and usual:
            return self.pixel_function(group, self.dtype, self.depth, self.log_sig)
        return self._sign(transformed_paths(group, self.path, self.dtype))

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """uint8 images (N, H, W[, C]) -> features (N, streams, length): rows, then columns."""
        images = as_nhwc(np.asarray(images))
        count, height, width = images.shape[:3]
        signed = [self._sign_group(group) for group in stream_groups(images, self.two_direction)]
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
    log-signature. All of it is computed at once: for datasets use ``featurize``.
    """
    plan = SignaturePlan(
        depth, two_direction=two_direction, log_sig=log_sig, path=path, backend=backend,
        dtype=dtype,
    )  # fmt: skip
    return plan(images)
