"""``tune``: hyperparameter search with Optuna over ordinary runs, resumable and shareable."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sigbench.cli.options import (
    Address,
    ConfigArg,
    Executor,
    ExecutorKind,
    Jobs,
    Overrides,
    PrintConfig,
    Results,
    Track,
    TrackUri,
    TuneMetric,
    examples,
    parse_choice,
)
from sigbench.cli.output import console, key_value_table
from sigbench.cli.sweeping import sweep_and_show
from sigbench.cli.track_options import open_tracking
from sigbench.errors import percent

if TYPE_CHECKING:
    from sigbench.sweeps.runner import SweepOutcome
    from sigbench.sweeps.tune_outputs import StudySummary


def _summary_rows(summary: StudySummary, metric: str, seconds: float) -> dict[str, object]:
    counts = {state: n for state, n in summary.counts.items() if n}
    rows: dict[str, object] = {
        "trials": ", ".join(f"{n} {state}" for state, n in counts.items()),
        "wall time this session": f"{seconds:.0f} s",
    }
    if summary.best_number is not None:
        rows["best trial"] = summary.best_number
        best = summary.best_value
        if metric == "val_acc" and best is not None:
            rows["best val_acc (validation, %)"] = percent(best)
        else:
            rows[f"best {metric} (validation)"] = best
        for key, value in summary.best_values.items():
            rows[key] = value
        rows["best run"] = str(summary.best_run)
        for key, value in summary.test.items():
            if key == "accuracy":
                rows["test accuracy (best trial, %)"] = percent(value)
            else:
                rows[f"test {key} (best trial)"] = value
    return rows


def tune(
    config: ConfigArg,
    space: Annotated[
        Path,
        typer.Option(
            "--space",
            help="SPACE.yaml: config keys to a list (choices) or {low, high, log}; or a model "
            "kind's own space by its name (sigbench list spaces).",
        ),
    ] = ...,  # type: ignore[assignment]
    trials: Annotated[
        int,
        typer.Option(
            "--trials", "-n", min=1, help="Finished trials the study should hold in total."
        ),
    ] = ...,  # type: ignore[assignment]
    metric: Annotated[
        TuneMetric,  # type: ignore[valid-type]
        typer.Option(
            "--metric", parser=parse_choice(TuneMetric), help="Validation score to optimise."
        ),
    ] = TuneMetric.val_acc,  # type: ignore[attr-defined]
    study: Annotated[
        str | None,
        typer.Option(
            "--study",
            help="Study name (its folder under results/tune/); default: CONFIG-SPACE.",
            show_default=False,
        ),
    ] = None,
    jobs: Jobs = 1,
    executor_kind: Executor = ExecutorKind.local,  # type: ignore[attr-defined]
    address: Address = None,
    results: Results = Path("results"),
    overrides: Overrides = None,
    track: Track = None,
    track_uri: TrackUri = None,
    print_config: PrintConfig = False,
) -> None:
    """Search the space with Optuna (TPE, median pruning), each trial an ordinary run; the
    same command again continues the study, and processes naming one study share it."""
    from sigbench.config import dump_config, load_config
    from sigbench.sweeps.runner import ExecutorSettings
    from sigbench.sweeps.space import load_space

    settings = ExecutorSettings(jobs, executor_kind.value, address)
    base = load_config(config, overrides)
    searched = load_space(space, base)  # every key and range checked before any training
    if print_config:
        console.print(dump_config(base), highlight=False, markup=False, end="")
        console.print(
            f"{base.run_id()}  the base config; each trial's run id follows from the values it "
            f"draws for {', '.join(searched.params)}",
            highlight=False, markup=False,
        )  # fmt: skip
        return
    settings.check(base.train.num_threads)
    tracking = open_tracking(track, base.track, results, track_uri)  # a missing extra: now
    from sigbench.sweeps.study import open_study
    from sigbench.sweeps.tune import Tuner
    from sigbench.sweeps.tune_outputs import write_outputs
    from sigbench.tracking import TrackedSweep

    name = study or f"{base.name}-{space.stem}"
    opened = open_study(
        results, name, metric=metric.value, base=base, space=searched, trials=trials
    )
    console.print(
        f"tune {name}: {trials} trials of {space} on {config}, choosing on {metric.value}; "
        f"study in {results / 'tune' / name}",
        highlight=False,
    )
    started = time.perf_counter()

    def tables(outcome: SweepOutcome) -> None:
        summary = write_outputs(opened, searched, results, metric.value, base.seed)
        if outcome.interrupted:
            return
        seconds = time.perf_counter() - started
        rows = _summary_rows(summary, metric.value, seconds)
        console.print(key_value_table(f"study {name}", rows))
        if summary.test:
            console.print(
                f"chosen on validation {metric.value} only; the test split was read once, for "
                "the best trial, after the search",
                style="dim",
            )
        for path in summary.files:
            console.print(f"wrote {path}", highlight=False)

    parent = TrackedSweep(
        "study", name, f"study-{name}", {"study.metric": metric.value, "study.space": str(space)}
    )
    sweep_and_show(
        Tuner(opened, base, searched, results, trials=trials, metric=metric.value, jobs=jobs),
        results,
        settings,
        tracking=tracking,
        parent=parent,
        tables=tables,
    )


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "sigbench tune configs/demo.yaml --space imagesig_fc --trials 20   # the kind's space",
            "sigbench tune configs/demo.yaml --space configs/spaces/imagesig.yaml --trials 12 -j 2",
        )
    )(tune)
