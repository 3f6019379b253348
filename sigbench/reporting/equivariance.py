"""Equivariance tables and plots: a run's ``equivariance.csv`` and ``equivariance.png``
(from :func:`sigbench.experiments.equivariance.equivariance_frame`), every run's rows in
``tables/equivariance.csv``, and the figure comparing models' Delta(s) at their final
features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sigbench.reporting.figures import save_figure
from sigbench.reporting.gathered import write_gathered
from sigbench.runs import rundir

EQUIVARIANCE_CSV = "equivariance.csv"
EQUIVARIANCE_PNG = "equivariance.png"
MARKERS = {"equivariance": "o-", "invariance": "s--"}
FINAL_LAYER = "hidden"  # the features every model's output layer reads


def _style_axes(ax: Axes, scales: np.ndarray) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(scales, labels=[f"{s:g}" for s in scales])
    ax.set_xlabel("scale s")
    ax.set_ylabel("Delta(s)")
    ax.grid(alpha=0.3)


def plot_equivariance(frame: pd.DataFrame, path: Path) -> Path:
    """Delta against s, one line per layer; solid: equivariance form, dashed: invariance."""
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = figure.subplots()
    for layer, part in frame.groupby("layer", sort=False):
        part = part.sort_values("scale")
        form = part["form"].iloc[0]
        ax.plot(part["scale"], part["delta"], MARKERS[form], label=f"{layer} ({form})")
    _style_axes(ax, np.sort(frame["scale"].unique()))
    ax.legend(fontsize=8)
    ax.set_title(f"{frame['run_id'].iloc[0]} ({frame['model'].iloc[0]})", fontsize=9)
    return save_figure(figure, path)


def plot_layer_comparison(frame: pd.DataFrame, layer: str, path: Path) -> Path:
    """Delta(s) at ``layer`` per model: the mean over a model's runs, their range shaded."""
    part = frame[frame["layer"] == layer]
    stats = part.groupby(["model", "scale"], sort=False)["delta"].agg(["mean", "min", "max"])
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = figure.subplots()
    for model in dict.fromkeys(part["model"]):
        rows = stats.loc[model].sort_index()
        ax.plot(rows.index, rows["mean"], "o-", label=model)
        ax.fill_between(rows.index, rows["min"], rows["max"], alpha=0.2)
    _style_axes(ax, np.sort(part["scale"].unique()))
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(f"Delta(s) at '{layer}' (mean over runs, range shaded)", fontsize=9)
    return save_figure(figure, path)


def write_equivariance(run: Path, frame: pd.DataFrame) -> list[Path]:
    """``equivariance.csv`` and ``equivariance.png`` in the run folder."""
    csv_path = Path(run) / EQUIVARIANCE_CSV
    rundir.write_text_atomic(csv_path, frame.to_csv(index=False))
    return [csv_path, plot_equivariance(frame, Path(run) / EQUIVARIANCE_PNG)]


def write_equivariance_tables(results: Path) -> list[Path]:
    """``tables/equivariance.csv`` (every run's rows) and ``tables/equivariance_hidden.png``
    (Delta(s) at the final features, per model), for ``sigbench report``; [] without rows."""
    path = write_gathered(results, EQUIVARIANCE_CSV)
    if path is None:
        return []
    frame = pd.read_csv(path)
    if not (frame["layer"] == FINAL_LAYER).any():
        return [path]
    figure = rundir.tables_dir(results) / f"equivariance_{FINAL_LAYER}.png"
    return [path, plot_layer_comparison(frame, FINAL_LAYER, figure)]
