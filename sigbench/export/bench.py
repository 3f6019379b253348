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
:func:`time_side_by_side` also keeps each round's figures and the load before and after
(``compare`` writes them beside its table).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
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
FIGURES = ("file", "model", "batch")  # from a file; decoded, model alone; a batch on threads

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


def _variants(loaded: LoadedRun, pipeline: Predict, threads: int, exports: bool) -> list[Variant]:
    weights_kb = serialized_kb(loaded.model.state_dict())
    variants = [Variant("torch", pipeline, pipeline, weights_kb)]
    for path in run_exports(loaded.path) if exports else []:
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
    rounds: list[list[dict[str, list[float]]]]  # per variant, per round: figure -> call times

    def samples(self, variant: int, figure: str) -> list[float]:
        """Every round's call times of one figure of one variant."""
        return [t for round_ in self.rounds[variant] for t in round_[figure]]


def _sample(
    variant: Variant, subject: _Subject, threads: int, share: float
) -> dict[str, list[float]]:
    """``share`` of each figure's samples for ``variant``: one round's call times."""
    size, channels = subject.loaded.config.data.height_width, subject.loaded.channels
    repeats, budget = max(3, round(LATENCY_REPEATS * share)), BUDGET_S * share
    files, images = cycle(subject.files), cycle(subject.images)
    with torch_threads(1):
        from_file = call_seconds(
            lambda: variant.single(decode_image(next(files), size, channels)[0][None]),
            repeats,
            budget,
        )
        model = call_seconds(lambda: variant.single(next(images)[None]), repeats, budget)
    with torch_threads(threads):
        batches = max(1, round(THROUGHPUT_REPEATS * share))
        batch = call_seconds(lambda: variant.batched(subject.batch), batches, budget)
    return dict(zip(FIGURES, (from_file, model, batch), strict=True))


def _subject(
    loaded: LoadedRun,
    test: ImageSet,
    pipeline: Predict,
    files: list[Path],
    threads: int,
    exports: bool,
) -> _Subject:
    """A run ready to time, its decoding already timed."""
    size, channels = loaded.config.data.height_width, loaded.channels
    decode = cycle(files)
    with torch_threads(1):
        decode_times = call_seconds(
            lambda: decode_image(next(decode), size, channels), LATENCY_REPEATS, BUDGET_S
        )
    variants = _variants(loaded, pipeline, threads, exports)
    return _Subject(
        loaded,
        files,
        test.images[:FILES],
        test.images[np.arange(BATCH) % len(test.images)],
        variants,
        decode_times,
        [[] for _ in variants],
    )


def _ms(times: list[float], q: float) -> float:
    return round(1000 * _percentile(times, q), 3)


def _per_s(batch_times: list[float]) -> float:
    return round(BATCH / statistics.median(batch_times), 1)


def _run_id(subject: _Subject) -> str:
    return Path(subject.loaded.path).resolve().name


def _rows(subject: _Subject, threads: int) -> list[dict[str, Any]]:
    loaded = subject.loaded
    return [
        {
            "run_id": _run_id(subject),
            "model": loaded.config.model.kind,
            "image_size": size_text(loaded.config.data.image_size),
            "variant": variant.name,
            "file_kb": round(variant.file_kb, 1),
            "decode_ms": round(1000 * statistics.median(subject.decode), 3),
            "latency_p50_ms": _ms(subject.samples(i, "file"), 50),
            "latency_p95_ms": _ms(subject.samples(i, "file"), 95),
            "model_p50_ms": _ms(subject.samples(i, "model"), 50),
            "model_p95_ms": _ms(subject.samples(i, "model"), 95),
            "images_per_s": _per_s(subject.samples(i, "batch")),
            "threads": threads,
            "load_1m": round(os.getloadavg()[0], 2),
        }
        for i, variant in enumerate(subject.variants)
    ]


def _round_rows(subject: _Subject) -> list[dict[str, Any]]:
    """Each round's medians (and call counts) of each variant: how the figures moved."""
    return [
        {
            "run_id": _run_id(subject),
            "variant": variant.name,
            "round": number,
            "latency_p50_ms": _ms(samples["file"], 50),
            "model_p50_ms": _ms(samples["model"], 50),
            "images_per_s": _per_s(samples["batch"]),
            "calls": {figure: len(samples[figure]) for figure in FIGURES},
        }
        for variant, rounds in zip(subject.variants, subject.rounds, strict=True)
        for number, samples in enumerate(rounds, start=1)
    ]


@dataclass(frozen=True)
class Timing:
    """One interleaved timing: a row per variant of each run (the module doc's columns),
    each round's figures, the threads of the batch figure and the machine's 1, 5 and 15
    minute load averages before and after."""

    rows: list[dict[str, Any]]
    rounds: list[dict[str, Any]]
    threads: int
    load_before: tuple[float, ...]
    load_after: tuple[float, ...]
    seconds: float


def _load() -> tuple[float, ...]:
    return tuple(round(value, 2) for value in os.getloadavg())


@torch.inference_mode()
def time_side_by_side(
    runs: list[tuple[LoadedRun, ImageSet, Predict]],
    *,
    threads: int = 1,
    exports: bool = True,
    description: str = "timing",
    progress: Progress = SILENT,
) -> Timing:
    """Every variant of each run (the torch model, and its exports unless ``exports`` is
    False) timed in :data:`ROUNDS` interleaved rounds; each run comes with its ``test`` split
    and its own torch inference path (uint8 images in)."""
    with ExitStack() as stack:
        subjects = [
            _subject(
                loaded,
                test,
                pipeline,
                stack.enter_context(sample_files(test.names, test.images)),
                threads,
                exports,
            )
            for loaded, test, pipeline in runs
        ]
        load_before, started = _load(), time.perf_counter()
        with progress.task(description, total=ROUNDS * len(subjects)) as task:
            for _ in range(ROUNDS):
                for subject in subjects:
                    for variant, rounds in zip(subject.variants, subject.rounds, strict=True):
                        rounds.append(_sample(variant, subject, threads, 1 / ROUNDS))
                    task.advance(1)
        seconds, load_after = time.perf_counter() - started, _load()
        return Timing(
            [row for subject in subjects for row in _rows(subject, threads)],
            [row for subject in subjects for row in _round_rows(subject)],
            threads,
            load_before,
            load_after,
            round(seconds, 2),
        )


def default_table_path(run: Path) -> Path:
    """``<results>/tables/inference.csv`` for a run at ``<results>/runs/<run-id>``."""
    return rundir.tables_dir(Path(run).resolve().parent.parent) / INFERENCE_CSV


def write_table(rows: list[dict[str, Any]], path: Path) -> Path:
    rundir.write_text_atomic(path, pd.DataFrame(rows).to_csv(index=False))
    return path
