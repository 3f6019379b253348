"""The scale-equivariance error of a network's features (Sosnovik et al., SESN; the
scale-equivariance notes):

    equivariance form  Delta(s) = ||L_s Phi(f) - Phi(L_s f)||^2 / ||L_s Phi(f)||^2
    invariance form    Delta(s) = ||Phi(L_s f) - Phi(f)||^2 / ||Phi(f)||^2

Phi is the network up to a layer and L_s rescales by s about the centre. The equivariance
form needs a spatial map (N, C, H, W), or (N, C, L) for one spatial axis (ImageSig's
streams); a feature vector (N, F) has nothing to rescale and gets the invariance form.

- L_s (:func:`rescale`) keeps a map's size: the content is resized to round(s * side) with
  bilinear interpolation (antialiased when shrinking, half-pixel centres), then zero-padded
  (s < 1) or cropped (s > 1) about the centre. The same function rescales the input image
  and every feature map, so an input of 28 pixels and a map of 7 are rescaled alike.
- Compared region (:func:`compared_window`): for s < 1 only the window L_s's content fills
  (outside it L_s Phi(f) is padding, not a prediction); then a band of
  :data:`BORDER_FRACTION` of that window is cropped from every side, where zero padding of
  the convolutions and the canvas edge make both sides differ for reasons other than scale.
- Over a test set, Delta is the ratio of the sums over images (every image weighs by its
  feature energy), so an image whose features are all zero cannot make it infinite.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

BORDER_FRACTION = 0.125
INTERPOLATION = "bilinear, antialiased when shrinking"
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


def compared_window(side: int, factor: float) -> slice:
    """The positions along one axis of ``side`` where both sides are compared."""
    length = _content_side(side, factor) if factor < 1 else side
    start = (side - length) // 2
    band = int(length * BORDER_FRACTION)
    return slice(start + band, start + length - band)


def _window(maps: torch.Tensor, factor: float) -> torch.Tensor:
    spatial = tuple(compared_window(side, factor) for side in maps.shape[2:])
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


def form_of(features: torch.Tensor) -> str:
    """``equivariance`` for spatial maps (3 or 4 axes), ``invariance`` for (N, F) vectors."""
    return "equivariance" if features.ndim in (3, 4) else "invariance"


def accumulate(
    sums: DeltaSums, clean: torch.Tensor, transformed: torch.Tensor, factor: float
) -> None:
    """Add one batch: Phi(f) as ``clean`` and Phi(L_s f) as ``transformed``, in the form
    :func:`form_of` picks."""
    if clean.shape != transformed.shape:
        raise ValueError(f"features {tuple(clean.shape)} and {tuple(transformed.shape)} differ")
    if form_of(clean) == "invariance":
        sums.add(clean, transformed)
        return
    sums.add(_window(rescale(clean, factor), factor), _window(transformed, factor))


def equivariance_error(clean: torch.Tensor, transformed: torch.Tensor, factor: float) -> float:
    """Delta(s) of one set of features (see the module doc)."""
    sums = DeltaSums()
    accumulate(sums, clean, transformed, factor)
    return sums.delta
