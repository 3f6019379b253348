"""``sigbench predict``: label image files and whole folders with a run's model or an export.

Predictions stream: a batch of files is decoded, scored and handed on before the next is
read, so memory stays flat however many images there are (100,000 for the HTER hand-in).
A file that does not decode is reported, not fatal: it gets an empty answer in its place,
so answers stay aligned with the inputs, and one warning counts them at the end (or, with
``strict``, the first one stops the run). An exported ``.onnx`` file is scored without
importing torch at all (seconds of start-up and most of the process's memory).
"""

from __future__ import annotations

import csv
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from sigbench.data.decode import decode_files
from sigbench.errors import plural
from sigbench.export.c_build import is_c_export
from sigbench.export.runtime import EXPORT_SUFFIXES, load_exported
from sigbench.progress import SILENT, Progress
from sigbench.runs.rundir import write_file_atomic
from sigbench.training.multilabel import attribute_answer

log = logging.getLogger(__name__)

BATCH = 512
LABELFILE = "labelfile"  # the source whose folders hold numbered images
STRICT_HINT = " (--strict is set; drop it to skip unreadable files)"
MAX_NAMED = 3


@dataclass
class Predictor:
    """What predicting needs from a run folder or an exported file."""

    classes: list[str]  # a multi-label run's attributes
    size: tuple[int, int]  # (height, width) images are resized to
    channels: int
    proba: Callable[[np.ndarray], np.ndarray]  # uint8 (N, H, W, C) -> (N, K)
    multilabel: bool = False  # proba holds each attribute's own probability
    numbered: bool = False  # a label-file run: a folder's images are its numbered ones


@dataclass
class Answer:
    """One input file's prediction; ``proba`` is None when the file could not be read."""

    path: Path
    proba: np.ndarray | None


@dataclass
class PredictReport:
    images: int = 0
    unreadable: list[str] = field(default_factory=list)
    seconds: float = 0.0


def open_predictor(model: Path) -> Predictor:
    """A run folder's checkpoint, or a file written by ``sigbench export``."""
    model = Path(model)
    exported_file = model.is_file() or is_c_export(model)
    if exported_file or (not model.exists() and model.suffix.lower() in EXPORT_SUFFIXES):
        exported = load_exported(model)  # a missing export is "no such file"
        info = exported.info
        return Predictor(
            info.classes,
            info.height_width,
            info.channels,
            exported.predict_proba,
            multilabel=info.multilabel,
            numbered=info.source == LABELFILE,
        )
    return _run_predictor(model)


def _run_predictor(model: Path) -> Predictor:
    """A run folder's own torch pipeline, on the run's device (torch and the models load
    here, not for exports)."""
    import torch

    from sigbench.experiments.inputs import inference_pipeline
    from sigbench.runs.checkpoint import load_run
    from sigbench.training.loop import probabilities

    loaded = load_run(model)
    pipeline = inference_pipeline(loaded.config, loaded.model, loaded.device)
    multilabel = loaded.config.data.multilabel

    def proba(images: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return probabilities(pipeline(images), multilabel).cpu().numpy()

    size = loaded.config.data.height_width
    numbered = loaded.config.data.source == LABELFILE
    return Predictor(loaded.classes, size, loaded.channels, proba, multilabel, numbered)


def stream_predictions(
    predictor: Predictor,
    paths: Sequence[Path],
    report: PredictReport,
    *,
    strict: bool = False,
    batch: int = BATCH,
    progress: Progress = SILENT,
) -> Iterator[Answer]:
    """An :class:`Answer` per path, in order, ``batch`` files decoded and scored at a time."""
    start = time.perf_counter()
    with progress.task("predicting", total=len(paths)) as task:
        for first in range(0, len(paths), batch):
            chunk = list(paths[first : first + batch])
            fetched = decode_files(
                chunk, predictor.size, predictor.channels, strict=strict, strict_hint=STRICT_HINT
            )
            kept_images = fetched.images[fetched.kept]
            scores = iter(predictor.proba(kept_images) if len(kept_images) else [])
            for path, kept in zip(chunk, fetched.kept, strict=True):
                yield Answer(path, next(scores) if kept else None)
            report.unreadable.extend(fetched.skipped)
            report.images += len(chunk)
            task.advance(len(chunk))
            rate = report.images / max(time.perf_counter() - start, 1e-9)
            task.update(description=f"predicting ({rate:,.0f} images/s)")
    report.seconds = time.perf_counter() - start
    if report.unreadable:
        log.warning(
            "%d of %s could not be read as images and have no prediction (first: %s); "
            "use --strict to stop at the first one instead",
            len(report.unreadable),
            plural(report.images, "file"),
            ", ".join(report.unreadable[:MAX_NAMED]),
        )


def answer_fields(answer: Answer, classes: list[str], multilabel: bool) -> tuple[str, str]:
    """(label, probability) as written: the most likely class, or two blanks if unreadable;
    for a multi-label run the attributes above threshold (:func:`attribute_answer`)."""
    if answer.proba is None:
        return "", ""
    if multilabel:
        label, probability = attribute_answer(answer.proba, classes)
        return label, f"{probability:.6f}"
    best = int(answer.proba.argmax())
    return classes[best], f"{answer.proba[best]:.6f}"


def write_predictions(
    answers: Iterator[Answer],
    classes: list[str],
    out: TextIO,
    *,
    fmt: str,
    proba: bool,
    multilabel: bool = False,
) -> None:
    """``csv``: ``path,label,probability`` (plus a column per class with ``proba``);
    ``labels``: one label per line in input order, the HTER task's hand-in format.
    ``multilabel``: the label is the attributes present, the columns one per attribute."""
    if fmt == "labels":
        for answer in answers:
            out.write(answer_fields(answer, classes, multilabel)[0] + "\n")
        return
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "label", "probability", *(classes if proba else [])])
    for answer in answers:
        row = [str(answer.path), *answer_fields(answer, classes, multilabel)]
        if proba:
            values = answer.proba if answer.proba is not None else [None] * len(classes)
            row += ["" if v is None else f"{v:.6f}" for v in values]
        writer.writerow(row)


def save_predictions(
    answers: Iterator[Answer],
    classes: list[str],
    out: Path | None,
    *,
    fmt: str,
    proba: bool,
    multilabel: bool = False,
) -> None:
    """Write to ``out`` (renamed into place when complete, so a half file never lies
    there), or to standard output."""
    if out is None:
        write_predictions(answers, classes, sys.stdout, fmt=fmt, proba=proba, multilabel=multilabel)
        return

    def write(temporary: Path) -> None:
        with temporary.open("w", newline="") as stream:
            write_predictions(answers, classes, stream, fmt=fmt, proba=proba, multilabel=multilabel)

    write_file_atomic(Path(out), write)
