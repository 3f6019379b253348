"""``ablate`` and ``report``: sweeps over a grid of settings, and the tables they feed."""

from __future__ import annotations

import json
from enum import Enum
from functools import partial
from pathlib import Path

import typer
from rich.text import Text

from sigbench.cli.output import SharedProgress, console, errors, labelled, records_table
from sigbench.cli.run_commands import AnalysisOption, ResultsOption, SeedsOption, SetOption
from sigbench.cli.track_options import (
    TrackerName,
    TrackOption,
    TrackUriOption,
    open_tracking,
    show_tracking,
)
from sigbench.errors import SigbenchError

DEFAULT_CONFIG = Path("configs/demo.yaml")
SHOWN_COLUMNS = ("n_seeds", "acc", "paper_acc", "params", "model_size_kb", "train_time_min")


class ExecutorKind(str, Enum):
    """``--executor``: an Enum so the help lists the choices."""

    local = "local"
    ray = "ray"


def _show_report(results: Path) -> None:
    from sigbench.reporting.report import write_report
    from sigbench.reporting.tables import display_frame, unfinished_line

    report = write_report(results)
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
        records = shown.to_dict("records")
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
    console.print(f"tables and plots in {results / 'tables'}")


def ablate(
    grid: str = typer.Option(
        ...,
        "--grid",
        "-g",
        help="neurons (Table 2), batch_size (Table 3), depth (Table 4), resolution, models, "
        "or a YAML file mapping config keys to value lists.",
    ),
    config: Path = typer.Option(
        DEFAULT_CONFIG, "--config", "-c", help="Base experiment spec every grid point starts from."
    ),
    overrides: list[str] = SetOption,
    results: Path = ResultsOption,
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1, help="Grid points trained at once (local executor)."
    ),
    executor_kind: ExecutorKind = typer.Option(
        ExecutorKind.local,
        "--executor",
        help="local: this machine (--jobs); ray: one Ray task per point (docs/ray.md).",
    ),
    address: str | None = typer.Option(
        None,
        "--address",
        help="Ray cluster head (HOST:6379 or auto); default: RAY_ADDRESS or a local instance.",
    ),
    analysis: bool = AnalysisOption,
    seeds: int | None = SeedsOption,
    track: list[TrackerName] = TrackOption,
    track_uri: str = TrackUriOption,
) -> None:
    """Train every point of a grid (skipping finished runs), then write the report tables."""
    from sigbench.config import load_config
    from sigbench.sweeps.base import available_cores, train_point
    from sigbench.sweeps.executors import make_executor
    from sigbench.sweeps.grids import load_grid
    from sigbench.sweeps.scheduler import expand_grid, record_grid, run_grid
    from sigbench.tracking.results import GridTracking

    if address is not None and executor_kind is not ExecutorKind.ray:
        raise SigbenchError("--address names a Ray cluster: add --executor ray")
    spec = load_grid(grid)
    base = load_config(config, overrides)
    points = expand_grid(base, spec, seeds)
    tracking = open_tracking(track, base.track, results, track_uri)
    record_grid(results, spec, points, config=str(config), overrides=overrides)
    tracked = GridTracking(tracking, spec.name)  # each run logged as it is trained
    jobs = min(jobs, len(points))
    threads = base.train.num_threads
    if executor_kind is ExecutorKind.local and threads and jobs * threads > available_cores():
        errors.print(
            labelled(
                "warning:",
                "yellow",
                f"{jobs} jobs x train.num_threads {threads} exceed the {available_cores()} cores",
            )
        )
    at_once = f"{jobs} at a time" if executor_kind is ExecutorKind.local else "as Ray tasks"
    settings = len({json.dumps(p.values, sort_keys=True) for p in points})
    console.print(
        f"grid {spec.name}: {settings} points x {len(points) // settings} seeds = "
        f"{len(points)} runs from {config}, {at_once}"
    )
    try:
        with (
            SharedProgress() as progress,
            make_executor(
                jobs,
                partial(train_point, analysis=True) if analysis else None,
                kind=executor_kind.value,
                address=address,
            ) as executor,
        ):
            outcome = run_grid(
                points,
                results,
                executor,
                progress,
                name=spec.name,
                on_trained=lambda point: tracked.trained(point.run_id),
            )
    except KeyboardInterrupt:
        _show_report(results)  # the tables keep every run that finished
        with tracking:
            tracked.finish()
        errors.print(
            labelled(
                "interrupted:", "yellow", "finished runs are kept; run the same command to resume"
            )
        )
        raise
    console.print(
        f"trained {len(outcome.trained)}, already finished {len(outcome.skipped)}, "
        f"being trained by another process {len(outcome.busy)}, failed {len(outcome.failed)}"
    )
    for run_id, message in outcome.failed.items():
        errors.print(
            labelled("failed", "red", f"{run_id}: {message}"), highlight=False, soft_wrap=True
        )
    _show_report(results)
    with tracking, SharedProgress() as progress:
        tracked.finish(progress)
    show_tracking(tracking)
    if outcome.failed:
        raise typer.Exit(1)


def report(
    results: Path = ResultsOption,
    track: list[TrackerName] = TrackOption,
    track_uri: str = TrackUriOption,
) -> None:
    """Rebuild every sweep's table (CSV, Markdown) and plots in results/tables from its runs.

    With --track, also log every finished run the trackers lack (runs that finished before
    tracking was switched on): a sweep's runs under its parent run, as ablate logs them.
    """
    _show_report(results)
    if track:
        from sigbench.tracking.results import track_results

        with open_tracking(track, [], results, track_uri) as tracking, SharedProgress() as bar:
            track_results(tracking, bar)
        show_tracking(tracking)


def register(app: typer.Typer) -> None:
    app.command()(ablate)
    app.command()(report)
