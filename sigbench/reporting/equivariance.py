"""Equivariance tables and plots: a run's ``equivariance.csv`` and ``equivariance.png``
(from :func:`sigbench.experiments.equivariance.equivariance_frame`; under rotation
``equivariance_rotate.csv`` / ``.png``), every run's rows in ``tables/`` under the same
names, and the figures comparing models' Delta at their final features."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sigbench.reporting.figures import save_figure
from sigbench.reporting.gathered import write_gathered
from sigbench.runs import rundir

# Each transform's file stem: the scale form keeps the names it always had.
STEMS = {"scale": "equivariance", "rotate": "equivariance_rotate"}
MARKERS = {"equivariance": "o-", "invariance": "s--"}
FINAL_LAYER = "hidden"  # the features every model's output layer reads


def amount_column(frame: pd.DataFrame) -> str:
    """``scale`` or ``angle``: which transform the frame's rows measured."""
    return "angle" if "angle" in frame.columns else "scale"


def _style_axes(ax: Axes, amounts: np.ndarray, column: str) -> None:
    if column == "scale":
        ax.set_xscale("log", base=2)
    ax.set_xticks(amounts, labels=[f"{s:g}" for s in amounts])
    ax.set_xlabel("scale s" if column == "scale" else "angle a (degrees)")
    ax.set_ylabel("Delta(s)" if column == "scale" else "Delta(a)")
    ax.grid(alpha=0.3)


def plot_equivariance(frame: pd.DataFrame, path: Path) -> Path:
    """Delta against s (or a), one line per layer; solid: equivariance form, dashed:
    invariance."""
    column = amount_column(frame)
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = figure.subplots()
    for layer, part in frame.groupby("layer", sort=False):
        part = part.sort_values(column)
        form = part["form"].iloc[0]
        ax.plot(part[column], part["delta"], MARKERS[form], label=f"{layer} ({form})")
    _style_axes(ax, np.sort(frame[column].unique()), column)
    ax.legend(fontsize=8)
    ax.set_title(f"{frame['run_id'].iloc[0]} ({frame['model'].iloc[0]})", fontsize=9)
    return save_figure(figure, path)


def plot_layer_comparison(frame: pd.DataFrame, layer: str, path: Path) -> Path:
    """Delta at ``layer`` per model: the mean over a model's runs, their range shaded."""
    column = amount_column(frame)
    part = frame[frame["layer"] == layer]
    stats = part.groupby(["model", column], sort=False)["delta"].agg(["mean", "min", "max"])
    figure = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = figure.subplots()
    for model in dict.fromkeys(part["model"]):
        rows = stats.loc[model].sort_index()
        ax.plot(rows.index, rows["mean"], "o-", label=model)
        ax.fill_between(rows.index, rows["min"], rows["max"], alpha=0.2)
    _style_axes(ax, np.sort(part[column].unique()), column)
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.set_title(f"Delta at '{layer}' (mean over runs, range shaded)", fontsize=9)
    return save_figure(figure, path)


def write_equivariance(run: Path, frame: pd.DataFrame) -> list[Path]:
    """``equivariance.csv`` and ``equivariance.png`` in the run folder (under rotation
    ``equivariance_rotate.*``)."""
    stem = STEMS["rotate" if amount_column(frame) == "angle" else "scale"]
    csv_path = Path(run) / f"{stem}.csv"
    rundir.write_text_atomic(csv_path, frame.to_csv(index=False))
    return [csv_path, plot_equivariance(frame, Path(run) / f"{stem}.png")]


def write_equivariance_tables(results: Path) -> list[Path]:
    """Per transform, ``tables/<stem>.csv`` (every run's rows) and
    ``tables/<stem>_hidden.png`` (Delta at the final features, per model), for
    ``sigbench report``; [] without rows."""
    files: list[Path] = []
    for stem in STEMS.values():
        path = write_gathered(results, f"{stem}.csv")
        if path is None:
            continue
        files.append(path)
        frame = pd.read_csv(path)
        if (frame["layer"] == FINAL_LAYER).any():
            figure = rundir.tables_dir(results) / f"{stem}_{FINAL_LAYER}.png"
            files.append(plot_layer_comparison(frame, FINAL_LAYER, figure))
    return files
