"""``sigbench bench inference``: what one image costs, from its file and from decoded pixels.

For each run, the torch model (the run's own pipeline: its signature backend and head, or
its baseline) and every export found in the run's ``export/`` folder are timed the same way:

- ``latency_p50_ms`` / ``latency_p95_ms``: one image from its file on one thread: decode,
  resize, then the model (signature and head, or the CNN). The files are the run's test
  files, or its test images written as PNG when the data set is built in.
- ``model_p50_ms`` / ``model_p95_ms``: one already decoded uint8 image through the model
  alone on one thread: what the model itself costs.
- ``decode_ms``: the decode-and-resize part (the median), the same for every variant.
- ``file_kb``: the export's file (for C, the shared library compiled from it), or the torch
  model's weights (``torch.save`` of them).
- ``images_per_s``: batches of :data:`BATCH` decoded images through the model alone, on
  ``threads`` threads (decoding is left to a loader pool in a deployment).
- ``load_1m``: the machine's one-minute load average at the end of the timing.

All variants of all the runs given are timed in :data:`ROUNDS` interleaved rounds, each
taking its share of every figure's samples, so that load from other processes on a shared
machine falls on all of them alike and the rows of one command can be compared.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from PIL import Image

from sigbench.config import size_text
from sigbench.data import ImageSet
from sigbench.data.decode import decode_image
from sigbench.export.pipeline import run_exports
from sigbench.export.runtime import ExportedModel, load_exported
from sigbench.progress import SILENT, Progress
from sigbench.runs import rundir
from sigbench.runs.checkpoint import LoadedRun
from sigbench.training.costs import call_seconds, serialized_kb, torch_threads

INFERENCE_CSV = "inference.csv"
BATCH = 256
FILES = 64  # distinct files cycled through for the latency figures
LATENCY_REPEATS = 300
THROUGHPUT_REPEATS = 10
BUDGET_S = 5.0  # per figure and variant, spread over the rounds
ROUNDS = 5

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
    """``onnx``, ``torchscript`` or ``c`` (a C export's folder), ``-int8`` appended for int8."""
    fmt = "c" if path.is_dir() else "onnx" if path.suffix == ".onnx" else "torchscript"
    return f"{fmt}-int8" if "int8" in path.name else fmt


def _file_kb(model: ExportedModel) -> float:
    """The export's bytes; for C the compiled library's (its sources are text)."""
    return getattr(model, "library", model.path).stat().st_size / 1024


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
        model = load_exported(path, threads=1)
        single = model.predict_proba  # the C file runs on one thread either way
        batched = single if threads == 1 else load_exported(path, threads).predict_proba
        variants.append(Variant(variant_name(path), single, batched, _file_kb(model)))
    return variants


def _percentile(times: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(times), q))


@dataclass
class _Subject:
    """One run being timed: its variants, files, decoded images and the samples so far."""

    loaded: LoadedRun
    files: list[Path]
    images: np.ndarray  # decoded test images, cycled through for the model-alone figures
    batch: np.ndarray
    variants: list[Variant]
    decode: list[float]
    samples: list[dict[str, list[float]]]


def _sample(
    variant: Variant, subject: _Subject, samples: dict[str, list[float]], threads: int, share: float
) -> None:
    """``share`` of each figure's samples for ``variant``."""
    size, channels = subject.loaded.config.data.height_width, subject.loaded.channels
    repeats, budget = max(3, round(LATENCY_REPEATS * share)), BUDGET_S * share
    files, images = cycle(subject.files), cycle(subject.images)
    with torch_threads(1):
        samples["file"] += call_seconds(
            lambda: variant.single(decode_image(next(files), size, channels)[0][None]),
            repeats,
            budget,
        )
        samples["model"] += call_seconds(
            lambda: variant.single(next(images)[None]), repeats, budget
        )
    with torch_threads(threads):
        batches = max(1, round(THROUGHPUT_REPEATS * share))
        samples["batch"] += call_seconds(lambda: variant.batched(subject.batch), batches, budget)


def _subject(
    loaded: LoadedRun, test: ImageSet, pipeline: Predict, files: list[Path], threads: int
) -> _Subject:
    """A run ready to time, its decoding already timed."""
    size, channels = loaded.config.data.height_width, loaded.channels
    decode = cycle(files)
    with torch_threads(1):
        decode_times = call_seconds(
            lambda: decode_image(next(decode), size, channels), LATENCY_REPEATS, BUDGET_S
        )
    variants = _variants(loaded, pipeline, threads)
    return _Subject(
        loaded,
        files,
        test.images[:FILES],
        test.images[np.arange(BATCH) % len(test.images)],
        variants,
        decode_times,
        [{"file": [], "model": [], "batch": []} for _ in variants],
    )


def _rows(subject: _Subject, threads: int) -> list[dict[str, Any]]:
    loaded = subject.loaded
    ms = lambda times, q: round(1000 * _percentile(times, q), 3)  # noqa: E731
    return [
        {
            "run_id": Path(loaded.path).resolve().name,
            "model": loaded.config.model.kind,
            "image_size": size_text(loaded.config.data.image_size),
            "variant": variant.name,
            "file_kb": round(variant.file_kb, 1),
            "decode_ms": round(1000 * statistics.median(subject.decode), 3),
            "latency_p50_ms": ms(samples["file"], 50),
            "latency_p95_ms": ms(samples["file"], 95),
            "model_p50_ms": ms(samples["model"], 50),
            "model_p95_ms": ms(samples["model"], 95),
            "images_per_s": round(BATCH / statistics.median(samples["batch"]), 1),
            "threads": threads,
            "load_1m": round(os.getloadavg()[0], 2),
        }
        for variant, samples in zip(subject.variants, subject.samples, strict=True)
    ]


@torch.inference_mode()
def bench_many(
    runs: list[tuple[LoadedRun, ImageSet, Predict]],
    *,
    threads: int = 1,
    progress: Progress = SILENT,
) -> list[dict[str, Any]]:
    """One row per variant of each run (see the module doc for the columns), all variants
    timed in interleaved rounds; each run comes with its ``test`` split and its own torch
    inference path (uint8 images in)."""
    with ExitStack() as stack:
        subjects = [
            _subject(
                loaded,
                test,
                pipeline,
                stack.enter_context(sample_files(test.names, test.images)),
                threads,
            )
            for loaded, test, pipeline in runs
        ]
        with progress.task("timing", total=ROUNDS * len(subjects)) as task:
            for _ in range(ROUNDS):
                for subject in subjects:
                    for variant, samples in zip(subject.variants, subject.samples, strict=True):
                        _sample(variant, subject, samples, threads, 1 / ROUNDS)
                    task.advance(1)
        return [row for subject in subjects for row in _rows(subject, threads)]


def bench_run(
    loaded: LoadedRun,
    test: ImageSet,
    pipeline: Predict,
    *,
    threads: int = 1,
    progress: Progress = SILENT,
) -> list[dict[str, Any]]:
    """:func:`bench_many` for one run."""
    return bench_many([(loaded, test, pipeline)], threads=threads, progress=progress)


def default_table_path(run: Path) -> Path:
    """``<results>/tables/inference.csv`` for a run at ``<results>/runs/<run-id>``."""
    return rundir.tables_dir(Path(run).resolve().parent.parent) / INFERENCE_CSV


def write_table(rows: list[dict[str, Any]], path: Path) -> Path:
    rundir.write_text_atomic(path, pd.DataFrame(rows).to_csv(index=False))
    return path
