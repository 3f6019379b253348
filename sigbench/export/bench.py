"""``sigbench bench inference``: what one image costs from file to class, per model variant.

For each run, the torch model (the run's own pipeline: its signature backend and head, or
its baseline) and every export found in the run's ``export/`` folder are timed the same way:

- ``latency_p50_ms`` / ``latency_p95_ms``: one image end to end on one thread: decode the
  file, resize, then the model (signature and head, or the CNN). The files are the run's
  test files, or its test images written as PNG when the data set is built in.
- ``decode_ms``: the decode-and-resize part of that (the median), the same for every
  variant.
- ``file_kb``: the export's file, or the torch model's weights (``torch.save`` of them).
- ``images_per_s``: batches of :data:`BATCH` decoded images through the model alone, on
  ``threads`` threads (decoding is left to a loader pool in a deployment).
- ``load_1m``: the machine's one-minute load average when the variant was timed: on a
  shared machine, compare rows taken at similar load.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

from sigbench.data import ImageSet
from sigbench.data.decode import decode_image
from sigbench.export.pipeline import run_exports
from sigbench.export.runtime import load_exported
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.checkpoint import LoadedRun
from sigbench.training.costs import call_seconds, serialized_kb, torch_threads

INFERENCE_CSV = "inference.csv"
BATCH = 256
FILES = 64  # distinct files cycled through for the latency figures
LATENCY_REPEATS = 300
THROUGHPUT_REPEATS = 10
BUDGET_S = 5.0  # per figure

Predict = Callable[[np.ndarray], object]


@dataclass
class Variant:
    """A model to time: ``single`` runs on one thread, ``batched`` on the chosen threads (an
    onnxruntime session fixes its threads when made, so exports get two sessions)."""

    name: str
    single: Predict
    batched: Predict
    file_kb: float


def variant_name(path: Path) -> str:
    """``onnx``, ``onnx-int8``, ``torchscript`` or ``torchscript-int8`` for an export file."""
    fmt = "onnx" if path.suffix == ".onnx" else "torchscript"
    return f"{fmt}-int8" if "int8" in path.name else fmt


@contextmanager
def sample_files(run_names: list[str], images: np.ndarray) -> Iterator[list[Path]]:
    """Up to :data:`FILES` test image files: the real ones, or PNGs of built-in images."""
    real = [Path(name) for name in run_names[:FILES] if Path(name).is_file()]
    if len(real) == min(FILES, len(run_names)):
        yield real
        return
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for i, pixels in enumerate(images[:FILES]):
            path = Path(scratch) / f"{i}.png"
            Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)
            paths.append(path)
        yield paths


def _variants(loaded: LoadedRun, pipeline: Predict, threads: int) -> list[Variant]:
    weights_kb = serialized_kb(loaded.model.state_dict())
    variants = [Variant("torch", pipeline, pipeline, weights_kb)]
    for path in run_exports(loaded.path):
        single = load_exported(path, threads=1).predict_proba
        batched = single if threads == 1 else load_exported(path, threads).predict_proba
        variants.append(Variant(variant_name(path), single, batched, path.stat().st_size / 1024))
    return variants


def _percentile(times: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(times), q))


def _seconds(
    variant: Variant, files: list[Path], size: int, channels: int, batch: np.ndarray, threads: int
) -> tuple[list[float], list[float]]:
    """End-to-end one-image times on one thread, and batch times on ``threads``."""
    one = cycle(files)
    with torch_threads(1):
        latency = call_seconds(
            lambda: variant.single(decode_image(next(one), size, channels)[0][None]),
            LATENCY_REPEATS,
            BUDGET_S,
        )
    with torch_threads(threads):
        per_batch = call_seconds(lambda: variant.batched(batch), THROUGHPUT_REPEATS, BUDGET_S)
    return latency, per_batch


@torch.inference_mode()
def bench_run(
    loaded: LoadedRun,
    test: ImageSet,
    pipeline: Predict,
    *,
    threads: int = 1,
    progress: Progress = SILENT,
) -> list[dict[str, Any]]:
    """One row per variant of a run (see the module doc for the columns), timed on its
    ``test`` split; ``pipeline`` is the run's own torch inference path (uint8 images in)."""
    run = loaded.path
    size, channels = loaded.config.data.image_size, loaded.channels
    batch = test.images[np.arange(BATCH) % len(test.images)]
    rows = []
    with sample_files(test.names, test.images) as files:
        decode = cycle(files)
        with torch_threads(1):
            decode_times = call_seconds(
                lambda: decode_image(next(decode), size, channels), LATENCY_REPEATS, BUDGET_S
            )
        variants = _variants(loaded, pipeline, threads)
        with progress.task(f"timing {Path(run).name}", total=len(variants)) as task:
            for variant in variants:
                latency, per_batch = _seconds(variant, files, size, channels, batch, threads)
                rows.append(
                    {
                        "run_id": Path(run).resolve().name,
                        "model": loaded.config.model.kind,
                        "image_size": size,
                        "variant": variant.name,
                        "file_kb": round(variant.file_kb, 1),
                        "decode_ms": round(1000 * statistics.median(decode_times), 3),
                        "latency_p50_ms": round(1000 * _percentile(latency, 50), 3),
                        "latency_p95_ms": round(1000 * _percentile(latency, 95), 3),
                        "images_per_s": round(BATCH / statistics.median(per_batch), 1),
                        "threads": threads,
                        "load_1m": round(os.getloadavg()[0], 2),
                    }
                )
                task.advance(1)
    return rows


def default_table_path(run: Path) -> Path:
    """``<results>/tables/inference.csv`` for a run at ``<results>/runs/<run-id>``."""
    return rundir.tables_dir(Path(run).resolve().parent.parent) / INFERENCE_CSV


def write_table(rows: list[dict[str, Any]], path: Path) -> Path:
    rundir.write_text_atomic(path, pd.DataFrame(rows).to_csv(index=False))
    return path
