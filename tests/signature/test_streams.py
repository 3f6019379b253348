"""Streams, path transforms, lengths, and what the signature of a stream must be."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from sigbench.errors import SigbenchError
from sigbench.signature import SignatureSpec, image_signatures, stream_count
from sigbench.signature.backends import BACKENDS
from sigbench.signature.streams import apply_path_transform, transformed_paths
from tests.helpers.signatures import random_images


def test_lengths_and_stream_counts() -> None:
    images = random_images((2, 5, 7, 3))
    assert image_signatures(images, 4).shape == (2, 5, 120)
    assert image_signatures(images, 5).shape == (2, 5, 363)
    assert image_signatures(images, 4, two_direction=True).shape == (2, 12, 120)
    assert (stream_count(5, 7, False), stream_count(5, 7, True)) == (5, 12)
    assert SignatureSpec(4).length(3) == 120
    assert SignatureSpec(5).length(3) == 363
    assert SignatureSpec(4, path="time").length(1) == 2 + 4 + 8 + 16
    assert SignatureSpec(2, path="lead_lag").length(3) == 6 + 36
    assert SignatureSpec(3, path="basepoint").length(3) == 39
    assert SignatureSpec(3, log_sig=True).length(2) == 5  # Lyndon words 0, 1, 01, 001, 011
    assert SignatureSpec(4, log_sig=True).length(3) == 32


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_channel_level_k_is_the_increment_to_the_k_over_k_factorial(backend: str) -> None:
    rows = np.array([[[0, 200, 13, 90]], [[255, 3, 77, 40]]], dtype=np.uint8)  # (N, H, W)
    features = image_signatures(rows, 4, backend=backend, dtype=np.float64)[:, 0]
    increment = (rows[:, 0, -1].astype(float) - rows[:, 0, 0]) / 255
    expected = np.stack([increment**k / math.factorial(k) for k in range(1, 5)], axis=1)
    np.testing.assert_allclose(features, expected, rtol=1e-12, atol=1e-15)


def test_columns_are_the_rows_of_the_image_rotated_counter_clockwise() -> None:
    image = random_images((1, 4, 5, 3), seed=1)
    both = image_signatures(image, 2, two_direction=True, dtype=np.float64)
    rotated = np.ascontiguousarray(np.rot90(image, 1, axes=(1, 2)))
    np.testing.assert_array_equal(both[:, :4], image_signatures(image, 2, dtype=np.float64))
    np.testing.assert_array_equal(both[:, 4:], image_signatures(rotated, 2, dtype=np.float64))
    # Stream H + j is column W - 1 - j read top to bottom: the first is the rightmost column.
    column = image[:, :, -1:].transpose(0, 2, 1, 3)
    np.testing.assert_array_equal(both[:, 4:5], image_signatures(column, 2, dtype=np.float64))


def test_path_transforms_point_by_point() -> None:
    path = torch.tensor([[[1.0], [2.0], [4.0]]])
    time = apply_path_transform(path, "time")
    assert time[0].tolist() == [[0.0, 1.0], [0.5, 2.0], [1.0, 4.0]]
    lead_lag = apply_path_transform(path, "lead_lag")
    assert lead_lag[0].tolist() == [[1, 1], [2, 1], [2, 2], [4, 2], [4, 4]]
    basepoint = apply_path_transform(path, "basepoint")
    assert basepoint[0].tolist() == [[0.0], [1.0], [2.0], [4.0]]
    assert apply_path_transform(path, "none") is path


@pytest.mark.parametrize("path", ["none", "time", "lead_lag", "basepoint"])
def test_array_paths_are_fresh_and_scaled_like_the_exported_graph(path: str) -> None:
    images = random_images((2, 3, 4, 3))
    paths = transformed_paths(images, path, np.dtype(np.float32))
    assert paths.base is None and paths.flags.c_contiguous  # pysiglib reads it in place
    scaled = torch.from_numpy(images).float().flatten(0, 1) * (1 / 255)
    np.testing.assert_array_equal(paths, apply_path_transform(scaled, path).numpy())


def test_a_basepoint_makes_one_channel_streams_see_their_start() -> None:
    rows = np.array([[[10, 60]], [[60, 110]]], dtype=np.uint8)  # same increment, other start
    plain = image_signatures(rows, 2, dtype=np.float64)
    based = image_signatures(rows, 2, path="basepoint", dtype=np.float64)
    np.testing.assert_allclose(plain[0], plain[1])
    assert not np.allclose(based[0], based[1])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(0, 4, 4, 3), (2, 3, 1, 3), (2, 1, 3, 3)])
def test_empty_batches_and_one_pixel_streams(backend: str, shape: tuple[int, ...]) -> None:
    images = random_images(shape)
    for log_sig in (False, True):
        features = image_signatures(images, 3, two_direction=True, log_sig=log_sig, backend=backend)
        streams = stream_count(shape[1], shape[2], True)
        assert features.shape == (shape[0], streams, SignatureSpec(3, log_sig=log_sig).length(3))
        one_point = slice(0, shape[1]) if shape[2] == 1 else slice(shape[1], None)
        assert not features[:, one_point].any()  # a one-point path has signature 0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"depth": 0}, "signature.depth = 0"),
        ({"path": "zigzag"}, "signature.path = 'zigzag': Input should be 'none', 'time'"),
        ({"dtype": np.float16}, "dtype float16: choose float32 or float64"),
        ({"images": np.zeros((2, 3, 3, 3), np.float32)}, "images must be uint8"),
        ({"images": np.zeros((3, 3), np.uint8)}, r"shape \(N, H, W\) or \(N, H, W, C\)"),
    ],
)
def test_bad_arguments_say_what_would_be_right(arguments: dict, message: str) -> None:
    call = {"images": random_images((1, 3, 3, 3)), "depth": 2} | arguments
    with pytest.raises(SigbenchError, match=message):
        image_signatures(**call)
