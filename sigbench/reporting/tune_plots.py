"""A tuning study's pictures, from its trials table: the optimisation history, the parameter
importances (computed by Optuna's evaluator, drawn here) and the metric against each key."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from sigbench.reporting.figures import save_figure

HISTORY_PNG = "history.png"
IMPORTANCES_PNG = "importances.png"
PARAMS_PNG = "params.png"


def _finished(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return frame[frame["state"].isin(["complete", "pruned"]) & frame[metric].notna()]


def plot_history(frame: pd.DataFrame, metric: str, maximize: bool, folder: Path) -> Path:
    """Each trial's score in the order asked, pruned ones apart, and the best so far."""
    figure = Figure(figsize=(6, 3.6))
    ax = figure.subplots()
    shown = _finished(frame, metric)
    for state, marker in (("complete", "o"), ("pruned", "x")):
        part = shown[shown["state"] == state]
        label = f"{state} ({len(part)})" + (" at the epoch stopped" if state == "pruned" else "")
        ax.scatter(part["number"], part[metric], marker=marker, label=label)
    complete = shown[shown["state"] == "complete"].sort_values("number")
    if len(complete):
        best = complete[metric].cummax() if maximize else complete[metric].cummin()
        ax.step(complete["number"], best, where="post", color="black", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title("optimisation history")
    ax.legend(fontsize="small")
    return save_figure(figure, folder / HISTORY_PNG)


def plot_importances(importances: dict[str, float], folder: Path) -> Path:
    figure = Figure(figsize=(6, 0.5 + 0.45 * len(importances)))
    ax = figure.subplots()
    keys = list(importances)[::-1]  # most important on top
    ax.barh(keys, [importances[key] for key in keys])
    ax.set_xlabel("importance (Optuna's evaluator, sums to 1)")
    ax.set_title("parameter importances")
    return save_figure(figure, folder / IMPORTANCES_PNG)


def _index(choices: list[object], value: object) -> int:
    """Where ``value`` sits among the choices, by equality (a column with gaps holds 256.0)."""
    return next(i for i, choice in enumerate(choices) if choice == value)


def plot_params(
    frame: pd.DataFrame,
    keys: dict[str, list[object] | None],
    metric: str,
    log_keys: set[str],
    folder: Path,
) -> Path:
    """The metric against each searched key (finished trials), one panel per key. ``keys``
    maps each key to its choices (a categorical axis showing every choice) or None (a range:
    a numeric axis, logarithmic for the keys in ``log_keys``)."""
    columns = min(3, len(keys))
    rows = math.ceil(len(keys) / columns)
    figure = Figure(figsize=(4 * columns, 3.2 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    shown = _finished(frame, metric)
    pruned = (shown["state"] == "pruned").to_numpy()
    for ax, (key, choices) in zip(axes, keys.items(), strict=False):
        if choices is None:
            x = shown[key].to_numpy(dtype=float)
        else:
            labels = [str(choice) for choice in choices]
            x = np.array([_index(choices, v) for v in shown[key]], dtype=float)
            ax.set_xticks(range(len(labels)), labels, fontsize="small")
            ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.scatter(x[~pruned], shown[metric][~pruned], marker="o", label="complete")
        ax.scatter(x[pruned], shown[metric][pruned], marker="x", label="pruned")
        if key in log_keys:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(key)
        ax.set_ylabel(metric)
    for ax in axes[len(keys) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize="small")
    figure.suptitle(f"{metric} against each searched key")
    return save_figure(figure, folder / PARAMS_PNG)
