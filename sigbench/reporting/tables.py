"""Sweep tables: one table per recorded sweep, rebuilt from run folders.

A table's rows are the finished runs its ``grids/<grid>.json`` lists, in grid order, with
the paper's columns (``acc`` in percent, ``model_size_kb`` = checkpoint with optimizer state,
as the paper measures it) and the paper's fire-dataset figures beside them where the setting
matches. Listed runs that have not finished are left out and counted.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sigbench.config import ExperimentConfig
from sigbench.reporting.paper import PAPER_TABLES, paper_figures
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord

# Config keys with a paper column of their own; other grid keys get a column named by the key.
SETTING_COLUMNS = {
    "model.kind": "model",
    "data.image_size": "resolution",
    "signature.depth": "depth",
    "model.neurons": "neurons",
    "train.batch_size": "batch_size",
}
FIGURE_COLUMNS = ["acc", "params", "model_size_kb", "train_time_min"]  # the paper's figures
EXTRA_COLUMNS = ["weights_kb", "f1_macro", "hter", "run_id"]
# A sweep over model kinds alone is the head-to-head comparison: accuracy beside every cost.
MODELS_COLUMNS = [
    "model", "acc", "f1_macro", "hter", "params", "weights_kb", "flops", "train_time_min",
    "latency_ms", "images_per_s", "run_id",
]  # fmt: skip


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


def _setting(config: ExperimentConfig, key: str) -> Any:
    node: Any = config
    for part in key.split("."):
        node = getattr(node, part)
    return node if isinstance(node, int | float | str | bool) or node is None else str(node)


def run_row(run: Path, keys: list[str]) -> dict[str, Any]:
    """One table row from a finished run folder's saved config and metrics."""
    config = rundir.read_config(run)
    metrics = rundir.read_metrics(run)
    row = {column: _setting(config, key) for key, column in SETTING_COLUMNS.items()}
    row.update({key: _setting(config, key) for key in keys if key not in SETTING_COLUMNS})
    row.update(
        {
            "acc": round(100 * metrics["accuracy"], 2),
            "params": metrics["params"],
            "model_size_kb": metrics.get("checkpoint_kb"),
            "train_time_min": round(metrics["train_seconds"] / 60, 3),
            "weights_kb": metrics.get("weights_kb"),
            "f1_macro": round(metrics["f1_macro"], 4),
            "hter": round(metrics["hter"], 4) if "hter" in metrics else None,
            "flops": metrics.get("flops_per_image"),
            "latency_ms": metrics.get("latency_ms"),
            "images_per_s": metrics.get("images_per_s"),
            "run_id": run.name,
        }
    )
    return row


def _paper_columns(record: GridRecord) -> list[str]:
    """The figures the sweep's paper table reports at all (Table 3 has accuracy only)."""
    if not record.paper_table:
        return []
    rows = PAPER_TABLES[record.paper_table].rows
    return [name for name in FIGURE_COLUMNS if any(name in row.figures for row in rows)]


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
    binary = any(row["hter"] is not None for row in rows)
    extras = [c for c in EXTRA_COLUMNS if c != "hter" or binary]
    return [*settings, *figures, *extras]


def is_models_sweep(record: GridRecord) -> bool:
    return record.keys == ["model.kind"]


def _models_columns(rows: list[dict[str, Any]]) -> list[str]:
    """:data:`MODELS_COLUMNS`, with ``hter`` only where the task is binary."""
    binary = any(row["hter"] is not None for row in rows)
    return [c for c in MODELS_COLUMNS if c != "hter" or binary]


def _integer_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Whole-number columns with gaps stay integers (pandas would make 96077 into 96077.0)."""
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            frame[column] = frame[column].astype("Int64")
    return frame


def build_table(results: Path, record: GridRecord) -> GridTable:
    """The finished runs of one sweep, with the paper's figures where its setting matches."""
    rows, unfinished = [], []
    paper = _paper_columns(record)
    for point in record.points:
        run = rundir.runs_dir(results) / point["run_id"]
        if not rundir.is_finished(run):
            unfinished.append(point["run_id"])
            continue
        row = run_row(run, record.keys)
        if record.paper_table:
            figures = paper_figures(record.paper_table, row)
            row.update({f"paper_{name}": figures.get(name) for name in paper})
        rows.append(row)
    columns = _models_columns(rows) if is_models_sweep(record) else _column_order(record, rows)
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    return GridTable(record.name, _integer_columns(frame), record, unfinished)


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
        columns = list(table.frame.columns)
        lines.append("| " + " | ".join(columns) + " |")
        lines.append("|" + "|".join("---" for _ in columns) + "|")
        for values in table.frame.itertuples(index=False):
            lines.append("| " + " | ".join(cell(v) for v in values) + " |")
    if table.unfinished:
        lines += ["", unfinished_line(table.unfinished)]
    return "\n".join(lines) + "\n"
