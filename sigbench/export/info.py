"""What an exported file says about itself, readable without torch.

:class:`ExportInfo` travels inside every export as JSON: in an ONNX file's
``metadata_props`` under :data:`METADATA_KEY`, in a TorchScript file as an extra file. The
input and output tensor names are fixed here too. Opening an ``.onnx`` file for prediction
needs only this module and onnxruntime, so ``sigbench predict model.onnx`` never loads torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from sigbench.config import image_hw
from sigbench.errors import SigbenchError

if TYPE_CHECKING:
    import onnx

METADATA_KEY = "sigbench"
INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"
INFO_VERSION = 1
SINGLE_LABEL_OUTPUT = "float32 (N, K) class probabilities, in the order of classes"
MULTILABEL_OUTPUT = (
    "float32 (N, K) attribute probabilities (a sigmoid each: present above 0.5), in the "
    "order of classes"
)


@dataclass
class ExportInfo:
    """What a user of the file needs besides the graph: stored in it as JSON."""

    classes: list[str]
    image_size: int | list[int]  # data.image_size as the run's config has it
    channels: int
    kind: str
    run_id: str
    format: str
    quantize: str = "none"
    source: str | None = None  # the run's data.source: a labelfile run's folders list by number
    # A multi-label run's file ends in a sigmoid: classes are its attributes, each with its
    # own probability (present above 0.5), as ``predict`` reads them from the run folder.
    multilabel: bool = False
    input: str = "uint8 (N, H, W, C), 0..255, resized as sigbench decodes (area down, bilinear up)"
    output: str = SINGLE_LABEL_OUTPUT
    version: int = INFO_VERSION

    @property
    def height_width(self) -> tuple[int, int]:
        return image_hw(self.image_size)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str, source: Path) -> ExportInfo:
        """Parse the stored JSON, or name the file and say how to make a readable one."""
        try:
            data = json.loads(text)
            info = cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
        except (ValueError, TypeError) as exc:
            raise SigbenchError(
                f"{source}: its sigbench metadata does not parse ({exc}); export it again with "
                "`sigbench export RUN_DIR`"
            ) from None
        if info.version != INFO_VERSION:
            raise SigbenchError(
                f"{source}: sigbench export format {info.version}, this sigbench reads "
                f"{INFO_VERSION}; export it again with `sigbench export RUN_DIR`"
            )
        return info


def read_info(proto: onnx.ModelProto) -> str | None:
    """The stored ExportInfo JSON, or None for an ONNX file sigbench did not write."""
    return next((p.value for p in proto.metadata_props if p.key == METADATA_KEY), None)
