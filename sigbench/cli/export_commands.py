"""``export`` and ``bench inference``: a run as one deployable file, and what it costs."""

from __future__ import annotations

from pathlib import Path

import typer

from sigbench.cli.options import EXAMPLE_RUN, RunFolder, choice_enum, examples, parse_choice
from sigbench.cli.output import RichProgress, console, key_value_table, records_table
from sigbench.errors import percent
from sigbench.options import EXPORT_FORMATS, QUANTIZATIONS

SHOWN = (
    "model", "variant", "file_kb", "decode_ms", "latency_p50_ms", "latency_p95_ms",
    "model_p50_ms", "model_p95_ms", "images_per_s", "load_1m",
)  # fmt: skip
ExportFormat = choice_enum("ExportFormat", EXPORT_FORMATS)
Quantization = choice_enum("Quantization", QUANTIZATIONS)
bench_app = typer.Typer(help="Benchmarks of finished runs.", no_args_is_help=True)


def export(
    run: RunFolder,
    fmt: ExportFormat = typer.Option(
        "onnx",
        "--format",
        "-f",
        parser=parse_choice(ExportFormat),
        help="onnx, torchscript or c (ImageSig-FC as model.h/model.c).",
    ),
    quantize: Quantization = typer.Option(
        "none", "--quantize", "-q", parser=parse_choice(Quantization), help="none or int8."
    ),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="File to write (for c: a folder); default: RUN/export/model.onnx, "
        "RUN/export/model.torchscript.pt or RUN/export/c/ (model-int8.onnx, ..., c-int8/ with "
        "--quantize int8).",
    ),
) -> None:
    """Write the run as one file that maps uint8 (N, H, W, C) pixels to class probabilities
    (a multi-label run's: one probability per attribute), then check it against the torch
    model on the run's test images. A C export is compiled
    with the system C compiler for the check, which it must pass: float gives the same class
    on every test image within 1e-5 in probability, int8 the same class on 99%."""
    from sigbench.config import size_text
    from sigbench.experiments.exports import export_run

    fmt, quantize = fmt.value, quantize.value
    result = export_run(run, fmt, quantize=quantize, out=out, progress=RichProgress())
    check, info = result.check, result.info
    scored = "mean accuracy" if info.multilabel else "accuracy"
    rows = {
        "file": str(result.path),
        "file_kb": f"{result.file_kb:,.1f}",
        "input": f"{info.input}; {size_text(info.image_size)}x{info.channels}",
        "output": info.output,
        "attributes" if info.multilabel else "classes": ", ".join(info.classes),
        "test images": check.n,
        "max |p_export - p_torch|": f"{check.max_prob_diff:.2e}",
    }
    if check.attribute_max_diff is not None:
        each = zip(info.classes, check.attribute_max_diff, strict=True)
        rows["per attribute"] = ", ".join(f"{name} {diff:.2e}" for name, diff in each)
    agreement = "same attribute decisions" if info.multilabel else "same prediction"
    rows[f"{agreement} (%)"] = percent(check.agreement)
    rows[f"{scored} (export, %)"] = percent(check.accuracy)
    rows[f"{scored} (torch, %)"] = percent(check.torch_accuracy)
    if result.float_kb is not None:
        rows["float file_kb"] = f"{result.float_kb:,.1f}"
        rows["size ratio"] = f"{result.file_kb / result.float_kb:.2f}"
    if quantize == "int8":
        change = check.accuracy - check.torch_accuracy
        rows["accuracy change (points)"] = percent(change, signed=True)
    if fmt == "c":
        rows["check"] = f"FAILED: {result.failure}" if result.failure else "passed"
    console.print(key_value_table(f"export {run} ({result.info.format}, {quantize})", rows))
    if result.failure:
        raise typer.Exit(1)


def inference(
    runs: list[Path] = typer.Argument(..., metavar="RUNS", help="Finished run folders."),
    threads: int = typer.Option(1, "--threads", min=1, help="Threads for the batch figure."),
    out: Path = typer.Option(
        None,
        "--out",
        "-o",
        help="CSV to write; default: tables/inference.csv in the results folder that holds the "
        "first of RUNS (RESULTS/runs/<run-id>).",
    ),
) -> None:
    """Latency (one image on one thread, p50/p95: from its file, and from decoded pixels
    through the model alone) and batch throughput of each run's torch model and of every
    export in its export/ folder, all timed side by side."""
    from sigbench.experiments.exports import bench_runs
    from sigbench.export.bench import default_table_path, write_table

    rows = bench_runs(runs, threads=threads, progress=RichProgress())
    path = write_table(rows, out or default_table_path(runs[0]))
    shown = [{k: _cell(k, v) for k, v in row.items() if k in SHOWN} for row in rows]
    title = (
        "inference: ms per image on 1 thread (latency_: from the file, model_: from decoded "
        f"pixels); images/s at batch 256 on {threads}"
    )
    console.print(records_table(title, shown))
    console.print(f"wrote {path}")


def _cell(key: str, value: object) -> object:
    """Milliseconds to the microsecond, sizes and rates to one decimal."""
    if not isinstance(value, float):
        return value
    return f"{value:.3f}" if key.endswith("_ms") else f"{value:,.1f}"


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples(
            f"sigbench export {EXAMPLE_RUN}   # RUN/export/model.onnx",
            f"sigbench export {EXAMPLE_RUN} --format c --quantize int8   # RUN/export/c-int8/",
        )
    )(export)
    bench_app.command(
        epilog=examples(
            f"sigbench bench inference {EXAMPLE_RUN} results/runs/demo-5f6e7d8c9b --threads 2",
        )
    )(inference)
    app.add_typer(bench_app, name="bench")
