"""``image_signatures``: uint8 images in, (N, streams, length) signature features out."""

from __future__ import annotations

import numpy as np
import torch

from sigbench.errors import SigbenchError
from sigbench.signature.backends import SignatureFunction, backend_function
from sigbench.signature.streams import apply_path_transform, check_path, image_streams

TORCH_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def signature_length(
    channels: int, depth: int, *, log_sig: bool = False, path: str = "none"
) -> int:
    """Features per stream: D + D^2 + ... + D^depth, or the Lyndon-word count for log_sig."""
    from sigbench.signature.lyndon import lyndon_words
    from sigbench.signature.streams import transformed_channels

    dimension = transformed_channels(channels, check_path(path))
    if log_sig:
        return len(lyndon_words(dimension, depth))
    return sum(dimension**k for k in range(1, depth + 1))


def as_nhwc(images: np.ndarray) -> np.ndarray:
    """(N, H, W) or (N, H, W, C) -> (N, H, W, C), without copying."""
    if images.ndim == 3:
        return images[..., None]
    if images.ndim != 4:
        raise SigbenchError(
            f"images must have shape (N, H, W) or (N, H, W, C), got {tuple(images.shape)}"
        )
    return images


def _signatures(
    compute: SignatureFunction, paths: torch.Tensor, depth: int, log_sig: bool
) -> np.ndarray:
    """One-channel log-signatures are just the increment (the only Lyndon word is a single
    letter); iisignature refuses that case, so it is answered here for every backend."""
    if log_sig and paths.shape[-1] == 1:
        return (paths[:, -1] - paths[:, 0]).numpy()
    return compute(paths, depth, log_sig)


def image_signatures(
    images: np.ndarray,
    depth: int,
    *,
    two_direction: bool = False,
    log_sig: bool = False,
    path: str = "none",
    backend: str = "auto",
    dtype: type = np.float32,
) -> np.ndarray:
    """The stacked stream signatures of each image: (N, streams, length) in ``dtype``.

    ``images`` are uint8 (N, H, W, C) or (N, H, W); pixels are scaled to [0, 1]. Each row is
    a stream (``two_direction`` appends the columns); ``path`` transforms every stream
    first; ``log_sig`` gives the Lyndon-basis log-signature.
    """
    if depth < 1:
        raise SigbenchError(f"signature.depth = {depth}: must be at least 1")
    check_path(path)
    compute = backend_function(backend)
    source = torch.from_numpy(np.ascontiguousarray(as_nhwc(np.asarray(images))))
    features = []
    for group in image_streams(source, two_direction):
        n, streams, points, channels = group.shape
        # Converting after the reshape gives a fresh tensor that owns its memory, which
        # the C++ backends read in place.
        pixels = group.reshape(n * streams, points, channels).to(TORCH_DTYPES[np.dtype(dtype)])
        paths = apply_path_transform(pixels.mul_(1 / 255), path)
        features.append(_signatures(compute, paths, depth, log_sig).reshape(n, streams, -1))
    stacked = features[0] if len(features) == 1 else np.concatenate(features, axis=1)
    return stacked.astype(dtype, copy=False)
