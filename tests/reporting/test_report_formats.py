"""Paper-ready report outputs: LaTeX tables, vector figures, and runs.csv with every run."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.config import load_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT
from sigbench.reporting.latex import escape
from sigbench.reporting.report import write_report
from sigbench.runs import rundir
from sigbench.sweeps.executors import SerialExecutor
from sigbench.sweeps.grids import BUILTIN_GRIDS
from sigbench.sweeps.scheduler import expand_grid, record_grid, run_grid
from tests.helpers.fake_runs import fake_accuracy, fake_train

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def depth_sweep(results: Path) -> list:
    grid = BUILTIN_GRIDS["depth"]
    points = expand_grid(load_config(DEMO), grid)
    record_grid(results, grid, points, config=str(DEMO))
    run_grid(points, results, SerialExecutor(fake_train))
    return points


def _tabular_rows(tex: str) -> list[str]:
    body = tex.split("\\midrule\n")[1].split("\\bottomrule")[0]
    return [line for line in body.splitlines() if line.strip()]


def test_tex_table_is_booktabs_with_scores_as_mean_plus_minus_and_the_paper_beside(
    tmp_path: Path,
) -> None:
    points = depth_sweep(tmp_path)
    report = write_report(tmp_path, table_formats=("csv", "md", "tex"))
    tex_path = tmp_path / "tables" / "depth.tex"
    assert tex_path in report.files
    tex = tex_path.read_text()
    for command in ("\\begin{table}", "\\toprule", "\\midrule", "\\bottomrule", "\\end{table}"):
        assert tex.count(command) == 1, command
    assert "\\label{tab:depth}" in tex and "\\caption{depth: " in tex
    header = tex.split("\\toprule\n")[1].split(" \\\\")[0].split(" & ")
    assert header[:5] == ["model", "resolution", "depth", "neurons", "batch\\_size"]
    assert "acc" in header and "paper\\_acc" in header  # ours beside the paper's
    assert header.index("paper\\_acc") == header.index("acc") + 1
    assert "run\\_ids" not in header and points[0].run_id not in tex
    columns = tex.split("\\begin{tabular}{")[1].split("}")[0]
    assert len(columns) == len(header)
    rows = _tabular_rows(tex)
    assert len(rows) == 10  # one per grid point
    for row in rows:
        assert row.endswith(" \\\\") and row.count(" & ") == len(header) - 1
    accuracy = 100 * fake_accuracy(points[8].config)
    cells = dict(zip(header, rows[8].removesuffix(" \\\\").split(" & "), strict=True))
    assert cells["acc"] == f"{accuracy:.2f} $\\pm$ 1.00" and cells["paper\\_acc"] == "93.4"
    assert cells["batch\\_size"] == "3000" and cells["depth"] == "4"
    assert columns[header.index("acc")] == "r" and columns[0] == "l"  # numbers right, text left
    assert columns[header.index("depth")] == columns[header.index("params")] == "r"


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex (TeX Live)")
def test_tex_table_compiles_with_pdflatex(tmp_path: Path) -> None:
    depth_sweep(tmp_path)
    write_report(tmp_path, table_formats=("tex",))
    paper = tmp_path / "paper.tex"
    paper.write_text(
        "\\documentclass{article}\n\\usepackage{booktabs}\n\\usepackage[margin=1cm,"
        "landscape]{geometry}\n\\begin{document}\n\\input{tables/depth.tex}\n\\end{document}\n"
    )
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", paper.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "paper.pdf").read_bytes().startswith(b"%PDF")


def test_escape_keeps_every_special_character_literal() -> None:
    assert escape("a_b & 50% #1 $x {y} ~ ^ \\") == (
        "a\\_b \\& 50\\% \\#1 \\$x \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}"
    )
    assert escape("93.40 ± 0.50") == "93.40 $\\pm$ 0.50"


def test_figures_in_every_format_asked_and_only_the_tables_asked(tmp_path: Path) -> None:
    depth_sweep(tmp_path)
    write_report(tmp_path, table_formats=("md",), figure_formats=("pdf", "svg"))
    tables = tmp_path / "tables"
    assert (tables / "depth.pdf").read_bytes().startswith(b"%PDF")
    assert (tables / "acc_vs_params.pdf").read_bytes().startswith(b"%PDF")
    assert "<svg" in (tables / "depth.svg").read_text()[:1000]
    assert (tables / "depth.md").is_file()
    assert not (tables / "depth.png").exists() and not (tables / "depth.csv").exists()
    assert not list(tables.glob(".*"))  # no temporary files left


def test_runs_csv_holds_every_finished_run_sweeps_and_single_runs_alike(tmp_path: Path) -> None:
    points = depth_sweep(tmp_path)
    single = load_config(DEMO, ["signature.depth=2", "seed=7"])
    fake_train(single, tmp_path, SILENT)  # a plain `train` run, in no sweep
    rundir.partial_dir(tmp_path, "unfinished-0123456789")  # a killed run: left out
    report = write_report(tmp_path)
    with (tmp_path / "tables" / "runs.csv").open() as handle:
        rows = {row["run_id"]: row for row in csv.DictReader(handle)}
    assert report.finished_runs == len(rows) == len(points) + 1
    row = rows[single.run_id()]
    assert (row["model"], row["depth"], row["seed"]) == ("imagesig_fc", "2", "7")
    assert float(row["acc"]) == pytest.approx(100 * fake_accuracy(single), abs=0.01)
    assert float(row["acc_ci95_low"]) < float(row["acc"]) < float(row["acc_ci95_high"])
    assert row["backend"] == "" and row["git_commit"] == ""  # fake runs have no run.json


def test_runs_csv_alone_when_no_sweep_was_recorded(tmp_path: Path) -> None:
    fake_train(load_config(DEMO), tmp_path, SILENT)
    report = write_report(tmp_path)
    assert report.tables == [] and report.finished_runs == 1
    assert (tmp_path / "tables" / "runs.csv").is_file()
    with pytest.raises(SigbenchError, match="no sweeps recorded; run `sigbench ablate"):
        write_report(tmp_path / "empty")


def test_report_command_takes_formats_repeated_or_comma_separated(tmp_path: Path) -> None:
    depth_sweep(tmp_path)
    command = ["report", "--results", str(tmp_path)]
    done = CliRunner().invoke(app, [*command, "--format", "csv,tex", "--format", "md"])
    assert done.exit_code == 0, done.output
    assert "runs.csv: 10 finished runs" in done.output
    written = {path.suffix for path in (tmp_path / "tables").glob("depth.*")}
    assert written == {".csv", ".tex", ".md", ".png"}
    refused = CliRunner().invoke(app, [*command, "--format", "csv,docx"])
    assert refused.exit_code == 2 and "'docx' is not one of csv, md, tex" in refused.output
    refused = CliRunner().invoke(app, [*command, "--figures", "jpg"])
    assert refused.exit_code == 2 and "'jpg' is not one of png, pdf, svg" in refused.output
