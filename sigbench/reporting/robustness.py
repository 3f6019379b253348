"""Robustness tables and plots: a run's ``robustness.csv`` and ``robustness.png`` (from
:func:`sigbench.experiments.robustness.robustness_frame`), and every run's rows gathered into
``tables/robustness.csv`` for ``sigbench report``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sigbench.reporting.figures import save_figure
from sigbench.reporting.gathered import gather_run_csvs, write_gathered
from sigbench.runs import rundir

ROBUSTNESS_CSV = "robustness.csv"
ROBUSTNESS_PNG = "robustness.png"

AXIS_LABELS = {
    "scale": "zoom factor",
    "flip": "mirror",
    "brightness": "HSV value shift",
    "noise": "Gaussian sigma (0..255)",
    "rotation": "degrees",
}


def plot_robustness(frame: pd.DataFrame, path: Path) -> Path:
    """One panel per transform: accuracy, share of changed predictions, signature change."""
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
    return gather_run_csvs(results, ROBUSTNESS_CSV)


def write_robustness_table(results: Path) -> Path | None:
    """``tables/robustness.csv``: every run's robustness rows (for ``sigbench report``)."""
    return write_gathered(results, ROBUSTNESS_CSV)
