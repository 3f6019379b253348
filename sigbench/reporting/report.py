"""``sigbench report``: every recorded sweep's table (CSV, Markdown, LaTeX) and plots (PNG,
PDF, SVG), rebuilt from the run folders, plus ``runs.csv`` with every finished run and the
robustness and equivariance rows of every run.

Every file is written to a temporary name and renamed, so two processes reporting at once
never leave a torn file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sigbench.errors import SigbenchError
from sigbench.options import DEFAULT_FIGURE_FORMATS, DEFAULT_TABLE_FORMATS
from sigbench.reporting.analysis import FIGURES
from sigbench.reporting.claims import CLAIMS, Claim, claims_markdown, sweep_scores
from sigbench.reporting.equivariance import write_equivariance_tables
from sigbench.reporting.latex import to_latex
from sigbench.reporting.plots import plot_acc_vs_latency, plot_acc_vs_params, plot_grid
from sigbench.reporting.robustness import write_robustness_table
from sigbench.reporting.runs_table import write_runs_table
from sigbench.reporting.tables import (
    GridTable,
    build_table,
    cell,
    is_models_sweep,
    to_markdown,
)
from sigbench.runs import rundir
from sigbench.runs.grid_records import read_grid_records


@dataclass
class Report:
    tables: list[GridTable]
    files: list[Path]
    claims: dict[str, list[Claim]] = field(default_factory=dict)  # grid name -> its claims
    finished_runs: int = 0  # the rows of runs.csv

    @property
    def unfinished(self) -> list[str]:
        return sorted({run_id for table in self.tables for run_id in table.unfinished})


def analysis_markdown(results: Path, table: GridTable) -> str:
    """A section with each run's error-analysis pictures as relative image links, one table
    row per run that has an ``analysis/`` folder; empty when none has."""
    if table.frame.empty:
        return ""
    tables = rundir.tables_dir(results)
    axes = [c for c in dict.fromkeys(table.axis_columns) if c in table.frame]
    rows, missing = [], []
    for record in table.frame.to_dict("records"):
        run_id = record["run_ids"].split()[0]  # the first seed's pictures
        folder = rundir.runs_dir(results) / run_id / rundir.ANALYSIS_DIR
        if not folder.is_dir():
            missing.append(run_id)
            continue
        label = ", ".join(f"{c} {cell(record[c])}" for c in axes)
        links = {
            name: f"![{caption}]({Path(os.path.relpath(folder / name, tables)).as_posix()})"
            for name, caption in FIGURES.items()
            if (folder / name).is_file()
        }
        rows.append((f"{label}<br>`{run_id}`", links))
    lines = []
    if rows:
        shown = [name for name in FIGURES if any(name in links for _, links in rows)]
        lines += ["", "## Error analysis", ""]
        lines.append("| run | " + " | ".join(FIGURES[name] for name in shown) + " |")
        lines.append("|" + "|".join("---" for _ in range(len(shown) + 1)) + "|")
        for label, links in rows:
            lines.append(f"| {label} | " + " | ".join(links.get(n, "") for n in shown) + " |")
    if rows and missing:
        lines += ["", f"No pictures yet for {', '.join(missing)}: `sigbench eval RUN --analysis`."]
    return "\n".join(lines) + "\n" if lines else ""


def _table_text(results: Path, table: GridTable, table_format: str) -> str:
    if table_format == "csv":
        return table.frame.to_csv(index=False)
    if table_format == "md":
        return to_markdown(table) + analysis_markdown(results, table)
    return to_latex(table)


def write_report(
    results: Path,
    table_formats: Sequence[str] = DEFAULT_TABLE_FORMATS,
    figure_formats: Sequence[str] = DEFAULT_FIGURE_FORMATS,
) -> Report:
    """Rebuild ``results/tables``: each recorded sweep's table in every ``table_formats``
    (``sigbench.options.TABLE_FORMATS``) and its plots in every ``figure_formats``, and
    ``runs.csv`` with every finished run (single ``train`` runs included)."""
    records = read_grid_records(results)
    runs_table = write_runs_table(results)
    # every run's `eval --robustness` and `eval --equivariance` rows
    robustness = write_robustness_table(results)
    gathered = [robustness] if robustness is not None else []
    gathered += write_equivariance_tables(results)
    if not records and not gathered and runs_table is None:
        raise SigbenchError(
            f"{rundir.grids_dir(results)}: no sweeps recorded; run `sigbench ablate --grid NAME "
            f"--results {results}` first (or `sigbench train SPEC --results {results}`: "
            "runs.csv lists every finished run)"
        )
    out = rundir.tables_dir(results)
    tables = [build_table(results, record) for record in records]
    files = list(gathered)
    for table in tables:
        for table_format in table_formats:
            path = out / f"{table.name}.{table_format}"
            rundir.write_text_atomic(path, _table_text(results, table, table_format))
            files.append(path)
        for suffix in figure_formats:
            if not table.frame.empty:
                files.append(plot_grid(table, out / f"{table.name}.{suffix}"))
            if is_models_sweep(table.record) and table.frame["latency_ms"].notna().any():
                files.append(plot_acc_vs_latency(table, out / f"{table.name}_latency.{suffix}"))
    if any(not table.frame.empty for table in tables):
        for suffix in figure_formats:
            files.append(plot_acc_vs_params(tables, out / f"acc_vs_params.{suffix}"))
    claims = {}
    for record in records:
        if record.paper_table in CLAIMS:
            claims[record.name] = CLAIMS[record.paper_table](sweep_scores(results, record))
            path = out / f"{record.name}_claims.md"
            rundir.write_text_atomic(path, claims_markdown(record.name, claims[record.name]))
            files.append(path)
    if runs_table is None:
        return Report(tables, files, claims)
    runs_csv, finished = runs_table
    return Report(tables, [*files, runs_csv], claims, finished)
