"""The lanes backward pass: exact gradients against finite differences and the torch
backend, in float32 as in float64, through the image layer and its path transforms.

The generic backward kernel serves these tests (the unrolled ones compile per shape and
dtype, seconds each); the unrolled kernels are checked against it on small shapes, and
on real images in float32 against float64 (the kernels training gets)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from sigbench.errors import SigbenchError
from sigbench.signature import (
    PATH_TRANSFORMS,
    ImageSignatureLayer,
    differentiable_signatures,
    lanes_signature,
)
from sigbench.signature.backends import lanes
from sigbench.signature.backends.lanes.kernels import backward_kernel_for
from sigbench.signature.backends.lanes.layout import LANES, reciprocals
from sigbench.signature.backends.torch_backend import path_signatures
from sigbench.signature.layer import layer_backend
from tests.helpers.signatures import digits, photos

DEPTHS = range(1, 6)
RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def generic_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lanes, "backward_kernel_for", partial(backward_kernel_for, unrolled=False))


def run_backward(paths: np.ndarray, grads: np.ndarray, depth: int, *, unrolled: bool) -> np.ndarray:
    """dL/dpaths by one backward kernel, over all the paths at once."""
    signatures = lanes.signatures(paths, depth, False)
    out = np.full_like(paths, np.nan)
    kernel = backward_kernel_for(paths.shape[-1], depth, unrolled=unrolled)
    kernel(paths, signatures, grads, reciprocals(depth, paths.dtype), out, 0, len(paths))
    return out


@pytest.mark.parametrize(
    ("channels", "depth", "dtype"),
    # RGB at depth 4: the kernel the benchmark's main shape gets, its step in two loops.
    [
        (1, 4, np.float64),
        (2, 3, np.float64),
        (3, 2, np.float64),
        (2, 2, np.float32),
        (3, 4, np.float64),
    ],
)
def test_unrolled_and_generic_backward_kernels_agree(
    channels: int, depth: int, dtype: type
) -> None:
    # Counts around the lane block; one- and two-point paths; float32 to its precision.
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for count, points in ((1, 1), (1, 2), (LANES, 9), (LANES + 1, 10), (2 * LANES + 5, 17)):
        paths = RNG.random((count, points, channels)).astype(dtype)
        length = sum(channels**k for k in range(1, depth + 1))
        grads = RNG.standard_normal((count, length)).astype(dtype)
        unrolled = run_backward(paths, grads, depth, unrolled=True)
        generic = run_backward(paths, grads, depth, unrolled=False)
        assert np.abs(unrolled - generic).max() <= tolerance * max(1.0, np.abs(generic).max())


def test_the_unrolled_backward_fills_only_its_rows() -> None:
    paths = RNG.random((3 * LANES, 10, 2))
    signatures = lanes.signatures(paths, 3, False)
    grads = RNG.standard_normal(signatures.shape)
    out = np.full_like(paths, np.nan)
    inside = slice(LANES, 2 * LANES + 3)
    kernel = backward_kernel_for(2, 3, unrolled=True)
    kernel(paths, signatures, grads, reciprocals(3, paths.dtype), out, inside.start, inside.stop)
    expected = torch_gradients(torch.from_numpy(paths[inside]), torch.from_numpy(grads[inside]), 3)
    np.testing.assert_allclose(out[inside], expected.numpy(), rtol=1e-10, atol=1e-12)
    assert np.isnan(np.delete(out, np.s_[inside], axis=0)).all()


def torch_gradients(paths: torch.Tensor, weights: torch.Tensor, depth: int) -> torch.Tensor:
    """d(sum(weights * signature))/dpaths by autograd through the torch backend."""
    paths = paths.detach().clone().requires_grad_()
    (path_signatures(paths, depth) * weights).sum().backward()
    assert paths.grad is not None
    return paths.grad


@pytest.mark.parametrize("channels", range(1, 9))
def test_gradcheck_and_torch_backend_agree_for_every_depth(channels: int) -> None:
    generator = torch.Generator().manual_seed(channels)
    for depth in DEPTHS:
        for points in (1, 2, 5):
            paths = torch.rand(3, points, channels, dtype=torch.float64, generator=generator)
            # fast_mode checks random projections of the Jacobian: one backward pass.
            assert torch.autograd.gradcheck(
                lambda p, d=depth: lanes_signature(p, d), (paths.requires_grad_(),), fast_mode=True
            )
            signature = lanes_signature(paths, depth)
            weights = torch.randn(signature.shape, dtype=torch.float64, generator=generator)
            (signature * weights).sum().backward()
            expected = torch_gradients(paths, weights, depth)
            torch.testing.assert_close(paths.grad, expected, rtol=1e-10, atol=1e-12)


def test_blocks_and_threads_give_the_same_gradients() -> None:
    # Counts around the lane block, shared out over threads, against one thread.
    paths = torch.rand(3 * LANES + 5, 11, 3, dtype=torch.float64)
    signature = lanes.signatures(paths.numpy(), 4, False)
    grads = np.random.default_rng(0).standard_normal(signature.shape)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = lanes.signature_gradients(paths.numpy(), signature, grads, 4)
        torch.set_num_threads(3)
        shared = lanes.signature_gradients(paths.numpy(), signature, grads, 4)
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(alone, shared)
    expected = torch_gradients(paths, torch.from_numpy(grads), 4).numpy()
    np.testing.assert_allclose(alone, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("log_sig", [False, True], ids=["sig", "logsig"])
@pytest.mark.parametrize("path", PATH_TRANSFORMS)
def test_the_layer_on_lanes_matches_the_torch_layer(path: str, log_sig: bool) -> None:
    images = torch.rand(2, 5, 4, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    settings = {"two_direction": True, "log_sig": log_sig, "path": path}
    on_lanes, on_torch = (ImageSignatureLayer(3, **settings, backend=b) for b in ("lanes", "torch"))
    assert torch.autograd.gradcheck(on_lanes, (images.requires_grad_(),), fast_mode=True)
    features = on_lanes(images)
    torch.testing.assert_close(features, on_torch(images), rtol=1e-10, atol=1e-12)
    weights = torch.randn(features.shape, dtype=torch.float64)
    lanes_grad, torch_grad = (
        torch.autograd.grad((layer(images) * weights).sum(), images)[0]
        for layer in (on_lanes, on_torch)
    )
    torch.testing.assert_close(lanes_grad, torch_grad, rtol=1e-10, atol=1e-12)


REAL_IMAGES = {"photos": photos, "digits": lambda: digits()[..., None]}


@pytest.mark.parametrize("images", REAL_IMAGES)
@pytest.mark.parametrize("path", PATH_TRANSFORMS)
def test_float32_gradients_are_float64_ones_on_real_images(
    images: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kernels training gets: unrolled where they fit (RGB, gray, gray+time at depth 4).
    monkeypatch.setattr(lanes, "backward_kernel_for", backward_kernel_for)
    pixels = torch.from_numpy(REAL_IMAGES[images]()).double() / 255
    layer = ImageSignatureLayer(4, two_direction=True, path=path, backend="lanes")
    weights = torch.randn(layer(pixels).shape, dtype=torch.float64)
    gradients = {}
    for dtype in (torch.float32, torch.float64):
        inputs = pixels.to(dtype).requires_grad_()
        (layer(inputs) * weights.to(dtype)).sum().backward()
        assert inputs.grad is not None and inputs.grad.dtype == dtype
        gradients[dtype] = inputs.grad.double()
    error = (gradients[torch.float32] - gradients[torch.float64]).abs().max()
    assert error <= 1e-4 * gradients[torch.float64].abs().max()


def test_auto_takes_lanes_on_cpu_floats_and_torch_elsewhere() -> None:
    assert layer_backend("auto", torch.zeros(1, 2, 3)) == "lanes"
    assert layer_backend("auto", torch.zeros(1, 2, 3, dtype=torch.float16)) == "torch"
    assert layer_backend("auto", torch.zeros(1, 2, 3, device="meta")) == "torch"
    assert layer_backend("torch", torch.zeros(1, 2, 3)) == "torch"
    features = differentiable_signatures(torch.zeros(2, 4, 3, device="meta"), 3, backend="auto")
    assert features.shape == (2, 39)


def test_bad_inputs_are_refused_in_one_line() -> None:
    with pytest.raises(SigbenchError, match="lanes signatures take CPU float32/float64 paths"):
        lanes_signature(torch.zeros(2, 4, 3, dtype=torch.float16), 3)
    with pytest.raises(SigbenchError, match="lanes signatures take CPU float32/float64 paths"):
        lanes_signature(torch.zeros(4, 3), 3)
    with pytest.raises(SigbenchError, match="signature layer backend = 'gpu'"):
        ImageSignatureLayer(3, backend="gpu")
    with pytest.raises(SigbenchError, match="signature.depth = 0"):
        lanes_signature(torch.zeros(2, 4, 3), 0)
