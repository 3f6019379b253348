"""The layout of a results folder, writes that are never seen half done, and reading a run.

A run is assembled in ``runs/.partial-<run-id>-<pid>/`` and renamed to ``runs/<run-id>/`` only
when every file is whole, so a killed run leaves either a finished run or a partial folder
that readers skip and count. Single files go through a temporary name and ``os.replace``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sigbench.arraycache import naming
from sigbench.config import ExperimentConfig, read_yaml, validate_config
from sigbench.errors import SigbenchError

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"
PROVENANCE_FILE = "run.json"  # what produced the run (sigbench.runs.provenance)
HISTORY_FILE = "history.csv"
CHECKPOINT_FILE = "model.pt"
ANALYSIS_DIR = "analysis"  # the error-analysis pictures (``--analysis``)
PREDICTIONS_FILE = "predictions.npz"  # test labels and predicted classes, for paired tests
PARTIAL_PREFIX = ".partial-"
# What training writes; anything else in a run folder was made from it afterwards.
TRAINED_FILES = (
    CONFIG_FILE,
    METRICS_FILE,
    PROVENANCE_FILE,
    HISTORY_FILE,
    CHECKPOINT_FILE,
    PREDICTIONS_FILE,
)


def runs_dir(results: Path) -> Path:
    return Path(results) / "runs"


def cache_dir(results: Path) -> Path:
    return Path(results) / "cache"


def run_cache_dir(run: Path) -> Path | None:
    """The cache of the results folder holding ``results/runs/<run-id>``; None for a run
    folder kept anywhere else."""
    runs = Path(run).resolve().parent
    return cache_dir(runs.parent) if runs.name == "runs" else None


def tables_dir(results: Path) -> Path:
    return Path(results) / "tables"


def grids_dir(results: Path) -> Path:
    return Path(results) / "grids"


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def write_file_atomic(
    path: Path, write: Callable[[Path], object], needed_bytes: int | None = None
) -> None:
    """``write(temporary)`` for writers that want a path (ONNX, TorchScript), then rename.

    An OSError names the folder (and ``needed_bytes``, when known, for a full disk: see
    :func:`sigbench.arraycache.naming`); the temporary file is gone either way."""
    temporary = _temporary(path)
    with naming(path.parent, needed_bytes):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            write(temporary)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.replace(temporary, path)


def write_text_atomic(path: Path, text: str) -> None:
    data = text.encode()
    write_file_atomic(path, lambda temporary: temporary.write_bytes(data), len(data))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def save_torch_atomic(path: Path, obj: Any) -> None:
    import torch  # here only: `predict` with an .onnx file imports rundir without torch

    write_file_atomic(path, lambda temporary: torch.save(obj, temporary))


def write_predictions(path: Path, labels: np.ndarray, predicted: np.ndarray) -> None:
    """The test split's labels and predicted classes, so two runs scored on the same test
    images can be compared image by image (McNemar's test) long after training."""

    def write(temporary: Path) -> None:
        with open(temporary, "wb") as handle:  # a file object: numpy adds no ".npz"
            np.savez_compressed(handle, labels=labels, predicted=predicted)

    write_file_atomic(path, write)


def read_predictions(run: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(labels, predicted) of a run's test split; None for runs from before they were saved."""
    path = Path(run) / PREDICTIONS_FILE
    if not path.is_file():
        return None
    with np.load(path) as saved:
        return saved["labels"], saved["predicted"]


def partial_dir(results: Path, run_id: str) -> Path:
    """A fresh private folder to assemble ``run_id`` in."""
    path = runs_dir(results) / f"{PARTIAL_PREFIX}{run_id}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def publish_run(partial: Path, final: Path) -> Path:
    """Move a whole run into place, replacing an older finished run of the same id."""
    if final.exists():
        retired = final.with_name(f"{PARTIAL_PREFIX}{final.name}-old-{os.getpid()}")
        os.replace(final, retired)
        os.replace(partial, final)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(partial, final)
    return final


def derived_files(run: Path, *, analysis: bool = False) -> list[str]:
    """What was made from a run after training (exports, analyses, robustness tables,
    tracker files), as names (folders with a trailing ``/``): what retraining it loses.
    With ``analysis`` the retraining draws the analysis pictures again, so they are kept out."""
    run = Path(run)
    if not run.is_dir():
        return []
    rewritten = {*TRAINED_FILES, *([ANALYSIS_DIR] if analysis else [])}
    return sorted(
        f"{path.name}/" if path.is_dir() else path.name
        for path in run.iterdir()
        if path.name not in rewritten
    )


def is_finished(run: Path) -> bool:
    return (run / METRICS_FILE).is_file() and (run / CHECKPOINT_FILE).is_file()


def finished_runs(results: Path) -> list[Path]:
    root = runs_dir(results)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if not p.name.startswith(".") and is_finished(p))


def unfinished_runs(results: Path) -> list[Path]:
    """Folders a killed run left behind: partial assemblies and runs missing files."""
    root = runs_dir(results)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not is_finished(p))


def require_run(run: Path) -> Path:
    """``run`` if it is a finished run folder, else a one-line error saying what is missing."""
    run = Path(run)
    if not run.is_dir():
        raise SigbenchError(f"{run}: no such run folder (expected results/runs/<run-id>)")
    for name in (CONFIG_FILE, CHECKPOINT_FILE):
        if not (run / name).is_file():
            raise SigbenchError(f"{run}: not a finished run: {name} is missing")
    return run


def read_history(run: Path) -> list[dict[str, float]]:
    """A run's per-epoch rows (``history.csv``), numbers as floats."""
    with (Path(run) / HISTORY_FILE).open(newline="") as file:
        return [{key: float(value) for key, value in row.items()} for row in csv.DictReader(file)]


def read_metrics(run: Path) -> dict[str, Any]:
    return json.loads((Path(run) / METRICS_FILE).read_text())


def read_provenance(run: Path) -> dict[str, Any] | None:
    """What produced a run (``run.json``); None for runs from before it was written."""
    path = Path(run) / PROVENANCE_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def read_config(run: Path) -> ExperimentConfig:
    """The resolved config a run folder stores, validated as any spec is.

    A config written before each model kind had its own keys still loads: the keys its
    kind does not use are left out.
    """
    path = Path(run) / CONFIG_FILE
    return validate_config(read_yaml(path) or {}, str(path), written_by_sigbench=True)
