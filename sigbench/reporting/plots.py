"""Report plots: accuracy against each sweep's last grid key, and accuracy against parameters.

Figures are drawn on matplotlib's Agg canvas through :class:`~matplotlib.figure.Figure`
(no pyplot, so no global backend state), and written by
:func:`~sigbench.reporting.figures.save_figure`.
"""

from __future__ import annotations

from numbers import Number
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sigbench.reporting.figures import save_figure
from sigbench.reporting.tables import GridTable


def _x_positions(ax: Axes, values: pd.Series) -> tuple[dict[object, float], bool]:
    """Numbers stay numbers (log2 axis when they span 8x or more); anything else is a category.

    Returns each value's position and whether the axis is numeric (lines make sense).
    """
    distinct = list(dict.fromkeys(values))
    if all(isinstance(v, Number) and not isinstance(v, bool) for v in distinct):
        numbers = sorted(float(v) for v in distinct)
        if numbers[0] > 0 and numbers[-1] / numbers[0] >= 8:
            ax.set_xscale("log", base=2)
            ax.minorticks_off()
        ax.set_xticks(numbers, labels=[f"{v:g}" for v in numbers])
        return {v: float(v) for v in distinct}, True
    ax.set_xticks(range(len(distinct)), labels=[str(v) for v in distinct])
    return {v: float(i) for i, v in enumerate(distinct)}, False


def _error_bars(frame: pd.DataFrame, mean: pd.Series) -> np.ndarray:
    """(2, n) distances from the mean to each point's interval ends (0 where it has none)."""
    low = frame["acc_ci95_low"].astype(float).fillna(mean)
    high = frame["acc_ci95_high"].astype(float).fillna(mean)
    return np.vstack([(mean - low).to_numpy(), (high - mean).to_numpy()])


def plot_grid(table: GridTable, path: Path) -> Path:
    """Accuracy against the grid's last key, one line per value of the other keys."""
    frame = table.frame
    *series, x = table.axis_columns
    figure = Figure(figsize=(6.4, 4.2))
    ax = figure.subplots()
    positions, numeric = _x_positions(ax, frame[x])
    line = "-" if numeric else "none"
    groups = frame.groupby(series, sort=False, dropna=False) if series else [((), frame)]
    for index, (key, group) in enumerate(groups):
        values = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{c} {v}" for c, v in zip(series, values, strict=True))
        xs = [positions[v] for v in group[x]]
        color = f"C{index % 10}"
        mean = group["acc_mean"].astype(float)
        ax.errorbar(
            xs,
            mean,
            yerr=_error_bars(group, mean),
            ls=line,
            marker="o",
            capsize=3,
            color=color,
            label=label or "measured (95% interval)",
        )
        if "paper_acc" in group and group["paper_acc"].notna().any():
            paper = group["paper_acc"].astype(float)
            dashed = "--" if numeric else "none"
            ax.plot(
                xs,
                paper,
                ls=dashed,
                marker="x",
                color=color,
                label=f"paper, fire: {label}" if label else "paper, fire",
            )
    ax.set_xlabel(x)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{table.name}: accuracy vs {x}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return save_figure(figure, path)


def plot_acc_vs_params(tables: list[GridTable], path: Path) -> Path:
    """Every grid point of every sweep: accuracy (with its 95% interval) against trainable
    size (log axis)."""
    figure = Figure(figsize=(6.4, 4.2))
    ax = figure.subplots()
    for index, table in enumerate(t for t in tables if not t.frame.empty):
        frame = table.frame
        color = f"C{index % 10}"
        params, acc = frame["params"].astype(float), frame["acc_mean"].astype(float)
        ax.errorbar(
            params, acc, yerr=_error_bars(frame, acc), fmt="o", capsize=2, color=color,
            label=table.name,
        )  # fmt: skip
        if {"paper_params", "paper_acc"} <= set(frame) and frame["paper_params"].notna().any():
            paper = frame.dropna(subset=["paper_params", "paper_acc"])
            ax.scatter(
                paper["paper_params"].astype(float),
                paper["paper_acc"].astype(float),
                facecolors="none",
                edgecolors=color,
                label=f"{table.name} (paper, fire)",
            )
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("accuracy vs parameters")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return save_figure(figure, path)


def plot_acc_vs_latency(table: GridTable, path: Path) -> Path:
    """Each model's accuracy against its CPU milliseconds per image (log axis), labelled."""
    frame = table.frame.dropna(subset=["latency_ms"])
    figure = Figure(figsize=(6.4, 4.2))
    ax = figure.subplots()
    latency, acc = frame["latency_ms"].astype(float), frame["acc_mean"].astype(float)
    ax.scatter(latency, acc, color="C0")
    # A label goes below its point when one above it would run into a neighbour's.
    span = max(float(acc.max() - acc.min()), 1.0)
    placed: list[tuple[float, float]] = []
    for name, x, y in sorted(zip(frame["model"], latency, acc, strict=True), key=lambda p: p[1]):
        crowded = any(
            abs(np.log10(x / px)) < 0.45 and abs(y - py) < 0.05 * span for px, py in placed
        )
        placed.append((x, y))
        offset = (4, -11) if crowded else (4, 4)
        ax.annotate(str(name), (x, y), textcoords="offset points", xytext=offset, fontsize="small")
    ax.set_xscale("log")
    ax.set_xlabel("CPU latency per image, one thread (ms)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{table.name}: accuracy vs latency")
    ax.grid(alpha=0.3)
    return save_figure(figure, path)
