"""The pure-torch backend as a layer: differentiable, equal to the arrays, exportable."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
import torch

from sigbench.errors import SigbenchError
from sigbench.signature import PATH_TRANSFORMS, ImageSignatureLayer, SignatureSpec, image_signatures
from sigbench.signature.backends import torch_backend
from tests.helpers.signatures import random_images


@pytest.mark.parametrize("path", PATH_TRANSFORMS)
@pytest.mark.parametrize("log_sig", [False, True], ids=["sig", "logsig"])
def test_gradients_match_finite_differences(path: str, log_sig: bool) -> None:
    layer = ImageSignatureLayer(SignatureSpec(3, two_direction=True, log_sig=log_sig, path=path))
    images = torch.rand(1, 3, 4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    # fast_mode checks random projections of the Jacobian: one backward pass, not one per output.
    assert torch.autograd.gradcheck(layer, (images.requires_grad_(),), fast_mode=True)


@pytest.mark.parametrize("path", PATH_TRANSFORMS)
def test_layer_equals_image_signatures(path: str) -> None:
    images = random_images((2, 6, 5, 3))
    layer = ImageSignatureLayer(
        SignatureSpec(3, two_direction=True, log_sig=path == "time", path=path)
    )
    from_layer = layer(torch.from_numpy(images).double() * (1 / 255)).numpy()
    expected = image_signatures(
        images, 3, two_direction=True, log_sig=path == "time", path=path, dtype=np.float64
    )
    np.testing.assert_allclose(from_layer, expected, rtol=1e-10, atol=1e-13)


def test_array_entry_point_chunks_without_changing_results_or_threads(
    monkeypatch: pytest.MonkeyPatch, torch_threads: Callable[[int], None]
) -> None:
    torch_threads(2)
    images = random_images((5, 8, 8, 3))
    whole = image_signatures(images, 4, backend="torch", dtype=np.float64)
    threads = torch.get_num_threads()
    monkeypatch.setattr(torch_backend, "CHUNK_ELEMENTS", 100)  # a few paths per chunk
    chunked = image_signatures(images, 4, backend="torch", dtype=np.float64)
    np.testing.assert_array_equal(chunked, whole)
    assert torch.get_num_threads() == threads


def test_layer_exports_to_onnx_and_runs_the_same() -> None:
    import onnxruntime

    layer = ImageSignatureLayer(SignatureSpec(3, two_direction=True, log_sig=True, path="lead_lag"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exporter chatter about deprecated internals
        program = torch.onnx.export(
            layer,
            (torch.rand(2, 5, 4, 3),),
            dynamo=True,
            dynamic_shapes={"images": {0: torch.export.Dim("batch", min=1)}},
            opset_version=18,
            verbose=False,
        )
    session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
    images = torch.rand(3, 5, 4, 3)
    (exported,) = session.run(None, {session.get_inputs()[0].name: images.numpy()})
    np.testing.assert_allclose(exported, layer(images).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("path", PATH_TRANSFORMS)
def test_every_tensor_follows_the_images_device(path: str) -> None:
    # On the meta device any constant left on the CPU (times, indices, the Lyndon change of
    # basis) would raise: a CUDA check that runs without a GPU.
    layer = ImageSignatureLayer(SignatureSpec(4, two_direction=True, log_sig=True, path=path))
    features = layer(torch.empty(2, 5, 4, 3, device="meta"))
    assert features.device.type == "meta" and features.shape[:2] == (2, 9)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_layer_runs_on_cuda_like_on_cpu() -> None:
    images = torch.rand(2, 6, 6, 3, dtype=torch.float64)
    layer = ImageSignatureLayer(SignatureSpec(4, two_direction=True, log_sig=True, path="time"))
    on_gpu = layer(images.cuda())
    assert on_gpu.device.type == "cuda"
    np.testing.assert_allclose(on_gpu.cpu().numpy(), layer(images).numpy(), rtol=1e-10)


def test_layer_checks_its_settings_when_built() -> None:
    with pytest.raises(SigbenchError, match="signature.path = 'zigzag'"):
        ImageSignatureLayer(SignatureSpec(3, path="zigzag"))
    with pytest.raises(SigbenchError, match="signature.depth = 0"):
        ImageSignatureLayer(SignatureSpec(0))
