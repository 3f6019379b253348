"""The hand-built ONNX signature graph computes what iisignature and the torch layer compute,
for every setting an ImageSig run can export, square or not, at any batch size."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from sigbench.errors import SigbenchError
from sigbench.export.signature_graph import INPUT, GraphSpec, signature_model
from sigbench.signature import ImageSignatureLayer, SignatureSpec, image_signatures

SPECS = [
    # (height, width), channels, depth, two_direction, log_sig, path
    ((6, 6), 3, 1, False, False, "none"),
    ((6, 6), 1, 4, False, False, "none"),
    ((7, 7), 3, 2, True, False, "basepoint"),
    ((6, 6), 1, 3, True, False, "time"),
    ((8, 8), 3, 4, False, False, "none"),
    ((6, 6), 3, 4, True, False, "lead_lag"),
    ((5, 5), 2, 5, False, False, "time"),
    ((6, 6), 3, 3, False, True, "none"),
    ((6, 6), 2, 4, True, True, "time"),
    ((5, 5), 1, 4, False, True, "lead_lag"),
    # non-square: rows of W points, columns of H
    ((8, 6), 3, 4, True, False, "none"),
    ((5, 7), 1, 3, True, False, "lead_lag"),
    ((6, 4), 2, 4, True, True, "basepoint"),
    ((4, 9), 3, 3, False, False, "time"),
]


def _run(spec: SignatureSpec, images: np.ndarray, chunk: int | None = None) -> np.ndarray:
    model = signature_model(spec, chunk)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {INPUT: images})[0]


def _images(n: int, size: tuple[int, int], channels: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *size, channels), np.uint8)


@pytest.mark.parametrize("setting", SPECS, ids=lambda s: "-".join(map(str, s)))
def test_graph_equals_iisignature_and_the_torch_layer(setting: tuple) -> None:
    size, channels, depth, two_direction, log_sig, path = setting
    signature = SignatureSpec(depth, two_direction, log_sig, path)
    spec = GraphSpec(signature, *size, channels)
    images = _images(3, size, channels)
    got = _run(spec, images)
    exact = image_signatures(
        images, depth, two_direction=two_direction, log_sig=log_sig, path=path,
        backend="iisignature", dtype=np.float64,
    )  # fmt: skip
    assert got.shape == exact.shape == (3, spec.streams, spec.length)
    assert np.abs(got - exact).max() <= 2e-6 * np.abs(exact).max()
    layer = ImageSignatureLayer(signature)
    with torch.no_grad():
        torch_features = layer(torch.from_numpy(images).float() * (1 / 255)).numpy()
    np.testing.assert_allclose(got, torch_features, rtol=1e-4, atol=1e-5 * np.abs(exact).max())


@pytest.mark.parametrize(("count", "size"), [(1, (6, 6)), (2, (6, 6)), (5, (6, 6)), (7, (6, 4))])
def test_any_batch_gives_each_image_its_own_features(count: int, size: tuple[int, int]) -> None:
    """Chunks of 3: one pass up to 3 images, then a Scan over padded chunks whose padding
    is cut off again."""
    spec = GraphSpec(SignatureSpec(4, two_direction=True, path="time"), *size, 3)
    images = _images(count, size, 3, seed=count)
    chunked = _run(spec, images, chunk=3)
    one_by_one = np.concatenate([_run(spec, images[i : i + 1], chunk=1) for i in range(count)])
    assert chunked.shape == (count, sum(size), spec.length)
    np.testing.assert_allclose(chunked, one_by_one, rtol=1e-6, atol=1e-7)


def _subgraphs(model: onnx.ModelProto) -> tuple[onnx.GraphProto, onnx.GraphProto]:
    """The If's two branches: one pass over the whole batch, and the Scan's body."""
    (branch,) = [n for n in model.graph.node if n.op_type == "If"]
    graphs = {a.name: a.g for a in branch.attribute}
    (scan,) = [n for n in graphs["else_branch"].node if n.op_type == "Scan"]
    return graphs["then_branch"], scan.attribute[0].g


def test_the_graph_is_small_and_float() -> None:
    """A few dozen nodes whatever the path length, only float and index constants."""
    for size in (8, 64):
        model = signature_model(GraphSpec(SignatureSpec(4, two_direction=True), size, size, 3))
        for graph in _subgraphs(model):
            assert len(graph.node) < 70
            types = {init.data_type for init in graph.initializer}
            assert types <= {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64}


def test_chunks_scale_with_the_work_per_image() -> None:
    small = GraphSpec(SignatureSpec(2), 8, 8, 1).chunk_images()
    wide = GraphSpec(SignatureSpec(2), 8, 32, 1).chunk_images()
    large = GraphSpec(SignatureSpec(5, two_direction=True), 64, 64, 3).chunk_images()
    assert small > wide > large >= 1


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(SigbenchError, match="signature.depth = 0"):
        GraphSpec(SignatureSpec(0), 8, 8, 3)
    with pytest.raises(SigbenchError, match="signature.path = 'spline'"):
        GraphSpec(SignatureSpec(2, path="spline"), 8, 8, 3)
