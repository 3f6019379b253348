"""The C export, compiled with the system C compiler: it reproduces the torch model (signature
layer, standardizer, head) for every path transform, rows and columns, square or not; int8
is exactly the torch model with the quantized weights; it is plain C99 with no dependency;
runs it cannot reproduce are refused in one line."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.errors import SigbenchError
from sigbench.experiments.exports import export_run
from sigbench.experiments.predict import open_predictor
from sigbench.export.c_build import load_c
from sigbench.export.c_export import quantize_rows, refuse_unsupported, write_c_sources
from sigbench.export.info import ExportInfo
from sigbench.export.pipeline import export_path, run_exports
from sigbench.export.signature_graph import GraphSpec
from sigbench.models.imagesig import FcConfig, imagesig_fc
from sigbench.signature import ImageSignatureLayer, SignatureSpec

SPECS = [
    # (height, width), channels, depth, two_direction, path
    ((6, 6), 3, 1, False, "none"),
    ((6, 6), 1, 4, True, "time"),
    ((7, 7), 3, 2, True, "basepoint"),
    ((8, 8), 3, 4, False, "none"),
    ((6, 6), 3, 4, True, "lead_lag"),
    ((5, 5), 2, 5, False, "time"),
    ((20, 20), 3, 3, True, "time"),  # more streams than one block of lanes
    # non-square: rows of W points, columns of H
    ((8, 6), 3, 4, True, "none"),
    ((5, 7), 1, 3, True, "lead_lag"),
    ((18, 9), 1, 4, True, "time"),
]


def _model(spec: GraphSpec, images: np.ndarray, classes: int) -> torch.nn.Module:
    """A random ImageSig-FC whose standardizer is fitted on ``images``' own features."""
    torch.manual_seed(0)
    model = imagesig_fc(
        (spec.streams, spec.length), classes, FcConfig(kind="imagesig_fc", neurons=12)
    ).eval()
    features = _features(spec, images)
    model.standardizer.set_statistics(features.mean(dim=0), features.std(dim=0))
    return model


def _features(spec: GraphSpec, images: np.ndarray) -> torch.Tensor:
    layer = ImageSignatureLayer(spec.signature)
    return layer(torch.from_numpy(images).float() * (1 / 255))


def _torch_proba(model: torch.nn.Module, spec: GraphSpec, images: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(_features(spec, images)).softmax(dim=-1).numpy()


def _compiled(
    model: torch.nn.Module, spec: GraphSpec, classes: int, quantize: str, folder: Path
) -> object:
    info = ExportInfo(
        classes=[f"class {k}" for k in range(classes)],
        image_size=[spec.height, spec.width],
        channels=spec.channels,
        kind="imagesig_fc",
        run_id="test",
        format="c",
        quantize=quantize,
    )
    write_c_sources(model, spec, info, folder)
    return load_c(folder)


@pytest.mark.parametrize("setting", SPECS, ids=lambda s: "-".join(map(str, s)))
def test_the_c_file_reproduces_the_torch_model(setting: tuple, tmp_path: Path) -> None:
    size, channels, depth, two_direction, path = setting
    spec = GraphSpec(SignatureSpec(depth, two_direction, False, path), *size, channels)
    images = np.random.default_rng(1).integers(0, 256, (40, *size, channels), np.uint8)
    model = _model(spec, images, classes=5)
    expected = _torch_proba(model, spec, images)
    got = _compiled(model, spec, 5, "none", tmp_path).predict_proba(images)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()
    assert np.abs(got - expected).max() <= 1e-5


@pytest.mark.parametrize("setting", [SPECS[1], SPECS[7]], ids=["time", "non-square"])
def test_int8_is_the_torch_model_with_quantized_weights(setting: tuple, tmp_path: Path) -> None:
    size, channels, depth, two_direction, path = setting
    spec = GraphSpec(SignatureSpec(depth, two_direction, False, path), *size, channels)
    images = np.random.default_rng(2).integers(0, 256, (40, *size, channels), np.uint8)
    model = _model(spec, images, classes=4)
    compiled = _compiled(model, spec, 4, "int8", tmp_path)
    hidden = model.head[1][0]
    quantized, step = quantize_rows(hidden.weight.detach().numpy())
    assert np.abs(quantized).max() == 127 and quantized.dtype == np.int8
    with torch.no_grad():
        hidden.weight.copy_(torch.from_numpy(quantized * step[:, None]))
    expected = _torch_proba(model, spec, images)
    got = compiled.predict_proba(images)
    # Not bit-equal: the mean is folded into the bias, so the sums round differently.
    assert np.abs(got - expected).max() <= 1e-4


def test_the_files_are_plain_c99_without_dependencies(tmp_path: Path) -> None:
    spec = GraphSpec(SignatureSpec(4, True, False, "time"), 6, 6, 1)
    images = np.random.default_rng(3).integers(0, 256, (8, 6, 6, 1), np.uint8)
    _compiled(_model(spec, images, 3), spec, 3, "int8", tmp_path)  # -std=c99 -pedantic -Werror
    header, source = (tmp_path / "model.h").read_text(), (tmp_path / "model.c").read_text()
    includes = re.findall(r"#include\s*(\S+)", header + source)
    assert set(includes) == {"<stdint.h>", "<math.h>", '"model.h"'}
    assert not re.search(r"\b(malloc|calloc|realloc|free|printf)\b", source)
    assert "void sigbench_model_predict(const uint8_t *pixels, float *scores);" in header
    for name, value in [("HEIGHT", 6), ("WIDTH", 6), ("CHANNELS", 1), ("CLASSES", 3)]:
        assert f"#define SIGBENCH_MODEL_{name} {value}\n" in header
    assert "static const int8_t hidden_weight" in source


def test_runs_the_c_file_cannot_reproduce_are_refused(rgb_cnn_run: Path) -> None:
    with pytest.raises(SigbenchError, match="model.kind = 'simple_cnn' has no C export"):
        export_run(rgb_cnn_run, "c")
    log_sig = SimpleNamespace(
        config=SimpleNamespace(
            model=SimpleNamespace(kind="imagesig_fc"), signature=SimpleNamespace(log_sig=True)
        )
    )
    with pytest.raises(SigbenchError, match="log_sig = true is not implemented"):
        refuse_unsupported(log_sig)  # type: ignore[arg-type]


def test_a_run_exports_to_c_passes_its_check_and_predicts(digits_run: Path, tmp_path: Path) -> None:
    result = export_run(digits_run, "c")
    assert result.path == export_path(digits_run, "c", "none")
    assert result.failure is None
    assert result.check.agreement == 1.0 and result.check.max_prob_diff <= 1e-5
    int8 = export_run(digits_run, "c", quantize="int8")
    assert int8.failure is None and int8.check.agreement >= 0.99
    assert {result.path, int8.path} <= set(run_exports(digits_run))
    predictor = open_predictor(result.path / "model.c")
    images = np.zeros((2, 8, 8, 1), np.uint8)
    assert predictor.proba(images).shape == (2, 10)


def test_export_c_from_the_command_line(digits_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "edge"
    result = CliRunner().invoke(
        app, ["export", str(digits_run), "--format", "c", "--out", str(out)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "passed" in result.output and (out / "model.c").is_file()
    (tmp_path / "file").write_text("")
    with pytest.raises(SigbenchError, match="a C export is a folder"):
        export_run(digits_run, "c", out=tmp_path / "file")
