"""``tune``: hyperparameter search with Optuna over ordinary runs, resumable and shareable."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sigbench.cli.output import SharedProgress, console, errors, key_value_table, labelled
from sigbench.cli.run_commands import ConfigArg, ResultsOption, SetOption
from sigbench.cli.sweep_commands import ExecutorKind
from sigbench.cli.track_options import (
    TrackerName,
    TrackOption,
    TrackUriOption,
    open_tracking,
    show_tracking,
)
from sigbench.errors import SigbenchError

if TYPE_CHECKING:
    from sigbench.sweeps.tune_outputs import StudySummary


def _summary_rows(summary: StudySummary, metric: str, seconds: float) -> dict[str, object]:
    counts = {state: n for state, n in summary.counts.items() if n}
    rows: dict[str, object] = {
        "trials": ", ".join(f"{n} {state}" for state, n in counts.items()),
        "wall time this session": f"{seconds:.0f} s",
    }
    if summary.best_number is not None:
        rows["best trial"] = summary.best_number
        rows[f"best {metric} (validation)"] = summary.best_value
        for key, value in summary.best_values.items():
            rows[key] = value
        rows["best run"] = str(summary.best_run)
        for key, value in summary.test.items():
            rows[f"test {key} (best trial)"] = value
    return rows


def tune(
    config: Path = ConfigArg,
    space: Path = typer.Option(
        ..., "--space", help="SPACE.yaml: config keys to a list (choices) or {low, high, log}."
    ),
    trials: int = typer.Option(
        ..., "--trials", "-n", min=1, help="Finished trials the study should hold in total."
    ),
    metric: str = typer.Option(
        "val_acc", "--metric", help="Validation score to optimise: val_acc, val_loss, val_hter."
    ),
    study: str = typer.Option(
        None, "--study", help="Study name (its folder under results/tune/); default: CONFIG-SPACE."
    ),
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1, help="Trials trained at once (local processes or Ray tasks)."
    ),
    executor_kind: ExecutorKind = typer.Option(
        ExecutorKind.local, "--executor", help="local: this machine (--jobs); ray: Ray tasks."
    ),
    address: str | None = typer.Option(
        None, "--address", help="Ray cluster head (HOST:6379 or auto), with --executor ray."
    ),
    results: Path = ResultsOption,
    overrides: list[str] = SetOption,
    track: list[TrackerName] = TrackOption,
    track_uri: str = TrackUriOption,
) -> None:
    """Search the space with Optuna (TPE, median pruning), each trial an ordinary run; the
    same command again continues the study, and processes naming one study share it."""
    import sigbench.data  # noqa: F401  (registers the probe data.channels: auto is resolved by)
    import sigbench.models  # noqa: F401  (registers the model kinds the config is checked against)
    from sigbench.config import load_config
    from sigbench.sweeps.space import load_space

    if address is not None and executor_kind is not ExecutorKind.ray:
        raise SigbenchError("--address names a Ray cluster: add --executor ray")
    base = load_config(config, overrides)
    searched = load_space(space, base)  # every key and range checked before any training
    tracking = open_tracking(track, base.track, results, track_uri)  # a missing extra: now
    from sigbench.sweeps.executors import make_executor
    from sigbench.sweeps.study import open_study
    from sigbench.sweeps.tune import Tuner
    from sigbench.sweeps.tune_outputs import write_outputs

    name = study or f"{base.name}-{space.stem}"
    opened = open_study(results, name, metric=metric, base=base, space=searched, trials=trials)
    console.print(
        f"tune {name}: {trials} trials of {space} on {config}, choosing on {metric}; "
        f"study in {results / 'tune' / name}"
    )
    started = time.perf_counter()
    try:
        with (
            SharedProgress() as progress,
            make_executor(jobs, kind=executor_kind.value, address=address) as executor,
        ):
            tuner = Tuner(
                opened,
                base,
                searched,
                results,
                trials=trials,
                metric=metric,
                executor=executor,
                jobs=jobs,
                progress=progress,
            )
            outcome = tuner.run()
    except KeyboardInterrupt:
        write_outputs(opened, searched, results, metric, base.seed)
        errors.print(
            labelled(
                "interrupted:", "yellow", "finished trials are kept; run the same command to resume"
            )
        )
        raise
    summary = write_outputs(opened, searched, results, metric, base.seed)
    console.print(
        f"this session: trained {len(outcome.trained)}, reused {len(outcome.reused)} "
        f"finished runs, pruned {len(outcome.pruned)}, failed {len(outcome.failed)}"
    )
    for number, message in outcome.failed.items():
        errors.print(
            labelled("failed", "red", f"trial {number}: {message}"), highlight=False, soft_wrap=True
        )
    seconds = time.perf_counter() - started
    console.print(key_value_table(f"study {name}", _summary_rows(summary, metric, seconds)))
    if summary.test:
        console.print(
            f"chosen on validation {metric} only; the test split was read once, for the "
            "best trial, after the search",
            style="dim",
        )
    for path in summary.files:
        console.print(f"wrote {path}")
    if tracking.trackers:
        from sigbench.tracking import TrackedSweep

        study_sweep = TrackedSweep(
            "study", name, f"study-{name}", {"study.metric": metric, "study.space": str(space)}
        )
        with tracking:
            tracking.log_all(outcome.run_dirs(results), study_sweep)
        show_tracking(tracking)


def register(app: typer.Typer) -> None:
    app.command()(tune)
