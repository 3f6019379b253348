"""Robustness of a finished run: its test accuracy under image transforms, and test-time
augmentation.

For each transform and strength (:mod:`sigbench.data.transforms`) the run's test images are
transformed and classified again. Per row: accuracy, its change from the clean images, the
share of predictions that change, and for ImageSig the relative change of the signature
features, mean over images of ||Phi(T x) - Phi(x)|| / ||Phi(x)|| (the scale-equivariance
notes' measure with the identity as the output transform): ``sig_change`` for the raw
signature, ``sig_change_standardized`` for what the head sees after the standardizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from sigbench.data.transforms import TRANSFORMS, transform_images
from sigbench.errors import SigbenchError
from sigbench.experiments import rundir
from sigbench.experiments.run import LoadedRun, load_run, run_inputs, run_splits
from sigbench.progress import SILENT, Progress
from sigbench.training.inputs import FeatureInputs
from sigbench.training.loop import predict_proba

ROBUSTNESS_CSV = "robustness.csv"
ROBUSTNESS_PNG = "robustness.png"
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
    proba = predict_proba(loaded.model, inputs)
    if not isinstance(inputs, FeatureInputs):
        return Outputs(proba)
    features = np.asarray(inputs.features, dtype=np.float32)
    with torch.no_grad():
        standardized = loaded.model.standardizer(torch.from_numpy(features)).numpy()
    return Outputs(proba, features, standardized)


def relative_change(changed: np.ndarray, clean: np.ndarray) -> float:
    """Mean over images of ||changed - clean|| / ||clean||, each image's features flattened."""
    difference = (changed - clean).reshape(len(clean), -1)
    norms = np.linalg.norm(clean.reshape(len(clean), -1), axis=1)
    return float(np.mean(np.linalg.norm(difference, axis=1) / np.maximum(norms, 1e-12)))


def _row(clean: Outputs, out: Outputs, labels: np.ndarray) -> dict[str, Any]:
    before, after = clean.proba.argmax(axis=1), out.proba.argmax(axis=1)
    accuracy = float((after == labels).mean())
    row: dict[str, Any] = {
        "accuracy": accuracy,
        "accuracy_change": accuracy - float((before == labels).mean()),
        "changed": float((after != before).mean()),
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
    """One row per transform and strength (the identity included) on the run's test split."""
    loaded = load_run(run)
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


AXIS_LABELS = {
    "scale": "zoom factor",
    "flip": "mirror",
    "brightness": "HSV value shift",
    "noise": "Gaussian sigma (0..255)",
    "rotation": "degrees",
}


def plot_robustness(frame: pd.DataFrame, path: Path) -> Path:
    """One panel per transform: accuracy, share of changed predictions, signature change."""
    from matplotlib.figure import Figure

    from sigbench.experiments.plots import save_figure

    names = list(dict.fromkeys(frame["transform"]))
    figure = Figure(figsize=(3.0 * len(names) + 0.6, 3.6), layout="constrained")
    axes = figure.subplots(1, len(names), sharey=True, squeeze=False)[0]
    top = max(1.0, float(np.nanmax(frame["sig_change"].to_numpy(float), initial=0.0)))
    for ax, name in zip(axes, names, strict=True):
        part = frame[frame["transform"] == name]
        xs = np.arange(len(part))
        ax.plot(xs, part["accuracy"], "o-", color="C0", label="accuracy")
        ax.plot(xs, part["changed"], "s--", color="C1", label="predictions changed")
        if part["sig_change"].notna().any():
            ax.plot(xs, part["sig_change"], "^:", color="C2", label="signature change (relative)")
        ax.set_xticks(
            xs, labels=[f"{v:g}" if isinstance(v, float) else str(v) for v in part["strength"]]
        )
        ax.set_title(name)
        ax.set_xlabel(AXIS_LABELS.get(name, "strength"))
        ax.set_ylim(0, top * 1.04)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=3)
    figure.suptitle(f"{frame['run_id'].iloc[0]} ({frame['model'].iloc[0]})")
    return save_figure(figure, path)


def write_robustness(run: Path, frame: pd.DataFrame) -> list[Path]:
    """``robustness.csv`` and ``robustness.png`` in the run folder."""
    csv_path = Path(run) / ROBUSTNESS_CSV
    rundir.write_text_atomic(csv_path, frame.to_csv(index=False))
    return [csv_path, plot_robustness(frame, Path(run) / ROBUSTNESS_PNG)]


def gather_robustness(results: Path) -> pd.DataFrame | None:
    """Every finished run's ``robustness.csv`` in one table (None when no run has one)."""
    frames = [
        pd.read_csv(run / ROBUSTNESS_CSV)
        for run in rundir.finished_runs(results)
        if (run / ROBUSTNESS_CSV).is_file()
    ]
    return pd.concat(frames, ignore_index=True) if frames else None


def tta_scores(run: Path, tta: str, *, progress: Progress = SILENT) -> dict[str, float]:
    """Test accuracy plain, of each flipped copy, and of the probabilities averaged over them."""
    if tta not in TTA_SETS:
        raise SigbenchError(f"--tta {tta!r}: choose one of {', '.join(TTA_SETS)}")
    loaded = load_run(run)
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


def write_robustness_table(results: Path) -> Path | None:
    """``tables/robustness.csv``: every run's robustness rows (for ``sigbench report``)."""
    frame = gather_robustness(results)
    if frame is None:
        return None
    path = rundir.tables_dir(results) / ROBUSTNESS_CSV
    rundir.write_text_atomic(path, frame.to_csv(index=False))
    return path
