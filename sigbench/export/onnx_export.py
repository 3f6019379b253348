"""ONNX export (torch's ``torch.export``-based exporter) and onnxruntime's int8 quantization.

The file is self-contained: weights inside, the batch axis free, and the
:class:`~sigbench.export.graph.ExportInfo` as JSON under the ``sigbench`` key of the model's
``metadata_props``. Per-node debugging metadata (stack traces with local paths) is dropped.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from sigbench.export.graph import (
    INPUT_NAME,
    OUTPUT_NAME,
    ExportInfo,
    PixelClassifier,
    example_images,
)
from sigbench.runs import rundir

METADATA_KEY = "sigbench"
OPSET = 18
# Ops whose weight (input 1) int8 dynamic quantization stores as int8: the dense layers and
# convolutions. Activation-by-activation products (inside the signature) stay float.
QUANTIZED_OPS = ("MatMul", "Conv")


def export_onnx(model: PixelClassifier, info: ExportInfo, path: Path) -> None:
    """Write ``model`` as ONNX to ``path`` (atomically), with ``info`` in its metadata."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exporter chatter about deprecated internals
        program = torch.onnx.export(
            model,
            (example_images(info),),
            dynamo=True,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes={"images": {0: torch.export.Dim("batch", min=1)}},
            opset_version=OPSET,
            external_data=False,
            verbose=False,
        )
    proto = program.model_proto
    for node in proto.graph.node:
        del node.metadata_props[:]
    _save(proto, info, path)


def _save(proto: onnx.ModelProto, info: ExportInfo, path: Path) -> None:
    del proto.metadata_props[:]
    helper.set_model_props(proto, {METADATA_KEY: info.to_json()})
    rundir.write_file_atomic(path, lambda temporary: onnx.save(proto, temporary))


def read_info(proto: onnx.ModelProto) -> str | None:
    """The stored ExportInfo JSON, or None for an ONNX file sigbench did not write."""
    return next((p.value for p in proto.metadata_props if p.key == METADATA_KEY), None)


def _gemm_as_matmul(proto: onnx.ModelProto) -> None:
    """Rewrite Gemm(x, W, b) with a constant W as MatMul(x, W') + b.

    onnxruntime's dynamic quantization handles MatMul but not Gemm, which is what the
    exporter makes of ``nn.Linear``.
    """
    graph = proto.graph
    weights = {init.name: init for init in graph.initializer}
    nodes = []
    for node in graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        plain = attrs.get("alpha", 1.0) == 1.0 and attrs.get("beta", 1.0) == 1.0
        if (
            node.op_type != "Gemm"
            or not plain
            or attrs.get("transA")
            or node.input[1] not in weights
        ):
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(weights[node.input[1]])
        if attrs.get("transB"):
            weight = np.ascontiguousarray(weight.T)
        name = f"{node.input[1]}_matmul"
        graph.initializer.append(numpy_helper.from_array(weight, name))
        product = f"{node.output[0]}_product" if len(node.input) > 2 else node.output[0]
        nodes.append(helper.make_node("MatMul", [node.input[0], name], [product], node.name))
        if len(node.input) > 2:
            bias = [product, node.input[2]]
            nodes.append(helper.make_node("Add", bias, [node.output[0]], f"{node.name}_bias"))
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)


def _no_preprocessing_advice(record: logging.LogRecord) -> bool:
    """Drop onnxruntime's advice to pre-process the model first: it is meant for whoever calls
    ``quantize_dynamic``, and the check after each export measures what quantization did."""
    return "pre-processing before quantization" not in record.getMessage()


def quantize_onnx(source: Path, target: Path, info: ExportInfo) -> None:
    """int8 dynamic quantization (weights int8, activations quantized per call) of ``source``.

    Only nodes whose weight is a constant are quantized, so the signature's own products keep
    full precision.
    """
    # Imported only when int8 is asked for; float exports never need it.
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto = onnx.load(source)
    _gemm_as_matmul(proto)
    constants = {init.name for init in proto.graph.initializer}
    nodes = [
        node.name
        for node in proto.graph.node
        if node.op_type in QUANTIZED_OPS and node.input[1] in constants
    ]
    with tempfile.TemporaryDirectory() as scratch:
        plain, quantized = Path(scratch) / "plain.onnx", Path(scratch) / "int8.onnx"
        onnx.save(proto, plain)
        root = logging.getLogger()  # where quantize_dynamic logs its advice
        root.addFilter(_no_preprocessing_advice)
        try:
            quantize_dynamic(
                plain,
                quantized,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=list(QUANTIZED_OPS),
                nodes_to_quantize=nodes,
            )
        finally:
            root.removeFilter(_no_preprocessing_advice)
        _save(onnx.load(quantized), info, target)
