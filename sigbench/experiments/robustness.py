"""Robustness of a finished run: its test accuracy under image transforms, and test-time
augmentation.

For each transform and strength (:mod:`sigbench.data.transforms`) the run's test images are
transformed and classified again. Per row: accuracy, its change from the clean images, the
share of predictions that change, and for ImageSig the relative change of the signature
features, mean over images of ||Phi(T x) - Phi(x)|| / ||Phi(x)|| (the scale-equivariance
notes' measure with the identity as the output transform): ``sig_change`` for the raw
signature, ``sig_change_standardized`` for what the head sees after the standardizer.
The scores come from :mod:`sigbench.training.metrics`; :mod:`sigbench.reporting.robustness`
writes the CSV and draws the plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from sigbench.data.transforms import TRANSFORMS, parse_transforms, transform_images
from sigbench.errors import SigbenchError
from sigbench.experiments.inputs import require_single_label, run_inputs, run_splits
from sigbench.progress import SILENT, Progress
from sigbench.runs.checkpoint import LoadedRun, load_run
from sigbench.training.inputs import FeatureInputs
from sigbench.training.loop import predict_proba
from sigbench.training.metrics import prediction_change, relative_change

COLUMNS = [
    "run_id", "model", "transform", "strength", "accuracy", "accuracy_change", "changed",
    "sig_change", "sig_change_standardized", "n_test",
]  # fmt: skip
TTA_SETS: dict[str, tuple[str, ...]] = {
    "flips": ("none", "horizontal", "vertical"),
    "hflip": ("none", "horizontal"),
}


@dataclass
class Outputs:
    """A model's view of some images: probabilities, and for ImageSig its features."""

    proba: np.ndarray
    features: np.ndarray | None = None
    standardized: np.ndarray | None = None


def model_outputs(loaded: LoadedRun, images: np.ndarray) -> Outputs:
    inputs = run_inputs(loaded, images)
    device = loaded.device
    proba = predict_proba(loaded.model, inputs, device=device)
    if not isinstance(inputs, FeatureInputs):
        return Outputs(proba)
    features = np.asarray(inputs.features, dtype=np.float32)
    with torch.no_grad():
        standardized = loaded.model.standardizer(torch.from_numpy(features).to(device))
    standardized = standardized.cpu().numpy()
    return Outputs(proba, features, standardized)


def _row(clean: Outputs, out: Outputs, labels: np.ndarray) -> dict[str, Any]:
    row: dict[str, Any] = {
        **prediction_change(labels, clean.proba, out.proba),
        "sig_change": None,
        "sig_change_standardized": None,
    }
    if clean.features is not None and out.features is not None:
        row["sig_change"] = relative_change(out.features, clean.features)
        row["sig_change_standardized"] = relative_change(out.standardized, clean.standardized)
    return row


def robustness_frame(
    run: Path, transforms: list[str], *, progress: Progress = SILENT
) -> pd.DataFrame:
    """One row per transform and strength (the identity included) on the run's test split;
    ``transforms`` are checked before the run is opened (the CLI has checked them already)."""
    transforms = parse_transforms(",".join(transforms))
    loaded = load_run(run)
    require_single_label(loaded, "--robustness")
    test = run_splits(loaded, progress=progress).test
    clean = model_outputs(loaded, test.images)
    rows = []
    steps = sum(len(TRANSFORMS[name].strengths) for name in transforms)
    with progress.task("transforms", total=steps) as task:
        for name in transforms:
            for strength in TRANSFORMS[name].strengths:
                images = transform_images(test.images, name, strength, loaded.config.seed)
                out = model_outputs(loaded, images)
                rows.append(
                    {
                        "run_id": Path(run).resolve().name,
                        "model": loaded.config.model.kind,
                        "transform": name,
                        "strength": strength,
                        **_row(clean, out, test.labels),
                        "n_test": len(test.labels),
                    }
                )
                task.advance(1)
    return pd.DataFrame(rows, columns=COLUMNS)


def check_tta(tta: str) -> str:
    """``tta`` if it names a set of flips, else a one-line error naming the valid ones."""
    if tta not in TTA_SETS:
        raise SigbenchError(f"--tta {tta!r}: choose one of {', '.join(TTA_SETS)}")
    return tta


def tta_scores(run: Path, tta: str, *, progress: Progress = SILENT) -> dict[str, float]:
    """Test accuracy plain, of each flipped copy, and of the probabilities averaged over them."""
    check_tta(tta)
    loaded = load_run(run)
    require_single_label(loaded, "--tta")
    test = run_splits(loaded, progress=progress).test
    probabilities = []
    scores: dict[str, float] = {}
    for flip in TTA_SETS[tta]:
        images = transform_images(test.images, "flip", flip, loaded.config.seed)
        proba = model_outputs(loaded, images).proba
        probabilities.append(proba)
        key = "accuracy" if flip == "none" else f"accuracy_{flip}"
        scores[key] = float((proba.argmax(axis=1) == test.labels).mean())
    averaged = np.mean(probabilities, axis=0)
    scores[f"accuracy_tta_{tta}"] = float((averaged.argmax(axis=1) == test.labels).mean())
    scores["tta_gain"] = scores[f"accuracy_tta_{tta}"] - scores["accuracy"]
    scores["n_test"] = len(test.labels)
    return scores
