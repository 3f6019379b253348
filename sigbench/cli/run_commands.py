"""``train``, ``eval`` and ``predict``: one experiment and its finished run folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sigbench.cli.options import (
    EXAMPLE_RUN,
    Analysis,
    ConfigArg,
    Overrides,
    PrintConfig,
    Results,
    RunFolder,
    Seeds,
    Track,
    TrackUri,
    choice_enum,
    choice_list,
    comma_list,
    examples,
    parse_choice,
)
from sigbench.cli.output import (
    RichProgress,
    console,
    errors,
    key_value_table,
    labelled,
    records_table,
)
from sigbench.cli.sweeping import interrupted_line, sweep_and_show
from sigbench.cli.track_options import open_tracking, show_tracking
from sigbench.errors import SigbenchError, percent, plural
from sigbench.options import (
    EQUIVARIANCE_TRANSFORMS,
    PREDICT_FORMATS,
    ROBUSTNESS_TRANSFORMS,
    TTA_CHOICES,
)

if TYPE_CHECKING:
    from sigbench.config import ExperimentConfig
    from sigbench.runs.claim import Claim
    from sigbench.sweeps.runner import SweepOutcome
    from sigbench.tracking import Tracking

SUMMARY_KEYS = (
    "accuracy", "accuracy_ci95", "f1_macro", "f1_macro_ci95", "hter", "hter_ci95", "far", "frr",
    "threshold", "hter_val_threshold", "eer", "roc_auc", "ece", "params",
    "weights_kb", "checkpoint_kb", "flops_per_image", "train_seconds", "decode_seconds",
    "pixel_cache", "featurize_seconds", "feature_cache", "epochs_run", "best_epoch", "n_train",
    "n_val", "n_test",
)  # fmt: skip
MULTILABEL_SUMMARY_KEYS = (
    "mean_accuracy", "mean_accuracy_ci95", "exact_match", "exact_match_ci95", "mean_f1",
    "mean_hter", "mean_far", "mean_frr",
)  # fmt: skip
TOP_K = re.compile(r"top\d+_accuracy")  # train.top_k names the key
TtaChoice = choice_enum("TtaChoice", TTA_CHOICES)
EquivarianceTransform = choice_enum("EquivarianceTransform", EQUIVARIANCE_TRANSFORMS)
PredictFormat = choice_enum("PredictFormat", PREDICT_FORMATS)
# The keys shown in percent (labelled "(%)"), as the tables show accuracy; metrics.json keeps
# the fractions.
ACCURACY_KEY = re.compile(r"(mean_|top\d+_)?accuracy(_ci95)?")


def _shown_in_percent(key: str, value: Any) -> tuple[str, Any]:
    """An accuracy row (a fraction, or its interval) as the summary prints it; others as given."""
    if not ACCURACY_KEY.fullmatch(key):
        return key, value
    text = "[" + ", ".join(map(percent, value)) + "]" if isinstance(value, list) else percent(value)
    return f"{key} (%)", text


def positive_class(metrics: dict[str, Any]) -> str | None:
    """Which class FAR, FRR and HTER take as accepted, and at which thresholds, for a binary
    run's summary: the numbers mean nothing without it."""
    classes = metrics.get("classes") or []
    if "hter" not in metrics or len(classes) != 2:
        return None
    negative, positive = classes
    at_threshold = (
        f"; hter_val_threshold at p > {metrics['threshold']:.4f}, chosen on validation"
        if "threshold" in metrics
        else ""
    )
    return (
        f"{positive!r} (FAR: {negative!r} images accepted, FRR: {positive!r} images rejected; "
        f"far, frr, hter at p({positive!r}) > 0.5{at_threshold})"
    )


def metrics_summary(metrics: dict[str, Any]) -> dict[str, Any]:
    top_k = [key for key in metrics if TOP_K.fullmatch(key)]
    keys = (*SUMMARY_KEYS[:2], *top_k, *SUMMARY_KEYS[2:])  # top-k beside accuracy and its CI
    rows = dict(
        _shown_in_percent(key, metrics[key])
        for key in (*MULTILABEL_SUMMARY_KEYS, *keys)
        if key in metrics
    )
    positive = positive_class(metrics)
    if positive is not None:  # just before the scores it explains
        scores = list(rows.items())
        at = next(i for i, (key, _) in enumerate(scores) if key.startswith("hter"))
        rows = dict([*scores[:at], ("positive class", positive), *scores[at:]])
    per_attribute = metrics.get("per_attribute", {})
    if per_attribute:
        rows["accuracy per attribute (%)"] = ", ".join(
            f"{name} {percent(values['accuracy'])}" for name, values in per_attribute.items()
        )
        rows["hter per attribute"] = ", ".join(
            f"{name} {values['hter']:.3f}" for name, values in per_attribute.items()
        )
    what = "attributes" if per_attribute else "classes"
    for name, counts in metrics.get("class_counts", {}).items():
        rows[f"{what} ({name})"] = ", ".join(f"{k} {v}" for k, v in counts.items())
    for key, title in (("class_weights", "class weights (alpha)"), ("pos_weight", "pos_weight")):
        if key in metrics:
            rows[title] = ", ".join(f"{k} {v:.2f}" for k, v in metrics[key].items())
    return rows


def train(
    config: ConfigArg,
    overrides: Overrides = None,
    results: Results = Path("results"),
    analysis: Analysis = False,
    seeds: Seeds = None,
    track: Track = None,
    track_uri: TrackUri = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Retrain a finished run; its folder is replaced, with what was made from it "
            "(exports, analyses, robustness tables), which are named first.",
        ),
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option(
            "--no-wait",
            help="When another process is training the same run, say which and exit (status "
            "3) instead of waiting for it.",
        ),
    ] = False,
    print_config: PrintConfig = False,
) -> None:
    """Train one experiment and write results/runs/<run-id>/: config, metrics, history, model.

    The same spec always lands in the same folder: a finished run is shown, not retrained
    (--force retrains it). With --seeds N, train it at N seeds and print each seed's scores
    and their mean and spread.
    """
    from sigbench.config import dump_config, load_config

    spec = load_config(config, overrides)  # before loading any data: bad specs fail fast
    if print_config:
        from sigbench.sweeps.seeds import with_seeds

        console.print(dump_config(spec), highlight=False, markup=False, end="")
        for seeded in with_seeds(spec, seeds or 1):
            console.print(f"{seeded.run_id()}  seed {seeded.seed}", highlight=False, markup=False)
        return
    tracking = open_tracking(track, spec.track, results, track_uri)
    if seeds is not None:
        if force or no_wait:
            raise SigbenchError("--force and --no-wait are for one run; drop them with --seeds")
        _train_seeds(spec, seeds, results, analysis, tracking)
        return
    from sigbench.runs.claim import ClaimState, claim

    def waiting(holder: str) -> None:
        console.print(
            f"waiting: {holder} is training {spec.run_id()}", highlight=False, soft_wrap=True
        )

    held = claim(results, spec.run_id(), retrain=force, wait=not no_wait, on_wait=waiting)
    if held.state is ClaimState.busy:
        errors.print(
            f"{spec.run_id()} is being trained by {held.holder}; run again once it is done "
            "(or leave out --no-wait to wait for it)",
            highlight=False, soft_wrap=True,
        )  # fmt: skip
        raise typer.Exit(3)
    if held.state is ClaimState.finished:
        _show_run(spec, held.run)
        console.print(
            f"already trained: {held.run} (the same spec lands in the same folder); --force "
            "retrains it",
            highlight=False,
            soft_wrap=True,
        )
        with tracking:
            tracking.log(held.run)
        show_tracking(tracking)
        return
    with held, tracking:
        _train_claimed(spec, held, results, analysis, tracking)
    show_tracking(tracking)


def _train_claimed(
    spec: ExperimentConfig, held: Claim, results: Path, analysis: bool, tracking: Tracking
) -> None:
    """Train the run ``held`` claims; on Ctrl-C say what stopped and how to go on."""
    from sigbench.experiments.train import train_run
    from sigbench.runs.rundir import derived_files

    removed = derived_files(held.run, analysis=analysis)
    if removed:
        console.print(
            f"--force: retraining {held.run_id}; this removes what was made from it: "
            f"{', '.join(removed)}",
            highlight=False,
            soft_wrap=True,
        )
    epochs: list[int] = []
    try:
        outcome = train_run(
            spec,
            results,
            progress=RichProgress(),
            analysis=analysis,
            on_epoch=lambda row: epochs.append(int(row["epoch"])),
        )
    except KeyboardInterrupt:
        held.release()
        total = spec.train.epochs
        at = f"in epoch {len(epochs) + 1} of {total}" if epochs else "before its first epoch"
        if len(epochs) >= total:
            at = "after its last epoch, while scoring and saving it"
        line = interrupted_line(f"train run {spec.run_id()} {at}")
        errors.print(line, style="yellow", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    for note in outcome.notes:
        console.print(labelled("note:", "dim", note))
    _show_run(spec, outcome.run_dir, outcome.metrics)
    if analysis:
        from sigbench.experiments.evaluate import analysis_dir

        console.print(f"analysis pictures in {analysis_dir(outcome.run_dir)}", highlight=False)
    tracking.log(outcome.run_dir)


def _show_run(spec: ExperimentConfig, run: Path, metrics: dict[str, Any] | None = None) -> None:
    """A finished run's summary table (from its metrics.json unless given)."""
    from sigbench.config import size_text
    from sigbench.runs import rundir

    rows = {
        "image (H x W)": size_text(spec.data.image_size),
        **metrics_summary(metrics if metrics is not None else rundir.read_metrics(run)),
    }
    console.print(key_value_table(f"run {run}", rows))


def _train_seeds(
    spec: ExperimentConfig, seeds: int, results: Path, analysis: bool, tracking: Tracking
) -> None:
    """Every seed not finished yet, as a one-axis grid through the sweep runner (runs
    another process holds are waited for); then the per-seed table and the interval."""
    from sigbench.sweeps.runner import ExecutorSettings
    from sigbench.sweeps.scheduler import GridSweep, seed_points

    def waiting(run_id: str, holder: str) -> None:
        console.print(f"waiting: {holder} is training {run_id}", highlight=False, soft_wrap=True)

    sweep = GridSweep(
        seed_points(spec, seeds),
        results,
        name=spec.run_id(),
        kind="seeds",
        wait_for_busy=True,
        on_wait=waiting,
    )
    sweep_and_show(
        sweep,
        results,
        ExecutorSettings(analysis=analysis),
        tracking=tracking,
        tables=lambda outcome: _seeds_table(spec, outcome),
    )


def _seeds_table(spec: ExperimentConfig, outcome: SweepOutcome) -> None:
    import pandas as pd

    from sigbench.reporting.tables import display_frame, point_row, run_row, score_text

    rows = [run_row(run, []) for run in outcome.finished_runs()]
    if not rows:
        return
    per_seed = [
        {"seed": r["seed"], "accuracy (%)": score_text("acc", r["acc"]), "f1_macro": r["f1_macro"],
         **({"hter": r["hter"]} if r["hter"] is not None else {}), "run": r["run_id"]}
        for r in sorted(rows, key=lambda r: r["seed"])
    ]  # fmt: skip
    console.print(records_table(f"{spec.run_id()} at {plural(len(rows), 'seed')}", per_seed))
    summary = point_row(rows)
    shown = display_frame(pd.DataFrame([summary])).iloc[0]
    console.print(
        key_value_table(
            f"mean ± half-width of the 95% t-interval over {plural(summary['n_seeds'], 'seed')}",
            {
                "accuracy (%)": shown["acc"],
                "accuracy std (points)": (
                    None if summary["acc_std"] is None else score_text("acc", summary["acc_std"])
                ),
                "f1_macro": shown["f1_macro"],
                **({"hter": shown["hter"]} if summary["hter_mean"] is not None else {}),
            },
        )
    )


def evaluate(
    run: RunFolder,
    data: Path = typer.Option(
        None,
        "--data",
        help="Score on these test images instead of the run's own test split, in the layout "
        "the run was trained on: a folder of class folders, numbered images (with --labels) "
        "or a CSV.",
    ),
    labels: Path = typer.Option(
        None,
        "--labels",
        help="With --data, for a label-file run: the labels, one per line, in numeric order.",
    ),
    analysis: Analysis = False,
    robustness: Annotated[
        list[str] | None,
        choice_list(
            "--robustness",
            ROBUSTNESS_TRANSFORMS,
            help="Also score under transforms, repeatable or comma-separated, e.g. "
            "scale,flip,brightness,noise,rotation; writes robustness.csv and robustness.png in "
            "the run folder.",
        ),
    ] = None,
    tta: TtaChoice | None = typer.Option(
        None,
        "--tta",
        parser=parse_choice(TtaChoice),
        help="Also score with test-time augmentation: flips or hflip.",
        show_default=False,
    ),
    equivariance: bool = typer.Option(
        False,
        "--equivariance",
        help="Also measure the equivariance error Delta per layer (--transform); writes "
        "equivariance.csv and equivariance.png in the run folder (rotate: "
        "equivariance_rotate.*).",
    ),
    transform: EquivarianceTransform | None = typer.Option(
        None,
        "--transform",
        parser=parse_choice(EquivarianceTransform),
        help="What --equivariance applies: scale (default) or rotate.",
        show_default=False,
    ),
    scales: list[str] | None = typer.Option(
        None,
        "--scales",
        metavar="FACTORS",
        callback=comma_list,
        help="Scales for --equivariance, repeatable or comma-separated "
        "(default 0.5,0.75,1.25,1.5,2).",
        show_default=False,
    ),
    angles: list[str] | None = typer.Option(
        None,
        "--angles",
        metavar="DEGREES",
        callback=comma_list,
        help="Degrees for --equivariance --transform rotate, repeatable or comma-separated "
        "(default 15,30,45,90,180).",
        show_default=False,
    ),
    max_images: int = typer.Option(
        None, "--max-images", min=1, help="--equivariance on a seeded sample of the test images."
    ),
) -> None:
    """Score a finished run's saved model again on its test split (or on --data)."""
    from sigbench.cli.equivariance_commands import equivariance_amounts, show_equivariance
    from sigbench.cli.robustness_commands import show_robustness, show_tta
    from sigbench.experiments.evaluate import analysis_dir, evaluate_run
    from sigbench.experiments.inputs import EvalData

    if data is not None and (robustness or tta or equivariance):
        raise SigbenchError(
            "--robustness, --tta and --equivariance use the run's own test split; drop --data"
        )
    if labels is not None and data is None:
        raise SigbenchError("--labels goes with --data (a label-file run's other test images)")
    test_data = None if data is None else EvalData(data, labels)
    if test_data is not None:
        test_data.check()
    equivariance_only = (scales, angles, transform, max_images)
    if not equivariance and any(option not in (None, []) for option in equivariance_only):
        raise SigbenchError(
            "--transform, --scales, --angles and --max-images belong to --equivariance; add it"
        )
    applied = transform.value if transform else "scale"
    amounts = equivariance_amounts(applied, scales, angles) if equivariance else []
    transforms = list(dict.fromkeys(name.value for name in robustness or []))
    metrics = evaluate_run(run, test_data=test_data, progress=RichProgress(), analysis=analysis)
    console.print(key_value_table(f"eval {run}", metrics_summary(metrics)))
    if analysis:
        console.print(f"analysis pictures in {analysis_dir(run, test_data)}")
    if transforms:
        show_robustness(run, transforms)
    if tta:
        show_tta(run, tta.value)
    if equivariance:
        show_equivariance(run, applied, amounts, max_images)


def predict(
    run: Path = typer.Argument(
        ...,
        metavar="RUN_OR_EXPORT",
        help="A finished run folder, or a file from `sigbench export` (.onnx, .pt, or a C "
        "export's folder).",
    ),
    inputs: list[Path] = typer.Argument(
        ...,
        metavar="FILES_OR_FOLDERS",
        help="Image files and folders: walked recursively, numbered images in numeric order; "
        "for a label-file run, a folder's images named by number only, as training read them.",
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write the predictions here instead of to standard output."
    ),
    fmt: PredictFormat = typer.Option(
        "csv",
        "--format",
        parser=parse_choice(PredictFormat),
        help="csv: path,label,probability per image; labels: one label per line, input order.",
    ),
    proba: bool = typer.Option(False, "--proba", help="csv: add one probability column per class."),
    strict: bool = typer.Option(
        False, "--strict", help="Stop at the first unreadable file instead of skipping it."
    ),
) -> None:
    """Predict a label for every image, streaming in batches (memory stays flat); for a
    multi-label run the label is the attributes above 0.5, joined by ';'."""
    from sigbench.data.listing import list_inputs
    from sigbench.experiments.predict import (
        PredictReport,
        open_predictor,
        save_predictions,
        stream_predictions,
    )

    predictor = open_predictor(run)
    paths = list_inputs(inputs, numbered=predictor.numbered)
    report = PredictReport()
    answers = stream_predictions(predictor, paths, report, strict=strict, progress=RichProgress())
    save_predictions(
        answers, predictor.classes, out, fmt=fmt.value, proba=proba, multilabel=predictor.multilabel
    )
    if out is not None:
        rate = report.images / max(report.seconds, 1e-9)
        console.print(
            f"wrote {out}: {plural(report.images, 'image')} in {report.seconds:.1f} s "
            f"({rate:,.0f} images/s), {len(report.unreadable):,} unreadable"
        )


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            "sigbench train configs/demo.yaml",
            "sigbench train configs/demo.yaml --set train.epochs=20 --set signature.depth=3",
            "sigbench train configs/demo.yaml --seeds 5   # seeds 0..4, their mean and spread",
            "sigbench train configs/demo.yaml --print-config   # the resolved spec and its run id",
        )
    )(train)
    app.command(
        "eval",
        epilog=examples(
            f"sigbench eval {EXAMPLE_RUN}",
            f"sigbench eval {EXAMPLE_RUN} --robustness scale,flip --tta flips",
            f"sigbench eval {EXAMPLE_RUN} --equivariance --transform rotate --max-images 500",
        ),
    )(evaluate)
    app.command(
        epilog=examples(
            f"sigbench predict {EXAMPLE_RUN} photos/ --out labels.csv",
            f"sigbench predict {EXAMPLE_RUN}/export/model.onnx a.jpg b.jpg --format labels",
        )
    )(predict)
