"""Run an exported file: onnxruntime for ``.onnx``, libtorch for TorchScript (``.pt``), the
system C compiler and ctypes for a C export's folder (``model.h``, ``model.c``).

Either way the file alone classifies decoded pixels; sigbench only reads the image files
(as training did) and the stored class names and input size. torch loads only for a
TorchScript file: an ``.onnx`` one runs with onnxruntime alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sigbench.errors import SigbenchError
from sigbench.export.c_build import HEADER, SOURCE, is_c_export, load_c
from sigbench.export.info import INPUT_NAME, ExportInfo, read_info

if TYPE_CHECKING:
    import torch

ONNX_SUFFIXES = (".onnx",)
TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts")
EXPORT_SUFFIXES = (*ONNX_SUFFIXES, *TORCHSCRIPT_SUFFIXES)
PREDICT_BATCH = 256


class ExportedModel(Protocol):
    info: ExportInfo
    path: Path

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, H, W, C) -> float32 (N, K) probabilities."""
        ...


@dataclass
class OnnxModel:
    info: ExportInfo
    path: Path
    session: object  # onnxruntime.InferenceSession

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        return self.session.run(None, {INPUT_NAME: np.ascontiguousarray(images)})[0]


@dataclass
class TorchScriptModel:
    info: ExportInfo
    path: Path
    module: torch.jit.ScriptModule

    def predict_proba(self, images: np.ndarray) -> np.ndarray:
        import torch  # already loaded with the module

        with torch.inference_mode():
            pixels = torch.from_numpy(np.require(images, requirements="CW"))
            return self.module(pixels).numpy()


def _not_sigbench(path: Path) -> SigbenchError:
    return SigbenchError(
        f"{path}: not a file written by `sigbench export` (no sigbench metadata); export the "
        "run again, or pass the run folder instead"
    )


def _onnx(path: Path, threads: int | None) -> OnnxModel:
    # onnx and onnxruntime load only when an .onnx file is opened.
    import onnx
    import onnxruntime as ort

    try:
        proto = onnx.load(path, load_external_data=False)
    except Exception as exc:  # protobuf raises several types on foreign bytes
        raise SigbenchError(f"{path}: not a readable ONNX file ({exc})") from None
    text = read_info(proto)
    if text is None:
        raise _not_sigbench(path)
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return OnnxModel(ExportInfo.from_json(text, path), path, session)


def _torchscript(path: Path) -> TorchScriptModel:
    from sigbench.export.torchscript_export import load_torchscript  # torch

    try:
        module, text = load_torchscript(path)
    except RuntimeError as exc:
        raise SigbenchError(
            f"{path}: not a TorchScript file ({str(exc).splitlines()[0]}); a run's model.pt "
            "checkpoint is read through its run folder"
        ) from None
    if text is None:
        raise _not_sigbench(path)
    return TorchScriptModel(ExportInfo.from_json(text, path), path, module)


def load_exported(path: Path, threads: int | None = None) -> ExportedModel:
    """Open an exported file by its suffix, or a C export's folder (or its model.c / model.h);
    ``threads`` caps onnxruntime's intra-op threads (TorchScript follows
    ``torch.set_num_threads``; the C file runs on one)."""
    path = Path(path)
    if path.name in (HEADER, SOURCE) and is_c_export(path.parent):
        path = path.parent
    if is_c_export(path):
        return load_c(path)
    if not path.is_file():
        raise SigbenchError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in ONNX_SUFFIXES:
        return _onnx(path, threads)
    if suffix in TORCHSCRIPT_SUFFIXES:
        return _torchscript(path)
    raise SigbenchError(
        f"{path}: unknown model file type {suffix!r}; expected a run folder, .onnx, "
        "TorchScript .pt or a C export's folder"
    )


def predict_all(model: ExportedModel, images: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    """Probabilities for any number of images, ``batch`` at a time to bound memory."""
    parts = [model.predict_proba(images[i : i + batch]) for i in range(0, len(images), batch)]
    return np.concatenate(parts) if parts else np.empty((0, len(model.info.classes)), np.float32)
