"""``compare``: every model tuned on the same budget, the chosen configs at seeds, paired tests
and the accuracy-cost frontier (docs/compare.md)."""

from __future__ import annotations

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
    TuneMetric,
    examples,
    parse_choice,
    split_commas,
)
from sigbench.cli.output import console, records_table
from sigbench.cli.sweeping import sweep_and_show

if TYPE_CHECKING:
    from sigbench.config import ExperimentConfig
    from sigbench.sweeps.compare import CompareSpec
    from sigbench.sweeps.runner import ExecutorSettings, SweepOutcome

SHOWN = {
    "model": "model", "acc": "accuracy (%)", "params": "params", "latency_ms": "latency (ms)",
    "train_time_min": "train (min)", "tuning_min": "tuning (min)",
}  # fmt: skip


def compare(
    config: ConfigArg,
    models: Annotated[
        list[str] | None,
        typer.Option(
            "--models",
            help="Model kinds to compare, repeatable or comma-separated (sigbench list models).",
            show_default=False,
        ),
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option(
            "--trials", "-n", min=1, help="Trials per model (default: 8).", show_default=False
        ),
    ] = None,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds", min=1, help="Seeds of each chosen config (default: 3).", show_default=False
        ),
    ] = None,
    metric: Annotated[
        TuneMetric | None,  # type: ignore[valid-type]
        typer.Option(
            "--metric",
            parser=parse_choice(TuneMetric),
            help="Validation score each study chooses on (default: val_acc).",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    budget_minutes: Annotated[
        float | None,
        typer.Option(
            "--budget-minutes",
            min=0.0,
            help="Per model: start no more trials once its study has used this much time.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="The comparison's name (RESULTS/compare/NAME/); default: the config's name.",
            show_default=False,
        ),
    ] = None,
    jobs: Jobs = 1,
    executor_kind: Executor = ExecutorKind.local,  # type: ignore[attr-defined]
    address: Address = None,
    results: Results = Path("results"),
    overrides: Overrides = None,
    print_config: PrintConfig = False,
) -> None:
    """Tune every model on the same budget (an Optuna study each, over the kind's own search
    space, chosen on validation only), retrain each chosen config at seeds, and write the
    table, the paired tests (Holm-corrected) and the accuracy-cost frontier. CONFIG is an
    experiment spec or a compare YAML (config, models, trials, seeds, per_model)."""
    from sigbench.config import dump_config, load_config, read_yaml
    from sigbench.errors import SigbenchError
    from sigbench.sweeps.compare import is_compare_file, read_spec
    from sigbench.sweeps.runner import ExecutorSettings

    given = {
        "models": split_commas(models) or None,
        "trials": trials,
        "seeds": seeds,
        "metric": None if metric is None else metric.value,
        "budget_minutes": budget_minutes,
        "name": name,
    }
    experiment = config
    if is_compare_file(read_yaml(config)):
        spec = read_spec(config, given)
        if spec.config is None:
            raise SigbenchError(f"{config}: config: the experiment spec to compare models on")
        experiment = Path(spec.config)
    else:
        if not given["models"]:
            raise SigbenchError("--models: name the model kinds to compare, e.g. --models "
                                "imagesig_fc,logistic,simple_cnn")  # fmt: skip
        spec = read_spec(None, given)
    settings = ExecutorSettings(jobs, executor_kind.value, address)
    base = load_config(experiment, overrides)
    title = spec.name or base.name or experiment.stem
    if print_config:
        from sigbench.sweeps.compare import model_base

        console.print(dump_config(base), highlight=False, markup=False, end="")
        for kind in spec.models:
            model = model_base(base, kind, spec.per_model.get(kind, {}))
            console.print(f"{kind}: base run {model.run_id()}", highlight=False, markup=False)
        return
    settings.check(base.train.num_threads)
    _run(spec, base, experiment, list(overrides or []), title, results, settings)


def _run(
    spec: CompareSpec,
    base: ExperimentConfig,
    experiment: Path,
    overrides: list[str],
    title: str,
    results: Path,
    settings: ExecutorSettings,
) -> None:
    """Plan every model (all checks first), record the settings, run (the models' timing
    last), write the outputs."""
    import time

    import yaml

    from sigbench.reporting.compare import write_compare_outputs
    from sigbench.runs.rundir import write_text_atomic
    from sigbench.sweeps.compare import (
        SPEC_FILE,
        CompareSweep,
        compare_folder,
        model_results,
        plan_models,
        spec_record,
    )
    from sigbench.sweeps.compare_latency import timing_line

    folder = compare_folder(results, title)
    plans = plan_models(results, base, spec, title)  # every space and override checked now
    record = spec_record(spec, base, experiment, overrides, title)
    write_text_atomic(folder / SPEC_FILE, yaml.safe_dump(record, sort_keys=False))
    console.print(
        f"compare {title}: {', '.join(spec.models)}; {spec.trials} trials each on validation "
        f"{spec.metric}, then {spec.seeds} seeds of each chosen config; outputs in {folder}",
        highlight=False, soft_wrap=True,
    )  # fmt: skip
    started = time.perf_counter()
    sweep = CompareSweep(plans, results, spec, title, settings.jobs, base.train.num_threads)

    def tables(outcome: SweepOutcome) -> None:
        from sigbench.reporting.tables import display_frame

        models, timing = model_results(plans, results, title, spec.seeds)
        console.print(timing_line(timing, sweep.timed_now), highlight=False, soft_wrap=True)
        caption = f"{title}: {len(models)} models tuned on the same budget"
        frame, files, summary = write_compare_outputs(
            models, folder, metric=spec.metric, caption=caption
        )
        if not frame.empty:
            shown = display_frame(frame)
            rows = [{SHOWN[c]: row[c] for c in SHOWN if c in shown} for _, row in shown.iterrows()]
            console.print(records_table(f"compare {title}", rows))
        for path in files:
            console.print(f"wrote {path}", highlight=False, soft_wrap=True)
        minutes = (time.perf_counter() - started) / 60
        console.print(
            f"{summary} (This session: {minutes:.1f} min.)", highlight=False, soft_wrap=True
        )

    sweep_and_show(sweep, results, settings, tables=tables)


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "sigbench compare configs/demo.yaml --models imagesig_fc,logistic,simple_cnn",
            "sigbench compare configs/demo.yaml --models imagesig_fc,logistic --trials 4 --seeds 5",
            "sigbench compare fair.yaml --results results/fair   # a compare YAML",
        )
    )(compare)
