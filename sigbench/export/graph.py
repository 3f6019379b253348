"""What an exported file holds: one module from decoded pixels to class probabilities.

The input is the decoded, resized image exactly as sigbench's decoder leaves it: **uint8
(N, H, W, C)**, H x W = the run's ``data.image_size`` (an integer: a square), C = 1 (grey)
or 3 (RGB), values 0..255. Picked over float input because it is what every decoder yields,
needs no convention for the scale, and is a quarter of the bytes. The output is float32
(N, K) probabilities: a softmax over classes, or for a multi-label run a sigmoid per attribute.
For ImageSig the signature (:class:`ImageSignatureLayer`), the standardizer
and the head are all inside; baselines carry their own resizing and mean/std.
"""

from __future__ import annotations

import torch
from torch import nn

from sigbench.export.info import MULTILABEL_OUTPUT, SINGLE_LABEL_OUTPUT, ExportInfo
from sigbench.models import model_entry
from sigbench.runs.checkpoint import LoadedRun
from sigbench.signature.layer import ImageSignatureLayer
from sigbench.training.loop import probabilities


class PixelClassifier(nn.Module):
    """uint8 images (N, H, W, C) -> probabilities (N, K): a run's whole inference path.

    Pixels are scaled as training scaled them (``x * (1/255)`` before the signature, ``x / 255``
    for image models), and the logits become probabilities as the run's own predictions do
    (softmax, or a sigmoid per attribute), so the export reproduces them.
    """

    def __init__(self, loaded: LoadedRun) -> None:
        super().__init__()
        config = loaded.config
        self.multilabel = config.data.multilabel
        self.signature: ImageSignatureLayer | None = None
        if model_entry(config.model.kind).input == "signature":
            self.signature = ImageSignatureLayer(config.signature)
        self.model = loaded.model.eval()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.signature is not None:
            inputs = self.signature(images.float() * (1 / 255))
        else:
            inputs = images.permute(0, 3, 1, 2).float() / 255.0
        return probabilities(self.model(inputs), self.multilabel)


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
        source=loaded.config.data.source,
        multilabel=loaded.config.data.multilabel,
        output=MULTILABEL_OUTPUT if loaded.config.data.multilabel else SINGLE_LABEL_OUTPUT,
    )
