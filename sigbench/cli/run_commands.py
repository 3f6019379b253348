"""``train``, ``eval`` and ``predict``: one experiment and its finished run folder."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sigbench.cli.output import (
    RichProgress,
    SharedProgress,
    console,
    errors,
    key_value_table,
    labelled,
    records_table,
)
from sigbench.cli.track_options import (
    TrackerName,
    TrackOption,
    TrackUriOption,
    open_tracking,
    show_tracking,
)
from sigbench.errors import SigbenchError, plural

if TYPE_CHECKING:
    from sigbench.config import ExperimentConfig

ConfigArg = typer.Argument(..., help="Experiment spec (YAML), e.g. configs/demo.yaml.")
SetOption = typer.Option(
    None, "--set", "-s", help="Override a key, e.g. --set signature.depth=5 (repeatable)."
)
ResultsOption = typer.Option(
    Path("results"), "--results", "-r", help="Results folder: runs/, tables/ and cache/ live here."
)
RunArg = typer.Argument(..., help="A finished run folder, e.g. results/runs/demo-1a2b3c4d5e.")
AnalysisOption = typer.Option(
    False,
    "--analysis",
    help="Also draw error-analysis pictures into the run's analysis/ folder: confusion matrix, "
    "most confident mistakes, confidence histogram, reliability diagram, ROC (two classes).",
)

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
SeedsOption = typer.Option(
    None,
    "--seeds",
    min=1,
    help="Train at seeds seed, seed+1, ..., seed+N-1, each its own run (finished ones are "
    "skipped), all scored on the same test images (data.split_seed).",
)
TOP_K = re.compile(r"top\d+_accuracy")  # train.top_k names the key


def metrics_summary(metrics: dict[str, Any]) -> dict[str, Any]:
    top_k = [key for key in metrics if TOP_K.fullmatch(key)]
    keys = (*SUMMARY_KEYS[:2], *top_k, *SUMMARY_KEYS[2:])  # top-k beside accuracy and its CI
    rows = {key: metrics[key] for key in (*MULTILABEL_SUMMARY_KEYS, *keys) if key in metrics}
    per_attribute = metrics.get("per_attribute", {})
    for score in ("accuracy", "hter"):
        if per_attribute:
            rows[f"{score} per attribute"] = ", ".join(
                f"{name} {values[score]:.3f}" for name, values in per_attribute.items()
            )
    what = "attributes" if per_attribute else "classes"
    for name, counts in metrics.get("class_counts", {}).items():
        rows[f"{what} ({name})"] = ", ".join(f"{k} {v}" for k, v in counts.items())
    for key, title in (("class_weights", "class weights (alpha)"), ("pos_weight", "pos_weight")):
        if key in metrics:
            rows[title] = ", ".join(f"{k} {v:.2f}" for k, v in metrics[key].items())
    return rows


def train(
    config: Path = ConfigArg,
    overrides: list[str] = SetOption,
    results: Path = ResultsOption,
    analysis: bool = AnalysisOption,
    seeds: int | None = SeedsOption,
    track: list[TrackerName] = TrackOption,
    track_uri: str = TrackUriOption,
) -> None:
    """Train one experiment and write results/runs/<run-id>/: config, metrics, history, model.

    With --seeds N, train it at N seeds and print each seed's scores and their mean and spread.
    """
    import sigbench.data  # noqa: F401  (registers the probe data.channels: auto is resolved by)
    import sigbench.models  # noqa: F401  (registers the model kinds the config is checked against)
    from sigbench.config import load_config, size_text

    spec = load_config(config, overrides)  # before loading any data: bad specs fail fast
    if seeds is not None:
        if track or spec.track:
            raise SigbenchError(
                "--track with --seeds: not wired yet; log the runs afterwards with "
                "sigbench report --track"
            )
        _train_seeds(spec, seeds, results, analysis)
        return
    from sigbench.experiments.evaluate import analysis_dir
    from sigbench.experiments.train import train_run

    with open_tracking(track, spec.track, results, track_uri) as tracking:
        outcome = train_run(spec, results, progress=RichProgress(), analysis=analysis)
        for note in outcome.notes:
            console.print(labelled("note:", "dim", note))
        rows = {
            "image (H x W)": size_text(spec.data.image_size),
            **metrics_summary(outcome.metrics),
        }
        console.print(key_value_table(f"run {outcome.run_dir}", rows))
        if analysis:
            console.print(f"analysis pictures in {analysis_dir(outcome.run_dir)}")
        tracking.log(outcome.run_dir)
    show_tracking(tracking)


def _train_seeds(spec: ExperimentConfig, seeds: int, results: Path, analysis: bool) -> None:
    """Every seed not finished yet, one after another under the sweep locks; then the table."""
    import pandas as pd

    from sigbench.reporting.tables import display_frame, point_row, run_row
    from sigbench.runs import rundir
    from sigbench.sweeps.base import train_point
    from sigbench.sweeps.executors import SerialExecutor
    from sigbench.sweeps.scheduler import run_grid, seed_points

    points = seed_points(spec, seeds)
    run_fn = partial(train_point, analysis=True) if analysis else None
    with SharedProgress() as progress, SerialExecutor(run_fn) as executor:
        outcome = run_grid(points, results, executor, progress, name=spec.run_id())
    console.print(
        f"trained {len(outcome.trained)}, already finished {len(outcome.skipped)}, "
        f"being trained by another process {len(outcome.busy)}, failed {len(outcome.failed)}"
    )
    for run_id, message in outcome.failed.items():
        errors.print(
            labelled("failed", "red", f"{run_id}: {message}"), highlight=False, soft_wrap=True
        )
    runs = [rundir.runs_dir(results) / p.run_id for p in points]
    rows = [run_row(run, []) for run in runs if rundir.is_finished(run)]
    if rows:
        per_seed = [
            {"seed": r["seed"], "accuracy (%)": r["acc"], "f1_macro": r["f1_macro"],
             **({"hter": r["hter"]} if r["hter"] is not None else {}), "run": r["run_id"]}
            for r in sorted(rows, key=lambda r: r["seed"])
        ]  # fmt: skip
        console.print(records_table(f"{spec.run_id()} at {len(rows)} seeds", per_seed))
        summary = point_row(rows)
        shown = display_frame(pd.DataFrame([summary])).iloc[0]
        console.print(
            key_value_table(
                f"mean ± half-width of the 95% t-interval over {summary['n_seeds']} seeds",
                {
                    "accuracy (%)": shown["acc"],
                    "accuracy std (points)": summary["acc_std"],
                    "f1_macro": shown["f1_macro"],
                    **({"hter": shown["hter"]} if summary["hter_mean"] is not None else {}),
                },
            )
        )
    if outcome.failed:
        raise typer.Exit(1)


def evaluate(
    run: Path = RunArg,
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
    analysis: bool = AnalysisOption,
    robustness: str = typer.Option(
        None,
        "--robustness",
        help="Also score under transforms, e.g. scale,flip,brightness,noise,rotation; writes "
        "robustness.csv and robustness.png in the run folder.",
    ),
    tta: str = typer.Option(
        None, "--tta", help="Also score with test-time augmentation: flips or hflip."
    ),
    equivariance: bool = typer.Option(
        False,
        "--equivariance",
        help="Also measure the scale-equivariance error Delta(s) per layer; writes "
        "equivariance.csv and equivariance.png in the run folder.",
    ),
    scales: str = typer.Option(
        None, "--scales", help="Scales for --equivariance (default 0.5,0.75,1.25,1.5,2)."
    ),
    max_images: int = typer.Option(
        None, "--max-images", min=1, help="--equivariance on a seeded sample of the test images."
    ),
) -> None:
    """Score a finished run's saved model again on its test split (or on --data)."""
    from sigbench.cli.equivariance_commands import equivariance_scales, show_equivariance
    from sigbench.cli.robustness_commands import show_robustness, show_tta
    from sigbench.data.transforms import parse_transforms
    from sigbench.errors import SigbenchError
    from sigbench.experiments.evaluate import analysis_dir, evaluate_run
    from sigbench.experiments.inputs import EvalData
    from sigbench.experiments.robustness import check_tta

    if data is not None and (robustness or tta or equivariance):
        raise SigbenchError(
            "--robustness, --tta and --equivariance use the run's own test split; drop --data"
        )
    if labels is not None and data is None:
        raise SigbenchError("--labels goes with --data (a label-file run's other test images)")
    test_data = None if data is None else EvalData(data, labels)
    if test_data is not None:
        test_data.check()
    if not equivariance and (scales is not None or max_images is not None):
        raise SigbenchError("--scales and --max-images belong to --equivariance; add it")
    factors = equivariance_scales(scales) if equivariance else []
    transforms = parse_transforms(robustness) if robustness else []  # checked before any work
    if tta:
        check_tta(tta)
    metrics = evaluate_run(run, test_data=test_data, progress=RichProgress(), analysis=analysis)
    console.print(key_value_table(f"eval {run}", metrics_summary(metrics)))
    if analysis:
        console.print(f"analysis pictures in {analysis_dir(run, test_data)}")
    if transforms:
        show_robustness(run, transforms)
    if tta:
        show_tta(run, tta)
    if equivariance:
        show_equivariance(run, factors, max_images)


def predict(
    run: Path = typer.Argument(
        ...,
        help="A finished run folder, or a file from `sigbench export` (.onnx, .pt, or a C "
        "export's folder).",
    ),
    inputs: list[Path] = typer.Argument(
        ...,
        help="Image files and folders: walked recursively, numbered images in numeric order; "
        "for a label-file run, a folder's images named by number only, as training read them.",
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write the predictions here instead of to standard output."
    ),
    fmt: str = typer.Option(
        "csv",
        "--format",
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

    if fmt not in ("csv", "labels"):
        raise SigbenchError(f"--format {fmt!r}: choose csv or labels")
    predictor = open_predictor(run)
    paths = list_inputs(inputs, numbered=predictor.numbered)
    report = PredictReport()
    answers = stream_predictions(predictor, paths, report, strict=strict, progress=RichProgress())
    save_predictions(
        answers, predictor.classes, out, fmt=fmt, proba=proba, multilabel=predictor.multilabel
    )
    if out is not None:
        rate = report.images / max(report.seconds, 1e-9)
        console.print(
            f"wrote {out}: {plural(report.images, 'image')} in {report.seconds:.1f} s "
            f"({rate:,.0f} images/s), {len(report.unreadable):,} unreadable"
        )


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command("eval")(evaluate)
    app.command()(predict)
