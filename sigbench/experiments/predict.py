"""``sigbench predict`` on a run folder: image files classified by the run's saved model."""

from __future__ import annotations

from pathlib import Path

from sigbench.data import read_images
from sigbench.errors import SigbenchError
from sigbench.experiments.inputs import run_inputs
from sigbench.runs.checkpoint import load_run
from sigbench.training.loop import predict_proba
from sigbench.training.predictions import Prediction, best_predictions


def predict_files(run: Path, paths: list[Path]) -> list[Prediction]:
    """The most likely class and its probability for each image file."""
    loaded = load_run(run)
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        raise SigbenchError(f"{missing[0]}: no such image file")
    images = read_images([Path(p) for p in paths], loaded.config.data.height_width, loaded.channels)
    proba = predict_proba(loaded.model, run_inputs(loaded, images))
    return best_predictions(paths, proba, loaded.classes)
