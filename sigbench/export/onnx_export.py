"""ONNX export (torch's ``torch.export``-based exporter) and onnxruntime's int8 quantization.

The file is self-contained: weights inside, the batch axis free, and the
:class:`~sigbench.export.info.ExportInfo` as JSON under the ``sigbench`` key of the model's
``metadata_props``. Per-node debugging metadata (stack traces with local paths) is dropped.

An ImageSig file is two graphs joined: the image signature built node by node
(:mod:`~sigbench.export.signature_graph`, several times faster in onnxruntime than the
exporter's rendering of the torch layer) feeding the exported standardizer and head.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import compose, helper, numpy_helper
from torch import nn

from sigbench.export import signature_graph
from sigbench.export.graph import PixelClassifier, example_images
from sigbench.export.info import INPUT_NAME, METADATA_KEY, OUTPUT_NAME, ExportInfo
from sigbench.export.signature_graph import GraphSpec, signature_model
from sigbench.runs import rundir
from sigbench.training.loop import probabilities

OPSET = 18
# Ops whose weight (input 1) int8 dynamic quantization stores as int8: the dense layers and
# convolutions of the head or CNN. The signature graph stays float: its constants are exact
# (a 0/1 prefix-sum matrix, factorials) and its products of activations have no weight.
QUANTIZED_OPS = ("MatMul", "Conv")


class _Probabilities(nn.Module):
    """Signature features (N, streams, length) -> probabilities (softmax, or a sigmoid per
    attribute): an ImageSig file's head."""

    def __init__(self, model: nn.Module, multilabel: bool) -> None:
        super().__init__()
        self.model, self.multilabel = model, multilabel

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return probabilities(self.model(features), self.multilabel)


def _exported(module: nn.Module, example: torch.Tensor, input_name: str) -> onnx.ModelProto:
    """``module`` through torch's exporter, batch axis free, node metadata dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exporter chatter about deprecated internals
        program = torch.onnx.export(
            module,
            (example,),
            dynamo=True,
            input_names=[input_name],
            output_names=[OUTPUT_NAME],
            dynamic_shapes=({0: torch.export.Dim("batch", min=1)},),
            opset_version=OPSET,
            external_data=False,
            verbose=False,
        )
    proto = program.model_proto
    for node in proto.graph.node:
        del node.metadata_props[:]
    return proto


def graph_spec(model: PixelClassifier, info: ExportInfo) -> GraphSpec:
    layer = model.signature
    assert layer is not None
    return GraphSpec(layer.spec, *info.height_width, info.channels)


def _imagesig_proto(model: PixelClassifier, info: ExportInfo) -> onnx.ModelProto:
    """The signature graph joined to the exported head (standardizer, head, softmax or
    sigmoid)."""
    spec = graph_spec(model, info)
    features = torch.zeros(2, spec.streams, spec.length)
    head = _exported(
        _Probabilities(model.model, model.multilabel), features, signature_graph.OUTPUT
    )
    signature = signature_model(spec)
    signature.ir_version = head.ir_version
    joined = compose.merge_models(
        signature,
        head,
        io_map=[(signature_graph.OUTPUT, signature_graph.OUTPUT)],
        producer_name=head.producer_name,
    )
    opsets = {(o.domain, o.version): o for o in joined.opset_import}  # merging lists both
    del joined.opset_import[:]
    joined.opset_import.extend(opsets.values())
    return joined


def export_onnx(model: PixelClassifier, info: ExportInfo, path: Path) -> None:
    """Write ``model`` as ONNX to ``path`` (atomically), with ``info`` in its metadata."""
    if model.signature is not None:
        proto = _imagesig_proto(model, info)
    else:
        proto = _exported(model, example_images(info), INPUT_NAME)
    _save(proto, info, path)


def _save(proto: onnx.ModelProto, info: ExportInfo, path: Path) -> None:
    del proto.metadata_props[:]
    helper.set_model_props(proto, {METADATA_KEY: info.to_json()})
    rundir.write_file_atomic(path, lambda temporary: onnx.save(proto, temporary))


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

    Only the head's (or CNN's) nodes with a constant weight are quantized: the signature graph
    keeps full precision.
    """
    # Imported only when int8 is asked for; float exports never need it.
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto = onnx.load(source)
    _gemm_as_matmul(proto)
    constants = {init.name for init in proto.graph.initializer}
    nodes = [
        node.name
        for node in proto.graph.node
        if node.op_type in QUANTIZED_OPS
        and node.input[1] in constants
        and not node.name.startswith(signature_graph.PREFIX)
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
