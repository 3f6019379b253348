"""Showing what a sweep or a run did: the counts, the failures and the Ctrl-C line, once.

``ablate``, ``tune`` and ``train --seeds`` run through :func:`sweep_and_show`; plain ``train``
shares :func:`interrupted_line`.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sigbench.cli.output import SharedProgress, console, errors, labelled
from sigbench.cli.track_options import show_tracking
from sigbench.errors import plural

if TYPE_CHECKING:
    from sigbench.sweeps.runner import ExecutorSettings, Sweep, SweepOutcome
    from sigbench.tracking import Tracking
    from sigbench.tracking.record import TrackedSweep

_arguments: list[str] = []  # of the command being run, as the user gave them


def remember_arguments(arguments: list[str]) -> None:
    """Called as the command line is parsed (by the app's command group)."""
    _arguments[:] = arguments


def invoked_command() -> str:
    """The command line being run (``sigbench ablate --grid depth``), quoted for a shell."""
    return shlex.join(["sigbench", *_arguments])


def interrupted_line(what: str, kept: int | None = None) -> str:
    """The one line Ctrl-C prints: what stopped, that finished runs stay (``kept`` of them,
    for a sweep) and nothing half-written does, and the command that goes on."""
    finished = "" if kept is None else f"{plural(kept, 'finished run')} kept, "
    return (
        f"interrupted {what}; {finished}nothing half-written left; continue with: "
        f"{invoked_command()}"
    )


def _stopped_at(outcome: SweepOutcome) -> str:
    where = {"grid": "grid", "seeds": "seeds of", "study": "study", "compare": "compare"}[
        outcome.kind
    ]
    running = [f"{what}, run {run_id}" for run_id, what in outcome.in_flight.items()]
    at = f" at {'; '.join(running)}" if running else ""
    return f"{where} {outcome.name}{at}"


def show_outcome(
    outcome: SweepOutcome,
    *,
    tables: Callable[[SweepOutcome], object] | None = None,
    tracking: Tracking | None = None,
) -> None:
    """Everything a sweep shows afterwards, in order: the counts, one line per failure, its
    ``tables`` (also after Ctrl-C: finished runs are kept), the trackers' summary, and when
    interrupted the line saying so (then exit 130); failures exit 1."""
    counts = [f"trained {len(outcome.trained)}", f"already finished {len(outcome.skipped)}"]
    if outcome.kind == "study":
        counts.append(f"pruned {len(outcome.pruned)}")
    else:
        counts.append(f"being trained by another process {len(outcome.busy)}")
    counts.append(f"failed {len(outcome.failed)}")
    console.print(", ".join(counts), highlight=False)
    for key, message in outcome.failed.items():
        errors.print(labelled("failed", "red", f"{key}: {message}"), highlight=False)
    if tables is not None:
        tables(outcome)
    if tracking is not None:
        show_tracking(tracking)
    if outcome.interrupted:
        line = interrupted_line(_stopped_at(outcome), len(outcome.finished_runs()))
        errors.print(line, style="yellow", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    if outcome.failed:
        raise typer.Exit(1)


def sweep_and_show(
    sweep: Sweep,
    results: Path,
    settings: ExecutorSettings,
    *,
    tracking: Tracking | None = None,
    parent: TrackedSweep | None = None,
    tables: Callable[[SweepOutcome], object] | None = None,
) -> SweepOutcome:
    """Run ``sweep`` under one live display (:func:`~sigbench.sweeps.runner.run_sweep`),
    then :func:`show_outcome`."""
    from sigbench.sweeps.runner import SweepInterrupted, run_sweep

    with SharedProgress() as progress:
        try:
            outcome = run_sweep(
                sweep, results, settings, progress, tracking=tracking, parent=parent
            )
        except SweepInterrupted as stop:
            outcome = stop.outcome
    show_outcome(outcome, tables=tables, tracking=tracking)
    return outcome
