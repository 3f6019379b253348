"""Sweep tables: one table per recorded sweep, rebuilt from run folders.

A table has one row per grid point, in grid order, summarising the finished runs its
``grids/<grid>.json`` lists for that point (one per seed): ``n_seeds``, then for accuracy
(``acc``, in percent), macro F1 and HTER the mean, the standard deviation over seeds and a
95% interval (a t-interval over seeds; with one seed, the run's bootstrap interval over its
test images). Beside them the paper's columns (``model_size_kb`` = checkpoint with
optimizer state, as the paper measures it), the paper's fire-dataset figures where the
setting matches, and the run ids. Listed runs that have not finished are left out and
counted. Where a point's batch size reaches its training set (one full batch per epoch,
the same experiment as any larger batch size) a ``full_batch`` column says so beside
``batch_size``. A multi-label run's row shows its mean over attributes in each score's place
(``acc`` is its ``mean_accuracy``, ``f1_macro`` its ``mean_f1``, ``hter`` its ``mean_hter``).
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sigbench.config import ExperimentConfig, get_setting, size_text
from sigbench.errors import ACCURACY_DECIMALS, percent
from sigbench.reporting.paper import PAPER_TABLES, paper_figures
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord
from sigbench.training.multilabel import headline_score
from sigbench.training.statistics import t_interval

# Config keys with a paper column of their own; other grid keys get a column named by the key.
SETTING_COLUMNS = {
    "model.kind": "model",
    "data.image_size": "resolution",
    "signature.depth": "depth",
    "model.neurons": "neurons",
    "train.batch_size": "batch_size",
}
FIGURE_COLUMNS = ["acc", "params", "model_size_kb", "train_time_min"]  # the paper's figures
EXTRA_COLUMNS = ["weights_kb", "f1_macro", "hter", "run_ids"]
# A sweep over model kinds alone is the head-to-head comparison: accuracy beside every cost.
MODELS_COLUMNS = [
    "model", "acc", "f1_macro", "hter", "params", "weights_kb", "flops", "train_time_min",
    "latency_ms", "images_per_s", "run_ids",
]  # fmt: skip
# Scores summarised over seeds: column stem -> (metrics.json key, scale, decimals).
HEADLINE = {
    "acc": ("accuracy", 100, ACCURACY_DECIMALS),
    "f1_macro": ("f1_macro", 1, 4),
    "hter": ("hter", 1, 4),
}
SUMMARY_SUFFIXES = ("mean", "std", "ci95_low", "ci95_high")
# Measured per run but not a setting: the point's row shows their mean over seeds.
MEAN_COLUMNS = ("train_time_min", "latency_ms", "images_per_s")


INTERVAL_NOTE = (
    "± is the half-width of a 95% interval: a t-interval over the point's seeds (n_seeds), "
    "or, for one seed, a bootstrap interval over its test images."
)


def summary_columns(stem: str) -> list[str]:
    """``acc`` -> acc_mean, acc_std, acc_ci95_low, acc_ci95_high."""
    return [f"{stem}_{suffix}" for suffix in SUMMARY_SUFFIXES]


@dataclass
class GridTable:
    name: str
    frame: pd.DataFrame
    record: GridRecord
    unfinished: list[str] = field(default_factory=list)

    @property
    def axis_columns(self) -> list[str]:
        """The table columns the grid varies, in grid-key order (the last one is the x axis)."""
        return [SETTING_COLUMNS.get(key, key) for key in self.record.keys]


def setting_value(config: ExperimentConfig, key: str) -> Any:
    node = get_setting(config, key)  # None where the run's model kind has no such key
    if isinstance(node, tuple):  # data.image_size as [height, width]
        return size_text(node)
    return node if isinstance(node, int | float | str | bool) or node is None else str(node)


def run_row(run: Path, keys: list[str]) -> dict[str, Any]:
    """One run's settings, scores (with their bootstrap intervals) and costs."""
    config = rundir.read_config(run)
    metrics = rundir.read_metrics(run)
    row = {column: setting_value(config, key) for key, column in SETTING_COLUMNS.items()}
    row.update({key: setting_value(config, key) for key in keys if key not in SETTING_COLUMNS})
    for stem, (key, scale, _) in HEADLINE.items():  # multi-label: their mean_* equivalents
        value = headline_score(metrics, key)
        row[stem] = None if value is None else scale * value
        interval = headline_score(metrics, f"{key}_ci95")
        row[f"{stem}_bootstrap"] = [scale * v for v in interval] if interval else None
    row.update(
        {
            "params": metrics["params"],
            "model_size_kb": metrics.get("checkpoint_kb"),
            "train_time_min": metrics["train_seconds"] / 60,
            "weights_kb": metrics.get("weights_kb"),
            "flops": metrics.get("flops_per_image"),
            "latency_ms": metrics.get("latency_ms"),
            "images_per_s": metrics.get("images_per_s"),
            "run_id": run.name,
            "seed": config.seed,
            "n_train": metrics.get("n_train"),
        }
    )
    return row


def _rounded(value: float, digits: int) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _summary(stem: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean, spread and 95% interval of one score over a point's seeds."""
    values = [run[stem] for run in runs]
    if any(v is None for v in values):  # e.g. HTER of a task with more than two classes
        return dict.fromkeys(summary_columns(stem))
    digits = HEADLINE[stem][2]
    spread = t_interval(values)
    low, high = spread.low, spread.high
    if spread.n == 1 and runs[0][f"{stem}_bootstrap"]:  # one seed: over its test images
        low, high = runs[0][f"{stem}_bootstrap"]
    return dict(
        zip(
            summary_columns(stem),
            (_rounded(v, digits) for v in (spread.mean, spread.std, low, high)),
            strict=True,
        )
    )


def point_row(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One grid point's row from its runs (one per seed, in seed order)."""
    runs = sorted(runs, key=lambda run: run["seed"])
    row = {k: v for k, v in runs[0].items() if k not in HEADLINE and not k.endswith("_bootstrap")}
    row["n_seeds"] = len(runs)
    for stem in HEADLINE:
        row.update(_summary(stem, runs))
    for column in MEAN_COLUMNS:
        values = [run[column] for run in runs if run[column] is not None]
        row[column] = round(sum(values) / len(values), 3) if values else None
    row["run_ids"] = " ".join(run["run_id"] for run in runs)
    return row


def _paper_columns(record: GridRecord) -> list[str]:
    """The figures the sweep's paper table reports at all (Table 3 has accuracy only)."""
    if not record.paper_table:
        return []
    rows = PAPER_TABLES[record.paper_table].rows
    return [name for name in FIGURE_COLUMNS if any(name in row.figures for row in rows)]


def _expand(columns: list[str], rows: list[dict[str, Any]]) -> list[str]:
    """Each headline score as its summary columns, ``n_seeds`` before the first; ``hter``
    only where the task is binary."""
    binary = any(row["hter_mean"] is not None for row in rows)
    expanded: list[str] = []
    for column in columns:
        if column == "hter" and not binary:
            continue
        if column in HEADLINE and "n_seeds" not in expanded:
            expanded.append("n_seeds")
        expanded += summary_columns(column) if column in HEADLINE else [column]
    return expanded


def _column_order(record: GridRecord, rows: list[dict[str, Any]]) -> list[str]:
    settings = ["model", *(k for k in record.keys if k not in SETTING_COLUMNS)]
    settings += [c for c in SETTING_COLUMNS.values() if c != "model"]
    paper = _paper_columns(record)
    figures = [
        c
        for name in FIGURE_COLUMNS
        for c in (name, f"paper_{name}")
        if c != f"paper_{name}" or name in paper
    ]
    return _expand([*settings, *figures, *EXTRA_COLUMNS], rows)


def is_models_sweep(record: GridRecord) -> bool:
    return record.keys == ["model.kind"]


def _models_columns(rows: list[dict[str, Any]]) -> list[str]:
    return _expand(MODELS_COLUMNS, rows)


def _integer_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns with gaps stay integers (pandas would make 96077 into 96077.0)."""
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[column] = frame[column].astype("Int64")
    return frame


def _full_batch(row: dict[str, Any]) -> bool:
    """The point's batch size reaches its training set: one batch per epoch."""
    batch, n_train = row.get("batch_size"), row.get("n_train")
    return batch is not None and n_train is not None and batch >= n_train


def _point_key(point: dict[str, Any]) -> str:
    return json.dumps(point["values"], sort_keys=True)


def build_table(results: Path, record: GridRecord) -> GridTable:
    """The finished runs of one sweep, one row per grid point, with the paper's figures
    where its setting matches."""
    by_point: dict[str, list[dict[str, Any]]] = {}
    unfinished = []
    for point in record.points:
        run = rundir.runs_dir(results) / point["run_id"]
        if not rundir.is_finished(run):
            unfinished.append(point["run_id"])
            continue
        by_point.setdefault(_point_key(point), []).append(run_row(run, record.keys))
    rows = [point_row(runs) for runs in by_point.values()]
    paper = _paper_columns(record)
    for row in rows:
        if record.paper_table:
            figures = paper_figures(record.paper_table, row)
            row.update({f"paper_{name}": figures.get(name) for name in paper})
    columns = _models_columns(rows) if is_models_sweep(record) else _column_order(record, rows)
    if any(_full_batch(row) for row in rows) and "batch_size" in columns:
        for row in rows:
            row["full_batch"] = "yes" if _full_batch(row) else None
        columns.insert(columns.index("batch_size") + 1, "full_batch")
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return GridTable(record.name, _integer_columns(frame), record, unfinished)


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as people read it: each headline score as one ``mean ± half-width`` column
    (the half-width of its 95% interval) instead of four."""
    shown = frame.copy()
    for stem in HEADLINE:
        columns = summary_columns(stem)
        if columns[0] not in shown:
            continue
        cells = [
            _plus_minus(stem, mean, low, high)
            for mean, low, high in zip(
                shown[columns[0]], shown[columns[2]], shown[columns[3]], strict=True
            )
        ]
        shown.insert(shown.columns.get_loc(columns[0]), stem, cells)
        shown = shown.drop(columns=columns)
    return shown


def score_text(stem: str, value: float) -> str:
    """A headline score (as the table holds it) as text: accuracy points through
    :func:`percent`, as every summary shows accuracy; the others at their decimals."""
    _, scale, digits = HEADLINE[stem]
    return percent(value / scale) if stem == "acc" else f"{value:.{digits}f}"


def _plus_minus(stem: str, mean: Any, low: Any, high: Any) -> str | None:
    if mean is None or pd.isna(mean):
        return None
    if low is None or pd.isna(low):
        return score_text(stem, mean)
    return f"{score_text(stem, mean)} ± {score_text(stem, (high - low) / 2)}"


def cell(value: Any) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def unfinished_line(run_ids: list[str]) -> str:
    noun = "run" if len(run_ids) == 1 else "runs"
    return f"{len(run_ids)} {noun} unfinished: {', '.join(run_ids)}"


def to_markdown(table: GridTable) -> str:
    """A pipe table with a title and the sweep's provenance (no ``tabulate`` needed)."""
    record = table.record
    lines = [f"# {table.name}", ""]
    if record.paper_table:
        lines += [f"Paper columns: {PAPER_TABLES[record.paper_table].title}, fire dataset.", ""]
    overrides = " ".join(f"--set {shlex.quote(o)}" for o in record.overrides)
    lines += [f"Config: `{record.config}` {overrides}".rstrip(), ""]
    if table.frame.empty:
        lines.append("No finished runs yet.")
    else:
        shown = display_frame(table.frame)
        columns = list(shown.columns)
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        for values in shown.itertuples(index=False):
            lines.append("| " + " | ".join(cell(v) for v in values) + " |")
        lines += ["", INTERVAL_NOTE]
    if table.unfinished:
        lines += ["", unfinished_line(table.unfinished)]
    return "\n".join(lines) + "\n"
