"""``sigbench export``: write a run's model as one file, and check it against the run.

The check classifies test images with the file alone (onnxruntime or libtorch) and compares
with the run's own torch pipeline's probabilities on them (its signature backend and head,
or its baseline), which the caller computes
(:func:`sigbench.experiments.exports.export_run`): the largest difference in probabilities,
the share of equal predictions, both accuracies, and for int8 the size of the float file it
was quantized from. For a multi-label run each attribute's probability is compared on its
own, a prediction is one attribute's present-or-absent decision (above 0.5), and the
accuracies are means over attributes.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sigbench.errors import SigbenchError
from sigbench.export.c_build import is_c_export
from sigbench.export.graph import PixelClassifier, export_info
from sigbench.export.info import ExportInfo
from sigbench.export.onnx_export import export_onnx, quantize_onnx
from sigbench.export.runtime import load_exported, predict_all
from sigbench.export.torchscript_export import export_torchscript
from sigbench.options import EXPORT_FORMATS, QUANTIZATIONS
from sigbench.runs.checkpoint import LoadedRun
from sigbench.training.multilabel import ATTRIBUTE_THRESHOLD

FORMATS = EXPORT_FORMATS
QUANTIZE = QUANTIZATIONS
EXPORT_DIR = "export"
SUFFIXES = {"onnx": ".onnx", "torchscript": ".pt"}  # c writes a folder (model.h, model.c)
# The C file's check: float must reproduce the torch model, int8 nearly so.
C_FLOAT_MAX_PROB_DIFF = 1e-5
C_INT8_MIN_AGREEMENT = 0.99

Writer = Callable[[PixelClassifier, ExportInfo, Path], None]
WRITERS: dict[str, Writer] = {"onnx": export_onnx, "torchscript": export_torchscript}


@dataclass
class Agreement:
    """How an export's predictions compare with the torch model's on the same images."""

    max_prob_diff: float
    agreement: float  # multi-label: the share of equal attribute decisions
    accuracy: float  # multi-label: the mean over attributes
    torch_accuracy: float
    n: int
    # Multi-label only: each attribute's largest |p_export - p_torch|, in the file's order.
    attribute_max_diff: list[float] | None = None


@dataclass
class ExportResult:
    path: Path
    info: ExportInfo
    file_kb: float
    float_kb: float | None  # int8 only: the float export it replaces
    check: Agreement
    failure: str | None = None  # C only: why the check failed, None when it passed


def c_check_failure(check: Agreement, quantize: str) -> str | None:
    """The C file's acceptance test: float gives the same class on every test image and
    probabilities within :data:`C_FLOAT_MAX_PROB_DIFF`; int8 the same class on at least
    :data:`C_INT8_MIN_AGREEMENT` of them. The reason it fails, or None."""
    if quantize == "int8":
        if check.agreement < C_INT8_MIN_AGREEMENT:
            return f"same class on {check.agreement:.2%} < {C_INT8_MIN_AGREEMENT:.0%}"
        return None
    if check.agreement < 1.0:
        return f"same class on {check.agreement:.2%}, not on every test image"
    if check.max_prob_diff > C_FLOAT_MAX_PROB_DIFF:
        return f"max |p_c - p_torch| = {check.max_prob_diff:.2e} > {C_FLOAT_MAX_PROB_DIFF:.0e}"
    return None


def export_path(run: Path, fmt: str, quantize: str) -> Path:
    """Where ``sigbench export`` writes by default, and where ``bench`` looks for exports."""
    if fmt == "c":
        return Path(run) / EXPORT_DIR / ("c-int8" if quantize == "int8" else "c")
    stem = "model-int8" if quantize == "int8" else "model"
    name = f"{stem}.onnx" if fmt == "onnx" else f"{stem}.torchscript.pt"
    return Path(run) / EXPORT_DIR / name


def run_exports(run: Path) -> list[Path]:
    """The exports under a run's ``export/`` folder, in a fixed order."""
    paths = [export_path(run, fmt, q) for fmt in FORMATS for q in QUANTIZE]
    return [p for p in paths if p.is_file() or is_c_export(p)]


def compare(
    reference: np.ndarray, exported: np.ndarray, labels: np.ndarray, *, multilabel: bool = False
) -> Agreement:
    """Largest |p_export - p_torch| and the share of equal predictions: argmax classes, or
    with ``multilabel`` (labels (N, K) of 0/1) each attribute's decision above the threshold,
    with the largest difference also per attribute."""
    difference = np.abs(reference - exported)
    if multilabel:
        ours, theirs = reference > ATTRIBUTE_THRESHOLD, exported > ATTRIBUTE_THRESHOLD
        labels = labels.astype(bool)
        per_attribute = difference.max(axis=0, initial=0.0).tolist()
    else:
        ours, theirs = reference.argmax(axis=1), exported.argmax(axis=1)
        per_attribute = None
    return Agreement(
        max_prob_diff=float(difference.max(initial=0.0)),
        agreement=float((ours == theirs).mean()),
        accuracy=float((theirs == labels).mean()),
        torch_accuracy=float((ours == labels).mean()),
        n=len(labels),
        attribute_max_diff=per_attribute,
    )


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SigbenchError(f"{option} {value!r}: choose one of {', '.join(choices)}")


def export_target(run: Path, fmt: str, quantize: str, out: Path | None) -> Path:
    """The file to write, once ``fmt`` and ``quantize`` are known choices and ``out`` (or
    :func:`export_path`) has the format's suffix."""
    _check_choice("--format", fmt, FORMATS)
    _check_choice("--quantize", quantize, QUANTIZE)
    path = Path(out) if out is not None else export_path(run, fmt, quantize)
    if fmt == "c":
        if path.is_file():
            raise SigbenchError(f"--out {path}: a C export is a folder (model.h, model.c)")
        return path
    if path.suffix.lower() != SUFFIXES[fmt]:
        raise SigbenchError(f"--out {path}: a {fmt} file must end in {SUFFIXES[fmt]}")
    return path


def write_export(
    loaded: LoadedRun, fmt: str, quantize: str, path: Path
) -> tuple[ExportInfo, float | None]:
    """Write ``loaded`` as ``fmt`` (int8 if asked) to ``path``; its info, and for int8 the
    size of the float file it was quantized from."""
    info = export_info(loaded, loaded.path.resolve().name, fmt, quantize)
    if fmt == "c":
        return info, _write_c(loaded, info, path)
    model = PixelClassifier(loaded)
    float_kb = None
    if quantize == "int8":
        with tempfile.TemporaryDirectory() as scratch:
            plain = Path(scratch) / f"float{SUFFIXES[fmt]}"
            WRITERS[fmt](model, export_info(loaded, info.run_id, fmt, "none"), plain)
            float_kb = plain.stat().st_size / 1024
            if fmt == "onnx":
                quantize_onnx(plain, path, info)
            else:
                export_torchscript(model, info, path)
    else:
        WRITERS[fmt](model, info, path)
    return info, float_kb


def _write_c(loaded: LoadedRun, info: ExportInfo, path: Path) -> None:
    """The C files in the folder ``path`` (there is no float file to compare sizes with: the
    microcontroller check reports flash and RAM)."""
    from sigbench.export.c_export import export_c, refuse_unsupported

    refuse_unsupported(loaded)
    export_c(loaded, info, path)


def export_kb(path: Path) -> float:
    """An export's size: the file, or for C the folder's sources."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file()) / 1024
    return path.stat().st_size / 1024


def check_export(
    path: Path, images: np.ndarray, labels: np.ndarray, reference: np.ndarray
) -> Agreement:
    """The file at ``path`` on ``images`` against the torch model's ``reference``
    probabilities on them (per attribute for a multi-label file)."""
    exported = load_exported(path)
    probabilities = predict_all(exported, images)
    return compare(reference, probabilities, labels, multilabel=exported.info.multilabel)
