"""The scale- and rotation-equivariance error of a network's features (Sosnovik et al.,
SESN; the scale-equivariance notes):

    equivariance form  Delta(s) = ||L_s Phi(f) - Phi(L_s f)||^2 / ||L_s Phi(f)||^2
    invariance form    Delta(s) = ||Phi(L_s f) - Phi(f)||^2 / ||Phi(f)||^2

Phi is the network up to a layer and L_s rescales by s about the centre (``scale``), or, for
``rotate``, R_a turns by a degrees about the centre in its place. The equivariance form needs
a spatial map (N, C, H, W), or for scale (N, C, L) with one spatial axis (ImageSig's
streams); a feature vector (N, F), and for rotation a one-axis map (a plane rotation does
not act on it), gets the invariance form.

- L_s (:func:`rescale`) keeps a map's size: the content is resized to round(s * side) with
  bilinear interpolation (antialiased when shrinking, half-pixel centres), then zero-padded
  (s < 1) or cropped (s > 1) about the centre. The same function rescales the input image
  and every feature map, so an input of 28 pixels and a map of 7 are rescaled alike.
- Compared region (:func:`compared_window`): for s < 1 only the window L_s's content fills
  (outside it L_s Phi(f) is padding, not a prediction); then a band of
  :data:`BORDER_FRACTION` of that window is cropped from every side, where zero padding of
  the convolutions and the canvas edge make both sides differ for reasons other than scale.
- R_a (:func:`rotate`): counter-clockwise as :func:`torch.rot90` turns (rows, columns),
  exactly by rot90 at multiples of 90 degrees, otherwise sampled bilinearly at the rotated
  pixel centres with zeros outside. Compared region: the centred window the turned content
  fills (side / (|cos a| + |sin a|), the whole map at right angles), less the same
  :data:`BORDER_FRACTION` band.
- Over a test set, Delta is the ratio of the sums over images (every image weighs by its
  feature energy), so an image whose features are all zero cannot make it infinite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from sigbench.options import EQUIVARIANCE_TRANSFORMS

BORDER_FRACTION = 0.125
TRANSFORMS = EQUIVARIANCE_TRANSFORMS
# What each transform's amount is, as the CSVs name the column.
AMOUNT = {"scale": "scale", "rotate": "angle"}
INTERPOLATION = {
    "scale": "bilinear, antialiased when shrinking",
    "rotate": "rot90 at right angles, else bilinear",
}
FORMS = ("equivariance", "invariance")


def _content_side(side: int, factor: float) -> int:
    return side if side == 1 else max(1, round(factor * side))


def rescale(maps: torch.Tensor, factor: float) -> torch.Tensor:
    """L_s: (N, C, H, W) or (N, C, L) float maps zoomed by ``factor`` about the centre."""
    if maps.ndim not in (3, 4):
        raise ValueError(f"rescale: expected (N, C, L) or (N, C, H, W) maps, got {maps.shape}")
    x = maps if maps.ndim == 4 else maps.unsqueeze(2)
    height, width = x.shape[-2:]
    size = (_content_side(height, factor), _content_side(width, factor))
    if size != (height, width):
        x = F.interpolate(x, size=size, mode="bilinear", antialias=factor < 1, align_corners=False)
    top, left = (height - size[0]) // 2, (width - size[1]) // 2
    if factor < 1:
        x = F.pad(x, (left, width - size[1] - left, top, height - size[0] - top))
    else:
        x = x[..., -top : -top + height, -left : -left + width]
    return x if maps.ndim == 4 else x.squeeze(2)


def _right_angles(degrees: float) -> int | None:
    """``degrees`` as a number of quarter turns, or None if it is not a multiple of 90."""
    quarters = degrees / 90
    return round(quarters) % 4 if quarters == round(quarters) else None


def rotate(maps: torch.Tensor, degrees: float) -> torch.Tensor:
    """R_a: (N, C, H, W) float maps turned by ``degrees`` about the centre (see the module doc)."""
    if maps.ndim != 4:
        raise ValueError(f"rotate: expected (N, C, H, W) maps, got {tuple(maps.shape)}")
    quarters = _right_angles(degrees)
    height, width = maps.shape[-2:]
    if quarters is not None and (quarters % 2 == 0 or height == width):
        return torch.rot90(maps, quarters, dims=(-2, -1))
    angle = math.radians(degrees)
    cos, sin = math.cos(angle), math.sin(angle)
    y = torch.arange(height, dtype=torch.float32) - (height - 1) / 2
    x = torch.arange(width, dtype=torch.float32) - (width - 1) / 2
    y, x = torch.meshgrid(y, x, indexing="ij")
    # where each output pixel reads from, in grid_sample's [-1, 1] (align_corners=False)
    source_row, source_col = y * cos + x * sin, -y * sin + x * cos
    grid = torch.stack([2 * source_col / width, 2 * source_row / height], dim=-1)
    grid = grid.unsqueeze(0).expand(maps.shape[0], -1, -1, -1).to(maps.dtype)
    return F.grid_sample(maps, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def transform_maps(maps: torch.Tensor, transform: str, amount: float) -> torch.Tensor:
    """L_s (``scale``, ``amount`` a factor) or R_a (``rotate``, ``amount`` in degrees)."""
    return rescale(maps, amount) if transform == "scale" else rotate(maps, amount)


def compared_window(side: int, amount: float, transform: str = "scale") -> slice:
    """The positions along one axis of ``side`` where both sides are compared."""
    if transform == "rotate":
        angle = math.radians(amount)
        fill = (
            1 if _right_angles(amount) is not None else abs(math.cos(angle)) + abs(math.sin(angle))
        )
        length = max(1, math.floor(side / fill))
    else:
        length = _content_side(side, amount) if amount < 1 else side
    start = (side - length) // 2
    band = int(length * BORDER_FRACTION)
    return slice(start + band, start + length - band)


def _window(maps: torch.Tensor, amount: float, transform: str) -> torch.Tensor:
    spatial = tuple(compared_window(side, amount, transform) for side in maps.shape[2:])
    return maps[(slice(None), slice(None), *spatial)]


@dataclass
class DeltaSums:
    """Running sums of the squared difference and of the reference's squared norm."""

    error: float = 0.0
    reference: float = 0.0

    def add(self, reference: torch.Tensor, other: torch.Tensor) -> None:
        self.error += float(torch.sum((reference.double() - other.double()) ** 2))
        self.reference += float(torch.sum(reference.double() ** 2))

    @property
    def delta(self) -> float:
        return self.error / self.reference if self.reference > 0 else float("nan")


def form_of(features: torch.Tensor, transform: str = "scale") -> str:
    """``equivariance`` for the maps ``transform`` acts on (scale: 3 or 4 axes, rotate: 4),
    ``invariance`` for the rest ((N, F) vectors; one-axis maps under rotation)."""
    acts_on = (3, 4) if transform == "scale" else (4,)
    return "equivariance" if features.ndim in acts_on else "invariance"


def accumulate(
    sums: DeltaSums,
    clean: torch.Tensor,
    transformed: torch.Tensor,
    amount: float,
    transform: str = "scale",
) -> None:
    """Add one batch: Phi(f) as ``clean`` and Phi(L_s f) (or Phi(R_a f)) as ``transformed``,
    in the form :func:`form_of` picks."""
    if clean.shape != transformed.shape:
        raise ValueError(f"features {tuple(clean.shape)} and {tuple(transformed.shape)} differ")
    if form_of(clean, transform) == "invariance":
        sums.add(clean, transformed)
        return
    moved = transform_maps(clean, transform, amount)
    sums.add(_window(moved, amount, transform), _window(transformed, amount, transform))


def equivariance_error(
    clean: torch.Tensor, transformed: torch.Tensor, amount: float, transform: str = "scale"
) -> float:
    """Delta of one set of features (see the module doc)."""
    sums = DeltaSums()
    accumulate(sums, clean, transformed, amount, transform)
    return sums.delta
