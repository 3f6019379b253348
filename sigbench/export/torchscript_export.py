"""TorchScript export (traced) and torch's int8 dynamic quantization of the dense layers.

The :class:`~sigbench.export.info.ExportInfo` travels inside the file as the extra file
``sigbench.json`` (``torch.jit.load(..., _extra_files=...)`` reads it back). TorchScript is
deprecated upstream in favour of ``torch.export``; it is kept because it loads with nothing
but libtorch (C++, mobile), and its warnings are silenced here.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import torch
from torch import nn

from sigbench.export.graph import PixelClassifier, example_images
from sigbench.export.info import ExportInfo
from sigbench.runs import rundir

INFO_FILE = "sigbench.json"


def scripted(model: PixelClassifier, info: ExportInfo) -> torch.jit.ScriptModule:
    """The traced module; int8 when ``info.quantize`` says so (every ``nn.Linear``)."""
    if info.quantize == "int8":
        # Imported only when int8 is asked for; float exports never need it.
        from torch.ao.quantization import quantize_dynamic

        model = copy.deepcopy(model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated upstream
            model = quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        return torch.jit.trace(model, example_images(info), check_trace=False)


def export_torchscript(model: PixelClassifier, info: ExportInfo, path: Path) -> None:
    """Write the traced ``model`` to ``path`` (atomically) with ``info`` inside."""
    module = scripted(model, info)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rundir.write_file_atomic(
            path, lambda temporary: torch.jit.save(module, temporary, {INFO_FILE: info.to_json()})
        )


def load_torchscript(path: Path) -> tuple[torch.jit.ScriptModule, str | None]:
    """The module and its stored ExportInfo JSON (None when sigbench did not write it)."""
    extra = {INFO_FILE: ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = torch.jit.load(path, map_location="cpu", _extra_files=extra)
    text = extra[INFO_FILE]
    return module.eval(), (text.decode() if isinstance(text, bytes) else text) or None
