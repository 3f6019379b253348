"""Differentiable image signatures, for models that train through the signature.

The API other modules build on (stable)::

    from sigbench.signature import (
        ImageSignatureLayer, SignatureSpec, differentiable_signatures, lanes_signature,
    )

    spec = SignatureSpec(4, two_direction=True, log_sig=False, path="time")
    layer = ImageSignatureLayer(spec, backend="auto")  # or ImageSignatureLayer(4, ...)
    features = layer(images)  # (N, H, W, C) float in [0, 1] -> (N, streams, length)

    # A model that transforms each stream itself (a learned lift) signs its own paths:
    signatures = differentiable_signatures(paths, 4, log_sig=False, backend="auto")
    # paths (B, L, C) float -> (B, C + C^2 + ... + C^4), or (B, Lyndon words) with log_sig

    signatures = lanes_signature(paths, 4)  # the lanes backend itself: CPU float32/float64

Backends (``LAYER_BACKENDS``):

- ``torch``: plain tensor ops, on any device, through autograd, exportable to ONNX (the
  layer's default, which the exported graphs use);
- ``lanes``: the lanes kernels forward and their vector-Jacobian product backward, which
  recovers each step's running signature backwards instead of storing them all
  (``backends.lanes.generic_backward``): CPU float32/float64 only, tens of times faster
  than ``torch`` on CPU (``scripts/bench_signature.py``, docs/lanes.md);
- ``auto``: ``lanes`` for CPU float tensors when numba is installed and no tracer or
  exporter is running, ``torch`` otherwise (CUDA, other dtypes, ONNX export).

The streams are those of ``image_signatures`` (rows, then the columns as ``rot90``), each
transformed by ``path`` (``streams.apply_path_transform``, differentiable) before signing;
log-signatures go through the torch tensor logarithm and Lyndon projection on either
backend, so their gradients are exact too.
"""

from __future__ import annotations

import importlib.util

import torch
from torch import nn

from sigbench.errors import SigbenchError
from sigbench.signature.backends.torch_backend import path_signatures
from sigbench.signature.spec import SignatureSpec
from sigbench.signature.streams import apply_path_transform, image_streams

LAYER_BACKENDS = ("auto", "torch", "lanes")


def lanes_signature(paths: torch.Tensor, depth: int, log_sig: bool = False) -> torch.Tensor:
    """Signatures of CPU float paths (B, L, C) by the lanes kernels, with their gradients
    by the lanes backward pass (imported here, on first use: it needs numba)."""
    from sigbench.signature.backends.lanes.autograd import lanes_signature as signed

    return signed(paths, depth, log_sig)


def _tracing() -> bool:
    """Whether a tracer or exporter runs (lanes' numpy calls would escape its graph)."""
    return torch.jit.is_tracing() or torch.onnx.is_in_onnx_export() or torch.compiler.is_compiling()


def layer_backend(backend: str, paths: torch.Tensor) -> str:
    """``torch`` or ``lanes``: what ``backend`` means for these paths."""
    if backend not in LAYER_BACKENDS:
        raise SigbenchError(
            f"signature layer backend = {backend!r}: choose one of {', '.join(LAYER_BACKENDS)}"
        )
    if backend != "auto":
        return backend
    usable = (
        paths.device.type == "cpu"
        and paths.dtype in (torch.float32, torch.float64)
        and importlib.util.find_spec("numba") is not None
        and not _tracing()
    )
    return "lanes" if usable else "torch"


def differentiable_signatures(
    paths: torch.Tensor, depth: int, log_sig: bool = False, backend: str = "auto"
) -> torch.Tensor:
    """(B, L, C) -> (B, length): signatures (no leading 1) or Lyndon-basis log-signatures,
    through autograd, by ``backend`` (see the module docstring)."""
    if layer_backend(backend, paths) == "lanes":
        return lanes_signature(paths, depth, log_sig)
    return path_signatures(paths, depth, log_sig)


class ImageSignatureLayer(nn.Module):
    """Images (N, H, W, C) in [0, 1] -> signature features (N, streams, length).

    The same streams, path transform and signature as ``image_signatures`` for the same
    :class:`SignatureSpec`, as a layer: differentiable; with ``backend="torch"`` (the
    default) on the images' device and exportable to ONNX, with ``"auto"`` by the lanes
    kernels on CPU (for training). ``backend`` is the layer's (``LAYER_BACKENDS``), not the
    spec's: the spec's names the array backend ``featurize`` uses.

    ``spec`` is a :class:`SignatureSpec`, or its depth with the other settings given here
    (``ImageSignatureLayer(4, two_direction=True, path="time")``); either way the spec
    checks them.
    """

    def __init__(
        self,
        spec: SignatureSpec | int,
        two_direction: bool = False,
        log_sig: bool = False,
        path: str = "none",
        backend: str = "torch",
    ) -> None:
        super().__init__()
        if isinstance(spec, SignatureSpec):
            if (two_direction, log_sig, path) != (False, False, "none"):
                raise TypeError("give the settings in the SignatureSpec, not beside it")
        else:
            spec = SignatureSpec(spec, two_direction, log_sig, path)
        if backend not in LAYER_BACKENDS:
            raise SigbenchError(
                f"signature layer backend = {backend!r}: choose one of {', '.join(LAYER_BACKENDS)}"
            )
        self.spec = spec
        self.backend = backend

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        spec, features = self.spec, []
        for group in image_streams(images, spec.two_direction):
            n, streams, points, channels = group.shape
            paths = apply_path_transform(group.reshape(n * streams, points, channels), spec.path)
            signed = differentiable_signatures(paths, spec.depth, spec.log_sig, self.backend)
            features.append(signed.view(n, streams, -1))
        return torch.cat(features, dim=1) if len(features) > 1 else features[0]

    def extra_repr(self) -> str:
        spec = self.spec
        return (
            f"depth={spec.depth}, two_direction={spec.two_direction}, "
            f"log_sig={spec.log_sig}, path={spec.path!r}, backend={self.backend!r}"
        )
