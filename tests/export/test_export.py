"""Exports classify pixels on their own, agree with the run's torch model, carry their class
names and input size, and int8 files are smaller."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from PIL import Image

from sigbench.errors import SigbenchError
from sigbench.experiments.exports import export_run
from sigbench.experiments.inputs import run_inputs, run_splits
from sigbench.experiments.predict import open_predictor
from sigbench.export.pipeline import export_path, run_exports
from sigbench.export.runtime import load_exported
from sigbench.runs import rundir
from sigbench.runs.checkpoint import load_run
from sigbench.training.loop import predict_proba

# Runs with nothing of sigbench, torch or the signature packages importable: the file and
# onnxruntime alone turn image files into class names.
STANDALONE = """
import json, sys
for name in ("signatory", "pysiglib", "iisignature", "torch", "sigbench"):
    sys.modules[name] = None
import numpy as np, onnx, onnxruntime
from PIL import Image

path, files = sys.argv[1], sys.argv[2:]
proto = onnx.load(path)
info = json.loads({p.key: p.value for p in proto.metadata_props}["sigbench"])
size, channels = info["image_size"], info["channels"]
images = np.stack([
    np.asarray(Image.open(f).convert("L" if channels == 1 else "RGB").resize((size, size)))
    .reshape(size, size, channels)
    for f in files
])
session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
proba = session.run(None, {"images": images})[0]
print(json.dumps([info["classes"][k] for k in proba.argmax(axis=1)]))
"""


def _torch_predictions(run: Path) -> tuple[np.ndarray, list[str]]:
    loaded = load_run(run)
    images = run_splits(loaded).test.images
    proba = predict_proba(loaded.model, run_inputs(loaded, images))
    return images, [loaded.classes[k] for k in proba.argmax(axis=1)]


def test_onnx_imagesig_classifies_image_files_with_onnxruntime_alone(
    digits_run: Path, tmp_path: Path
) -> None:
    result = export_run(digits_run, "onnx")
    assert result.path == export_path(digits_run, "onnx", "none")
    assert result.check.agreement >= 0.995 and result.check.max_prob_diff < 1e-2
    images, expected = _torch_predictions(digits_run)
    files = []
    for i, pixels in enumerate(images):
        files.append(tmp_path / f"{i}.png")
        Image.fromarray(pixels[..., 0]).save(files[-1])
    done = subprocess.run(
        [sys.executable, "-c", STANDALONE, str(result.path), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    predicted = json.loads(done.stdout)
    agreement = np.mean([a == b for a, b in zip(predicted, expected, strict=True)])
    assert agreement >= 0.995


def test_the_onnx_graph_stays_small(digits_run: Path) -> None:
    graph = onnx.load(export_path(digits_run, "onnx", "none")).graph
    assert len(graph.node) < 400  # the signature is not unrolled over the path's points


def test_int8_onnx_is_smaller_and_still_agrees(digits_run: Path) -> None:
    result = export_run(digits_run, "onnx", quantize="int8")
    assert result.float_kb is not None and result.file_kb < 0.6 * result.float_kb
    assert result.check.agreement >= 0.95
    assert load_exported(result.path).info.quantize == "int8"


def test_torchscript_round_trip(digits_run: Path) -> None:
    result = export_run(digits_run, "torchscript")
    model = load_exported(result.path)
    loaded = load_run(digits_run)
    assert model.info.classes == loaded.classes
    assert (model.info.image_size, model.info.channels) == (8, 1)
    # Not bit-equal: the torch signature layer stands in for the run's backend (see the
    # standardizer note in the export docs), so a near-tie may flip.
    assert result.check.agreement >= 0.995 and result.check.max_prob_diff < 1e-2
    int8 = export_run(digits_run, "torchscript", quantize="int8")
    assert int8.file_kb < int8.float_kb
    assert set(run_exports(digits_run)) >= {result.path, int8.path}


def test_a_baseline_exports_with_its_preprocessing(rgb_cnn_run: Path) -> None:
    result = export_run(rgb_cnn_run, "onnx")
    assert result.check.agreement == 1.0 and result.check.max_prob_diff < 1e-4
    assert result.info.kind == "simple_cnn" and result.info.channels == 3


def test_predict_takes_an_exported_file(rgb_sig_run: Path, rgb_folder: Path) -> None:
    path = export_run(rgb_sig_run, "torchscript").path
    images = np.stack(
        [np.asarray(Image.open(p)) for p in sorted((rgb_folder / "test" / "red").glob("*.png"))[:3]]
    )
    images = images[:, 4:16, 2:14]  # 12x12, the run's size
    from_file = open_predictor(path).proba(images)
    from_run = open_predictor(rgb_sig_run).proba(images)
    assert from_file.argmax(axis=1).tolist() == from_run.argmax(axis=1).tolist()
    np.testing.assert_allclose(from_file, from_run, atol=1e-4)


def test_bad_export_requests_are_one_line_errors(digits_run: Path, tmp_path: Path) -> None:
    with pytest.raises(SigbenchError, match="--format 'tflite'"):
        export_run(digits_run, "tflite")
    with pytest.raises(SigbenchError, match=r"must end in \.onnx"):
        export_run(digits_run, "onnx", out=tmp_path / "model.pt")
    with pytest.raises(SigbenchError, match="not a TorchScript file"):
        load_exported(digits_run / "model.pt")
    foreign = tmp_path / "foreign.onnx"
    graph = onnx.helper.make_graph([], "empty", [], [])
    onnx.save(onnx.helper.make_model(graph), foreign)
    with pytest.raises(SigbenchError, match="no sigbench metadata"):
        load_exported(foreign)


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    def broken(temporary: Path) -> None:
        temporary.write_bytes(b"half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        rundir.write_file_atomic(tmp_path / "model.onnx", broken)
    assert not list(tmp_path.iterdir())
