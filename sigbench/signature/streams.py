"""Images to streams, and the path transforms applied to every stream.

Row i of an image is a path of W points in R^C, read left to right. ``two_direction``
adds the columns: the rows of the image rotated 90 degrees counter-clockwise
(``rot90(image, 1)``), so stream H + j is column W - 1 - j read top to bottom (the
rightmost column first). The reference code rotates with ``cv2.warpAffine`` about
(W/2, H/2), which shifts the result by one pixel (checked with OpenCV on a 4x4 image): its
first column stream is all zeros and the leftmost column is lost. Here every column is a
stream.

The numpy side feeds the array backends; the torch side is the signature layer. Path
transforms are written once, in torch, and used by both (the array backends get the
result written straight into a numpy array).
"""

from __future__ import annotations

import numpy as np
import torch

from sigbench.signature.spec import check_path, transformed_channels, transformed_points


def stream_groups(images: np.ndarray, two_direction: bool) -> list[np.ndarray]:
    """(N, H, W, C) -> views (N, streams, points, C): the rows, then the columns.

    Two groups, not one, since rows have W points and columns H.
    """
    groups = [images]
    if two_direction:
        groups.append(np.rot90(images, 1, axes=(1, 2)))
    return groups


def image_streams(pixels: torch.Tensor, two_direction: bool) -> list[torch.Tensor]:
    """The torch twin of :func:`stream_groups`, for the signature layer."""
    groups = [pixels]
    if two_direction:
        groups.append(pixels.transpose(1, 2).flip(1))  # rot90, in ops every exporter knows
    return groups


def unit_paths(group: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """uint8 (N, streams, points, C) -> fresh (N * streams, points, C) in [0, 1], in one pass.

    Scaled as ``x * (1/255)`` in ``dtype``, exactly as the exported graph scales pixels
    before :class:`ImageSignatureLayer`, so both see bit-identical paths.
    """
    n, streams, points, channels = group.shape
    paths = np.empty((n * streams, points, channels), dtype)
    np.multiply(group, dtype.type(1 / 255), out=paths.reshape(group.shape), dtype=dtype)
    return paths


def transformed_shape(shape: tuple[int, ...], path: str) -> tuple[int, int, int]:
    """The shape of paths (B, L, D) after ``path``."""
    batch, length, channels = shape
    return batch, transformed_points(length, path), transformed_channels(channels, path)


def apply_path_transform(
    paths: torch.Tensor, path: str, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Transform paths (B, L, D); ``out`` (of ``transformed_shape``) receives the result.

    ``time`` prepends a channel t running from 0 to 1 over the L points; ``lead_lag`` gives
    the 2L - 1 points (lead, lag) = (x_0, x_0), (x_1, x_0), (x_1, x_1), (x_2, x_1), ...;
    ``basepoint`` prepends the origin, so the signature also sees where the path starts.
    """
    check_path(path)
    if path == "none":
        return paths if out is None else out.copy_(paths)
    batch, length, channels = paths.shape
    if path == "time":
        time = torch.linspace(0.0, 1.0, length, dtype=paths.dtype, device=paths.device)
        return torch.cat([time.expand(batch, length).unsqueeze(-1), paths], dim=-1, out=out)
    if path == "lead_lag":
        steps = torch.arange(2 * length - 1, device=paths.device)
        lead = paths.index_select(1, torch.div(steps + 1, 2, rounding_mode="floor"))
        lag = paths.index_select(1, torch.div(steps, 2, rounding_mode="floor"))
        return torch.cat([lead, lag], dim=-1, out=out)
    origin = torch.zeros(batch, 1, channels, dtype=paths.dtype, device=paths.device)
    return torch.cat([origin, paths], dim=1, out=out)


def transformed_paths(group: np.ndarray, path: str, dtype: np.dtype) -> np.ndarray:
    """uint8 stream group (N, streams, points, C) -> float paths for the array backends.

    Scaled to [0, 1] and transformed into a fresh C-contiguous array that owns its
    memory, which the C++ backends read in place (pysiglib copies anything else first).
    """
    paths = unit_paths(group, dtype)
    if path == "none":
        return paths
    out = np.empty(transformed_shape(paths.shape, path), dtype)
    apply_path_transform(torch.from_numpy(paths), path, out=torch.from_numpy(out))
    return out
