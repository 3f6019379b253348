"""A classifier's answer per image file: the most likely class and its probability."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Prediction:
    path: Path
    label: str
    probability: float


def best_predictions(paths: list[Path], proba: np.ndarray, classes: list[str]) -> list[Prediction]:
    """The argmax class and its probability for each row of ``proba``, beside its file."""
    best = proba.argmax(axis=1)
    return [
        Prediction(Path(path), classes[k], float(proba[i, k]))
        for i, (path, k) in enumerate(zip(paths, best, strict=True))
    ]
