"""What an exported file holds: one module from decoded pixels to class probabilities.

The input is the decoded, resized image exactly as sigbench's decoder leaves it: **uint8
(N, H, W, C)**, H x W = the run's ``data.image_size`` (an integer: a square), C = 1 (grey)
or 3 (RGB), values 0..255. Picked over float input because it is what every decoder yields,
needs no convention for the scale, and is a quarter of the bytes. The output is float32
(N, K) probabilities. For ImageSig the signature (:class:`ImageSignatureLayer`), the standardizer
and the head are all inside; baselines carry their own resizing and mean/std.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from torch import nn

from sigbench.config import image_hw
from sigbench.errors import SigbenchError
from sigbench.models import model_entry
from sigbench.runs.checkpoint import LoadedRun
from sigbench.signature.backends.torch_backend import ImageSignatureLayer

INPUT_NAME = "images"
OUTPUT_NAME = "probabilities"
INFO_VERSION = 1


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
    input: str = "uint8 (N, H, W, C), 0..255, resized as sigbench decodes (area down, bilinear up)"
    output: str = "float32 (N, K) class probabilities, in the order of classes"
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


class PixelClassifier(nn.Module):
    """uint8 images (N, H, W, C) -> probabilities (N, K): a run's whole inference path.

    Pixels are scaled as training scaled them (``x * (1/255)`` before the signature, ``x / 255``
    for image models), so the export reproduces the run's own predictions.
    """

    def __init__(self, loaded: LoadedRun) -> None:
        super().__init__()
        config = loaded.config
        self.signature: ImageSignatureLayer | None = None
        if model_entry(config.model.kind).input == "signature":
            sig = config.signature
            self.signature = ImageSignatureLayer(
                sig.depth, sig.two_direction, sig.log_sig, sig.path
            )
        self.model = loaded.model.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.signature is not None:
            inputs = self.signature(images.float() * (1 / 255))
        else:
            inputs = images.permute(0, 3, 1, 2).float() / 255.0
        return self.model(inputs).softmax(dim=-1)


def example_images(info: ExportInfo, batch: int = 2) -> torch.Tensor:
    """A random uint8 batch of the export's input shape, for tracing."""
    shape = (batch, *info.height_width, info.channels)
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=generator)


def export_info(loaded: LoadedRun, run_id: str, fmt: str, quantize: str) -> ExportInfo:
    return ExportInfo(
        classes=loaded.classes,
        image_size=loaded.config.model_dump(mode="json")["data"]["image_size"],
        channels=loaded.channels,
        kind=loaded.config.model.kind,
        run_id=run_id,
        format=fmt,
        quantize=quantize,
    )
