"""A finished run's exports, checked and timed on the run's own test split.

:mod:`sigbench.export` knows files and models, not data sets: this module loads the run's
test split as training did and computes the torch side (the run's own probabilities, its
inference pipeline) that :mod:`sigbench.export` compares and times against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sigbench.experiments.inputs import inference_pipeline, run_inputs, run_splits
from sigbench.export.bench import Timing, time_side_by_side
from sigbench.export.pipeline import (
    ExportResult,
    c_check_failure,
    check_export,
    export_kb,
    export_target,
    write_export,
)
from sigbench.progress import SILENT, Progress
from sigbench.runs.checkpoint import load_run
from sigbench.training.loop import predict_proba


def export_run(
    run: Path,
    fmt: str,
    *,
    quantize: str = "none",
    out: Path | None = None,
    progress: Progress = SILENT,
) -> ExportResult:
    """Export ``run`` as ``fmt`` (int8 if asked) to ``out`` or the run's ``export/`` folder,
    then check the file on the run's test images (a multi-label run's attribute by attribute)."""
    path = export_target(run, fmt, quantize, out)
    loaded = load_run(run)
    info, float_kb = write_export(loaded, fmt, quantize, path)
    test = run_splits(loaded, progress=progress).test
    multilabel = loaded.config.data.multilabel
    reference = predict_proba(loaded.model, run_inputs(loaded, test.images), multilabel=multilabel)
    check = check_export(path, test.images, test.labels, reference)
    failure = c_check_failure(check, quantize) if fmt == "c" else None
    return ExportResult(path, info, export_kb(path), float_kb, check, failure)


def bench_runs(
    runs: list[Path], *, threads: int = 1, progress: Progress = SILENT
) -> list[dict[str, Any]]:
    """:func:`time_runs`' rows: each run's torch model and exports, side by side."""
    return time_runs(runs, threads=threads, progress=progress).rows


def time_runs(
    runs: list[Path],
    *,
    threads: int = 1,
    exports: bool = True,
    description: str = "timing",
    progress: Progress = SILENT,
) -> Timing:
    """:func:`sigbench.export.bench.time_side_by_side` of the runs, each on its test split
    through its own inference pipeline."""
    subjects = []
    for run in runs:
        loaded = load_run(run)
        test = run_splits(loaded, progress=progress).test
        subjects.append((loaded, test, inference_pipeline(loaded.config, loaded.model)))
    return time_side_by_side(
        subjects, threads=threads, exports=exports, description=description, progress=progress
    )
