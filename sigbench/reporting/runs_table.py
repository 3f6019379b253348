"""``tables/runs.csv``: every finished run of a results folder, one row each.

Sweep tables only know the runs their sweep listed; this one also holds single ``train``
runs, ``train --seeds`` runs and tune trials, so every number the folder holds is in one
file: each run's key settings, its scores with their bootstrap intervals, its costs, and
from its ``run.json`` the signature backend, device and code revision that produced it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from sigbench.errors import SigbenchError
from sigbench.reporting.tables import HEADLINE, SETTING_COLUMNS, run_row
from sigbench.runs import rundir

log = logging.getLogger(__name__)

RUNS_CSV = "runs.csv"
SCORE_COLUMNS = [
    f"{stem}{suffix}" for stem in HEADLINE for suffix in ("", "_ci95_low", "_ci95_high")
]
COST_COLUMNS = [
    "params", "model_size_kb", "weights_kb", "flops", "train_time_min", "latency_ms",
    "images_per_s",
]  # fmt: skip
PROVENANCE_COLUMNS = ["backend", "device", "git_commit"]
RUN_COLUMNS = [
    "run_id", *SETTING_COLUMNS.values(), "seed", *SCORE_COLUMNS, *COST_COLUMNS,
    *PROVENANCE_COLUMNS,
]  # fmt: skip


def _provenance_columns(run: Path) -> dict[str, Any]:
    facts = rundir.read_provenance(run) or {}  # runs from before run.json: blank
    return {
        "backend": (facts.get("signature") or {}).get("resolved_backend"),
        "device": facts.get("device"),
        "git_commit": (facts.get("git") or {}).get("commit"),
    }


def runs_row(run: Path) -> dict[str, Any]:
    """One finished run's settings, scores (percent for accuracy, as the sweep tables),
    costs and provenance."""
    row = run_row(run, [])
    for stem, (_, _, digits) in HEADLINE.items():
        interval = row.pop(f"{stem}_bootstrap") or (None, None)
        values = (row[stem], *interval)
        for suffix, value in zip(("", "_ci95_low", "_ci95_high"), values, strict=True):
            row[f"{stem}{suffix}"] = None if value is None else round(value, digits)
    row["train_time_min"] = round(row["train_time_min"], 3)
    row.update(_provenance_columns(run))
    return row


def runs_frame(results: Path) -> pd.DataFrame:
    """Every finished run under ``results/runs``, in run-id order; a run whose files no
    longer read (a foreign or damaged folder) is left out with a warning naming it."""
    rows, unreadable = [], []
    for run in rundir.finished_runs(results):
        try:
            rows.append(runs_row(run))
        except (SigbenchError, OSError, ValueError, KeyError) as exc:
            unreadable.append(f"{run.name} ({exc})")
    if unreadable:
        log.warning(
            "runs.csv leaves out %d unreadable runs: %s", len(unreadable), "; ".join(unreadable)
        )
    return pd.DataFrame(rows, columns=RUN_COLUMNS, dtype=object)


def write_runs_table(results: Path) -> tuple[Path, int] | None:
    """Write ``tables/runs.csv``; its path and row count, or None when no run finished."""
    frame = runs_frame(results)
    if frame.empty:
        return None
    path = rundir.tables_dir(results) / RUNS_CSV
    rundir.write_text_atomic(path, frame.to_csv(index=False))
    return path, len(frame)
