"""Images to streams, and the path transforms applied to every stream.

Row i of an image is a path of W points in R^C (left to right). ``two_direction`` adds the
columns as the rows of the image rotated 90 degrees counter-clockwise (``rot90``, as the
reference code does): the rightmost column first, each read top to bottom.

Written once in torch: the numpy backends get zero-copy views of the results, and the
torch signature layer uses the same code, so an exported model sees identical streams.
"""

from __future__ import annotations

from typing import Literal

import torch

from sigbench.errors import SigbenchError

PathTransform = Literal["none", "time", "lead_lag", "basepoint"]
PATH_TRANSFORMS: tuple[str, ...] = ("none", "time", "lead_lag", "basepoint")


def check_path(path: str) -> str:
    if path not in PATH_TRANSFORMS:
        raise SigbenchError(
            f"signature.path = {path!r}: choose one of {', '.join(PATH_TRANSFORMS)}"
        )
    return path


def stream_count(height: int, width: int, two_direction: bool) -> int:
    return height + width if two_direction else height


def image_streams(pixels: torch.Tensor, two_direction: bool) -> list[torch.Tensor]:
    """(N, H, W, C) pixels -> stream groups, each (N, streams, points, C).

    Rows come first; with ``two_direction`` the columns follow as a second group (they have
    H points and the rows W, so non-square images work too).
    """
    groups = [pixels]
    if two_direction:
        groups.append(torch.rot90(pixels, 1, dims=(1, 2)))
    return groups


def transformed_channels(channels: int, path: str) -> int:
    if path == "time":
        return channels + 1
    if path == "lead_lag":
        return 2 * channels
    return channels


def apply_path_transform(paths: torch.Tensor, path: str) -> torch.Tensor:
    """Transform paths (..., L, D).

    ``time`` prepends a channel t running from 0 to 1; ``lead_lag`` gives (lead, lag) with
    2L - 1 points; ``basepoint`` starts every path at the origin.
    """
    check_path(path)
    if path == "none":
        return paths
    *batch, length, channels = paths.shape
    if path == "time":
        time = torch.linspace(0.0, 1.0, length, dtype=paths.dtype, device=paths.device)
        return torch.cat([time.expand(*batch, length).unsqueeze(-1), paths], dim=-1)
    if path == "lead_lag":
        steps = torch.arange(2 * length - 1, device=paths.device)
        lead = paths.index_select(-2, torch.div(steps + 1, 2, rounding_mode="floor"))
        lag = paths.index_select(-2, torch.div(steps, 2, rounding_mode="floor"))
        return torch.cat([lead, lag], dim=-1)
    origin = torch.zeros(*batch, 1, channels, dtype=paths.dtype, device=paths.device)
    return torch.cat([origin, paths], dim=-2)
