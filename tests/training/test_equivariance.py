"""The Delta(s) formulas: L_s keeps sizes and centres, the compared window, and known cases
(identity transform, pointwise-linear features, a known relative error)."""

from __future__ import annotations

import math

import pytest
import torch

from sigbench.training.equivariance import (
    BORDER_FRACTION,
    DeltaSums,
    compared_window,
    equivariance_error,
    form_of,
    rescale,
    rotate,
)

SCALES = (0.5, 0.75, 1.25, 1.5, 2.0)


def test_rescale_keeps_the_size_and_the_centre() -> None:
    square = torch.zeros(1, 1, 8, 8)
    square[..., 2:6, 2:6] = 1.0
    shrunk = rescale(square, 0.5)
    assert shrunk.shape == square.shape
    assert shrunk[..., :2, :].abs().max() == 0 and shrunk[..., 6:, :].abs().max() == 0
    assert torch.allclose(shrunk, shrunk.flip(-1).flip(-2))  # still centred
    grown = rescale(square, 2.0)
    assert grown.shape == square.shape  # the square's centre fills it; its edge blends out
    assert torch.allclose(grown[..., 1:7, 1:7], torch.ones(6, 6)) and grown.min() > 0.5
    assert torch.equal(rescale(square, 1.0), square)


def test_rescale_handles_one_spatial_axis_and_single_pixels() -> None:
    streams = torch.rand(2, 5, 10)  # (N, terms, streams)
    assert rescale(streams, 0.5).shape == streams.shape
    assert rescale(streams, 0.5)[..., :2].abs().max() == 0  # rows padded at both ends
    pixel = torch.rand(3, 4, 1, 1)
    assert torch.equal(rescale(pixel, 0.5), pixel) and torch.equal(rescale(pixel, 2.0), pixel)
    with pytest.raises(ValueError, match="expected"):
        rescale(torch.rand(2, 3), 0.5)


def test_compared_window_is_the_content_less_a_border_band() -> None:
    assert compared_window(28, 0.5) == slice(8, 20)  # content 7..21, band of 1
    band = int(28 * BORDER_FRACTION)
    for factor in (1.0, 1.5, 2.0):
        assert compared_window(28, factor) == slice(band, 28 - band)
    assert compared_window(1, 0.5) == slice(0, 1)


@pytest.mark.parametrize("factor", SCALES)
def test_features_that_commute_with_rescaling_have_zero_error(factor: float) -> None:
    images = torch.rand(4, 2, 28, 28)
    moved = rescale(images, factor)
    # Phi = 3 f - 1 pointwise (linear, so it commutes with interpolation and padding by 0
    # only without the offset: the window keeps the padding out)
    assert equivariance_error(3 * images - 1, 3 * moved - 1, factor) == pytest.approx(0, abs=1e-12)
    assert equivariance_error(images, images, 1.0) == 0


def test_known_relative_errors() -> None:
    clean = torch.rand(5, 3, 16, 16) + 0.1
    # Phi(L_s f) off by 10% of L_s Phi(f) everywhere: Delta = 0.01
    moved = 1.1 * rescale(clean, 0.75)
    assert equivariance_error(clean, moved, 0.75) == pytest.approx(0.01, rel=1e-5)
    # all-zero responses: Delta = 1
    assert equivariance_error(clean, torch.zeros_like(clean), 2.0) == pytest.approx(1.0)
    vectors = torch.rand(6, 10)
    assert form_of(vectors) == "invariance" and form_of(clean) == "equivariance"
    assert equivariance_error(vectors, 3 * vectors, 0.5) == pytest.approx(4.0)
    assert math.isnan(DeltaSums().delta)


def test_sums_over_batches_weigh_images_by_their_energy() -> None:
    sums = DeltaSums()
    sums.add(torch.ones(1, 4), torch.zeros(1, 4))  # error 4 of 4
    sums.add(torch.full((1, 4), 3.0), torch.full((1, 4), 3.0))  # error 0 of 36
    assert sums.delta == pytest.approx(4 / 40)


def test_rotate_turns_as_rot90_about_the_centre() -> None:
    maps = torch.rand(2, 3, 9, 9)
    for quarters in range(4):
        assert torch.equal(rotate(maps, 90.0 * quarters), torch.rot90(maps, quarters, (-2, -1)))
    # the interpolated path turns the same way: a hair past 90 degrees is nearly rot90
    assert torch.allclose(rotate(maps, 90.001), torch.rot90(maps, 1, (-2, -1)), atol=1e-3)
    bar = torch.zeros(1, 1, 9, 9)
    bar[..., 4, :] = 1.0
    diagonal = rotate(bar, 45.0)
    assert diagonal.shape == bar.shape and diagonal[0, 0, 4, 4] == pytest.approx(1.0)
    # counter-clockwise as shown (rows down): the bar's right end rises
    assert diagonal[0, 0, 2, 6] > 0.5 and diagonal[0, 0, 2, 2] < 0.1
    wide = torch.rand(1, 1, 6, 10)
    assert rotate(wide, 90.0).shape == wide.shape  # not square: interpolated, same size
    with pytest.raises(ValueError, match="expected"):
        rotate(torch.rand(2, 3, 5), 45.0)


def test_compared_window_under_rotation_is_the_turned_content_less_the_band() -> None:
    band = int(28 * BORDER_FRACTION)
    for angle in (90.0, 180.0, -90.0):
        assert compared_window(28, angle, "rotate") == slice(band, 28 - band)
    inscribed = math.floor(28 / math.sqrt(2))  # 19: the square the 45-degree canvas covers
    start = (28 - inscribed) // 2
    edge = int(inscribed * BORDER_FRACTION)
    assert compared_window(28, 45.0, "rotate") == slice(start + edge, start + inscribed - edge)


@pytest.mark.parametrize("angle", [15.0, 45.0, 90.0, 180.0])
def test_features_that_commute_with_rotation_have_zero_error(angle: float) -> None:
    images = torch.rand(4, 2, 28, 28)
    moved = rotate(images, angle)
    error = equivariance_error(3 * images - 1, 3 * moved - 1, angle, "rotate")
    assert error == pytest.approx(0, abs=1e-10)
    # a stream map (one spatial axis) gets the invariance form under rotation
    streams = torch.rand(3, 5, 8)
    assert form_of(streams, "rotate") == "invariance" and form_of(streams) == "equivariance"
    assert equivariance_error(streams, 2 * streams, angle, "rotate") == pytest.approx(1.0)
