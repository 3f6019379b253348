"""Per-run CSVs (``eval --robustness``, ``eval --equivariance``) gathered over every
finished run into one table under ``tables/`` for ``sigbench report``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sigbench.runs import rundir


def gather_run_csvs(results: Path, name: str) -> pd.DataFrame | None:
    """Every finished run's ``name`` CSV in one table (None when no run has one)."""
    frames = [
        pd.read_csv(run / name) for run in rundir.finished_runs(results) if (run / name).is_file()
    ]
    return pd.concat(frames, ignore_index=True) if frames else None


def write_gathered(results: Path, name: str) -> Path | None:
    """``tables/<name>``: every run's rows of its ``name`` CSV (None when no run has one)."""
    frame = gather_run_csvs(results, name)
    if frame is None:
        return None
    path = rundir.tables_dir(results) / name
    rundir.write_text_atomic(path, frame.to_csv(index=False))
    return path
