"""``ablate`` and ``report``: sweeps over a grid of settings, and the tables they feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from sigbench.cli.options import (
    Address,
    Analysis,
    Executor,
    ExecutorKind,
    Jobs,
    Overrides,
    PrintConfig,
    Results,
    Seeds,
    Track,
    TrackUri,
    choice_list,
    comma_list,
    complete_from,
    examples,
)
from sigbench.cli.output import SharedProgress, console, labelled, records_table
from sigbench.cli.track_options import open_tracking, show_tracking
from sigbench.errors import SigbenchError, plural
from sigbench.options import (
    DEFAULT_FIGURE_FORMATS,
    DEFAULT_TABLE_FORMATS,
    FIGURE_FORMATS,
    TABLE_FORMATS,
)

if TYPE_CHECKING:
    from sigbench.sweeps.grids import Grid

DEFAULT_CONFIG = Path("configs/demo.yaml")
SHOWN_COLUMNS = ("n_seeds", "acc", "paper_acc", "params", "model_size_kb", "train_time_min")
PERCENT_HEADERS = {"acc": "acc (%)", "paper_acc": "paper_acc (%)"}  # accuracy is in percent

TableFormats = Annotated[
    list[str] | None,
    choice_list(
        "--format",
        TABLE_FORMATS,
        help="Table formats, repeatable or comma-separated (default: csv,md); tex: a booktabs "
        "table to \\input into a paper.",
    ),
]
FigureFormats = Annotated[
    list[str] | None,
    choice_list(
        "--figures",
        FIGURE_FORMATS,
        help="Plot formats, repeatable or comma-separated (default: png); pdf and svg are "
        "vector figures for print.",
    ),
]


def _show_report(
    results: Path,
    table_formats: tuple[str, ...] = DEFAULT_TABLE_FORMATS,
    figure_formats: tuple[str, ...] = DEFAULT_FIGURE_FORMATS,
) -> None:
    from sigbench.reporting.report import write_report
    from sigbench.reporting.tables import display_frame, unfinished_line

    report = write_report(results, table_formats, figure_formats)
    for table in report.tables:
        if table.frame.empty:
            console.print(f"{table.name}: no finished runs yet", style="dim")
            continue
        frame = display_frame(table.frame)
        columns = [c for c in (*table.axis_columns, *SHOWN_COLUMNS) if c in frame]
        shown = frame[list(dict.fromkeys(columns))].astype(object)
        shown = shown.where(shown.notna(), "").map(
            lambda v: f"{v:g}" if isinstance(v, float) else v
        )
        records = shown.rename(columns=PERCENT_HEADERS).to_dict("records")
        runs = int(table.frame["n_seeds"].sum())
        console.print(records_table(f"{table.name} ({len(records)} points, {runs} runs)", records))
    for grid, claims in report.claims.items():
        for claim in claims:
            console.print(labelled(grid, "bold", claim.statement), highlight=False)
            for finding in claim.findings:
                console.print(f"  {finding.label}: {finding.here} -> {finding.verdict}")
            console.print(Text.assemble("  verdict: ", (claim.verdict, "bold")), highlight=False)
    if report.unfinished:
        console.print(unfinished_line(report.unfinished), style="yellow")
    if report.finished_runs:
        console.print(f"runs.csv: {plural(report.finished_runs, 'finished run')}")
    console.print(f"tables and plots in {results / 'tables'}")


def _grid_names() -> list[str]:
    from sigbench.sweeps.grids import BUILTIN_GRIDS

    return list(BUILTIN_GRIDS)


def _model_names() -> list[str]:
    from sigbench.models import list_models

    return list_models()


def _base_config_path(positional: Path | None, option: Path | None) -> Path:
    """CONFIG as an argument (like train and tune) or, as before, --config; default demo."""
    if positional is not None and option is not None and positional != option:
        raise SigbenchError(f"CONFIG {positional} and --config {option}: give one of them")
    given = positional or option
    if given is None and not DEFAULT_CONFIG.is_file():
        raise SigbenchError(
            f"no CONFIG given, and the default {DEFAULT_CONFIG} is not here (it is relative to "
            "the repository root): name the base spec, e.g. sigbench ablate spec.yaml --grid depth"
        )
    return given or DEFAULT_CONFIG


def restrict_models(grid: Grid, models: list[str]) -> Grid:
    """``grid`` with its ``model.kind`` axis cut down to ``models`` (``--models``), in the
    order given; the same as a grid YAML file listing ``model.kind: [a, b]``."""
    from dataclasses import replace

    from sigbench.models import list_models

    if "model.kind" not in grid.axes:
        raise SigbenchError(
            f"--models restricts a grid over model.kind (--grid models); grid {grid.name!r} "
            f"varies {', '.join(grid.axes)}"
        )
    known = list_models()
    for model in models:
        if model not in known:
            raise SigbenchError(
                f"--models {model!r}: not a model kind; choose from {', '.join(known)}"
            )
    return replace(grid, axes={**grid.axes, "model.kind": list(dict.fromkeys(models))})


def ablate(
    config: Annotated[
        Path | None,
        typer.Argument(
            metavar="CONFIG",
            help=f"Base experiment spec every grid point starts from (default: {DEFAULT_CONFIG}).",
            show_default=False,
        ),
    ] = None,
    grid: Annotated[
        str,
        typer.Option(
            "--grid",
            "-g",
            autocompletion=lambda: _grid_names(),
            help="neurons (Table 2), batch_size (Table 3), depth (Table 4), resolution, models, "
            "or a YAML file mapping config keys to value lists (sigbench list grids).",
        ),
    ] = ...,  # type: ignore[assignment]
    config_option: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="The base spec, as an option (same as CONFIG).",
            show_default=False,
        ),
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--models",
            callback=comma_list,
            autocompletion=lambda incomplete: complete_from(_model_names())(incomplete),
            help="Only these model kinds on a grid over model.kind, e.g. --grid models --models "
            "imagesig_fc,resnet18 (repeatable or comma-separated; the same as a grid YAML file "
            "that lists these kinds under model.kind).",
            show_default=False,
        ),
    ] = None,
    overrides: Overrides = None,
    results: Results = Path("results"),
    jobs: Jobs = 1,
    executor_kind: Executor = ExecutorKind.local,  # type: ignore[attr-defined]
    address: Address = None,
    analysis: Analysis = False,
    seeds: Seeds = None,
    track: Track = None,
    track_uri: TrackUri = None,
    print_config: PrintConfig = False,
) -> None:
    """Train every point of a grid (skipping finished runs), then write the report tables."""
    from sigbench.config import dump_config, load_config
    from sigbench.sweeps.grids import load_grid
    from sigbench.sweeps.runner import ExecutorSettings
    from sigbench.sweeps.scheduler import GridSweep, describe_point, expand_grid, record_grid

    settings = ExecutorSettings(jobs, executor_kind.value, address, analysis)
    base_path = _base_config_path(config, config_option)
    spec = load_grid(grid)
    if models:
        spec = restrict_models(spec, models)
    base = load_config(base_path, overrides)
    points = expand_grid(base, spec, seeds)
    if print_config:
        console.print(dump_config(base), highlight=False, markup=False, end="")
        for number, point in enumerate(points, 1):
            console.print(
                f"{point.run_id}  {describe_point(point, number, len(points))}",
                highlight=False, markup=False,
            )  # fmt: skip
        return
    settings.check(base.train.num_threads)
    tracking = open_tracking(track, base.track, results, track_uri)
    record_grid(results, spec, points, config=str(base_path), overrides=overrides)
    parent = None
    if tracking.trackers:
        from sigbench.tracking.results import recorded_grid_sweep

        parent = recorded_grid_sweep(results, spec.name)
    settings_count = len({json.dumps(p.values, sort_keys=True) for p in points})
    at_once = f"{jobs} at a time" if settings.kind == "local" else "as Ray tasks"
    console.print(
        f"grid {spec.name}: {plural(settings_count, 'point')} x "
        f"{plural(len(points) // settings_count, 'seed')} = {plural(len(points), 'run')} from "
        f"{base_path}, {at_once}",
        highlight=False,
    )
    from sigbench.cli.sweeping import sweep_and_show

    sweep_and_show(
        GridSweep(points, results, name=spec.name),
        results,
        settings,
        tracking=tracking,
        parent=parent,
        tables=lambda outcome: _show_report(results),
    )


def report(
    results: Results = Path("results"),
    table_formats: TableFormats = None,
    figure_formats: FigureFormats = None,
    track: Track = None,
    track_uri: TrackUri = None,
) -> None:
    """Rebuild every sweep's table and plots in results/tables from its runs, and runs.csv
    with every finished run (single train and --seeds runs included).

    With --track, also log every finished run the trackers lack (runs that finished before
    tracking was switched on): a sweep's runs under its parent run, as ablate logs them.
    """
    tables = tuple(f.value for f in table_formats or []) or DEFAULT_TABLE_FORMATS
    figures = tuple(f.value for f in figure_formats or []) or DEFAULT_FIGURE_FORMATS
    _show_report(results, tables, figures)
    if track:
        from sigbench.tracking.results import track_results

        with open_tracking(track, [], results, track_uri) as tracking, SharedProgress() as bar:
            track_results(tracking, bar)
        show_tracking(tracking)


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "sigbench ablate --grid depth --config configs/demo.yaml --set train.epochs=5",
            "sigbench ablate --grid models --models imagesig_fc,resnet18 --seeds 3 --jobs 2",
            "sigbench ablate --grid my_grid.yaml --executor ray --address auto",
        )
    )(ablate)
    app.command(
        epilog=examples(
            "sigbench report",
            "sigbench report --results results/paper --format csv,md,tex --figures png,pdf",
        )
    )(report)
