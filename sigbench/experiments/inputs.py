"""Turn image splits into what a model kind eats: signature features or image tensors; and a
finished run's data and inputs, loaded as its training loaded them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sigbench.arraycache import row_chunks
from sigbench.config import DataConfig, ExperimentConfig
from sigbench.data import DatasetSplits, ImageSet, load_splits
from sigbench.errors import SigbenchError
from sigbench.models import model_entry
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.checkpoint import LoadedRun
from sigbench.signature.compute import SignaturePlan
from sigbench.signature.featurizer import featurize
from sigbench.training.image_inputs import ImageInputs
from sigbench.training.inputs import FeatureInputs, ModelInputs

log = logging.getLogger(__name__)


@dataclass
class PreparedInputs:
    """Model inputs for each split, plus how long featurization took and whether it hit cache."""

    splits: dict[str, ModelInputs]
    input_shape: tuple[int, ...]
    featurize_seconds: float = 0.0
    feature_cache: dict[str, str] = field(default_factory=dict)


def warn_if_endpoints_only(channels: int, config: ExperimentConfig) -> None:
    if channels == 1 and config.signature.path == "none":
        log.warning(
            "grayscale images with signature.path: none: each stream's signature sees only its "
            "two end points; set signature.path: time (or lead_lag / basepoint)"
        )


def data_settings(config: ExperimentConfig) -> DataConfig:
    """What to load the data with: image models augment online, so no offline copies."""
    if config.data.augment and model_entry(config.model.kind).input == "image":
        return config.data.model_copy(update={"augment": []})
    return config.data


def image_inputs_for(config: ExperimentConfig, splits: dict[str, ImageSet]) -> PreparedInputs:
    """Pixels held as decoded; the training split augmented online by ``data.augment``."""
    if config.data.augment:
        log.info("data.augment %s: applied online, per training batch", config.data.augment)
    prepared: dict[str, ModelInputs] = {
        name: ImageInputs(
            image_set.images, config.data.augment if name == "train" else (), config.seed
        )
        for name, image_set in splits.items()
    }
    first = next(iter(splits.values()))
    _, height, width, channels = first.images.shape
    return PreparedInputs(splits=prepared, input_shape=(channels, height, width))


def prepare_inputs(
    config: ExperimentConfig,
    splits: dict[str, ImageSet],
    *,
    cache_dir: Path | None,
    progress: Progress = SILENT,
    device: str = "cpu",
) -> PreparedInputs:
    """Featurize each split for signature models (on ``device`` where the backend can);
    wrap pixels for image models."""
    if model_entry(config.model.kind).input == "image":
        return image_inputs_for(config, splits)

    first = next(iter(splits.values()))
    warn_if_endpoints_only(first.images.shape[-1], config)
    prepared: dict[str, ModelInputs] = {}
    result = PreparedInputs(splits=prepared, input_shape=())
    for name, image_set in splits.items():
        if len(image_set.images) == 0:
            prepared[name] = FeatureInputs(np.empty((0, 0, 0), dtype=np.float32))
            continue
        features = featurize(
            image_set.images,
            config.signature,
            cache_dir=cache_dir,
            progress=progress,
            device=device,
        )
        prepared[name] = FeatureInputs(features.array)
        result.featurize_seconds += features.seconds
        result.feature_cache[name] = features.cache
        result.input_shape = tuple(features.array.shape[1:])
    return result


def inference_pipeline(
    config: ExperimentConfig, model: nn.Module, device: torch.device | str = "cpu"
) -> Callable[[np.ndarray], torch.Tensor]:
    """uint8 images (N, H, W, C) to logits on ``device``, every step a deployed model takes
    (for timing; the CPU unless asked, as latency is quoted for the CPU)."""
    model.eval().to(device)
    if model_entry(config.model.kind).input == "image":

        def pixels(images: np.ndarray) -> torch.Tensor:
            return ImageInputs(images).take(np.arange(len(images)), train=False).to(device)

        return lambda images: model(pixels(images))
    plan = SignaturePlan(config.signature, device=str(device))
    return lambda images: model(torch.from_numpy(plan(images)).to(device))


def feature_statistics(features: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std in float64, a chunk at a time (features may exceed RAM)."""
    total = np.zeros(features.shape[1:], dtype=np.float64)
    squares = np.zeros_like(total)
    for _, rows in row_chunks(features, chunk):
        block = np.asarray(rows, dtype=np.float64)
        total += block.sum(axis=0)
        squares += np.square(block).sum(axis=0)
    count = max(len(features), 1)
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
    return mean, std


# What ``eval --data`` can read for each source a run can be trained on.
EVAL_DATA = {
    "imagefolder": "a folder of class folders",
    "labelfile": "a folder of numbered images, with --labels FILE",
    "csv": "a CSV file of image paths and labels",
}


@dataclass(frozen=True)
class EvalData:
    """Other test images to score a run on (``eval --data PATH [--labels FILE]``), in the
    layout of the run's own source: the run's ``data.test`` (and ``data.test_labels``)."""

    path: Path
    labels: Path | None = None

    def check(self) -> None:
        """A missing path is its own one-line error, before any work."""
        if not self.path.exists():
            raise SigbenchError(f"--data {self.path}: no such file or folder")
        if self.labels is not None and not self.labels.is_file():
            raise SigbenchError(f"--labels {self.labels}: no such file")

    def settings(self, loaded: LoadedRun) -> dict[str, Path]:
        """The ``data`` keys this sets for ``loaded``'s source, or a one-line error saying
        what its source reads."""
        self.check()
        source = loaded.config.data.source
        if source not in EVAL_DATA:
            readable = "; ".join(f"{name}: {what}" for name, what in EVAL_DATA.items())
            raise SigbenchError(
                f"--data: {loaded.path} was trained on data.source: {source}, whose test images "
                f"come with the dataset; --data scores runs of these sources ({readable})"
            )
        if source == "labelfile" and self.labels is None:
            raise SigbenchError(
                f"--data {self.path}: {loaded.path} is a label-file run; add --labels FILE, one "
                "label per line in the images' numeric order"
            )
        if source != "labelfile" and self.labels is not None:
            raise SigbenchError(
                f"--labels: {loaded.path} was trained on data.source: {source}, which reads its "
                f"labels from --data ({EVAL_DATA[source]}); drop --labels"
            )
        if source == "labelfile":
            return {"test": self.path, "test_labels": self.labels}
        return {"test": self.path}


def run_splits(
    loaded: LoadedRun, test_data: EvalData | None = None, progress: Progress = SILENT
) -> DatasetSplits:
    """The splits a run was trained on (same seed), or its test split taken from ``test_data``;
    their pixels come from the pixel cache of the results folder the run is in."""
    config = loaded.config
    if test_data is not None:
        for key, value in test_data.settings(loaded).items():
            setattr(config.data, key, value)
    cache_dir = rundir.run_cache_dir(loaded.path)
    splits = load_splits(data_settings(config), config.seed, progress=progress, cache_dir=cache_dir)
    if splits.classes != loaded.classes:
        where = test_data.path if test_data else f"data.source {config.data.source}"
        raise SigbenchError(
            f"{where}: classes {splits.classes} differ from the model's {loaded.classes}"
        )
    return splits


def require_single_label(loaded: LoadedRun, what: str) -> None:
    """A one-line error where ``what`` (a command) cannot handle a multi-label run yet."""
    if loaded.config.data.multilabel:
        raise SigbenchError(
            f"{what}: {loaded.path} is a multi-label run ({len(loaded.classes)} attributes); "
            f"{what} handles single-label runs only so far (sigbench eval and predict handle both)"
        )


def run_inputs(loaded: LoadedRun, images: np.ndarray) -> ModelInputs:
    """uint8 images (N, H, W, C) as the run's model eats them: features or pixels."""
    image_set = ImageSet(images, np.zeros(len(images), dtype=np.int64), [""] * len(images))
    return prepare_inputs(loaded.config, {"x": image_set}, cache_dir=None).splits["x"]
