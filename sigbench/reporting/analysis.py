"""Error analysis of one run's test predictions: what it gets wrong, how sure it is when it
does, and, for two classes, where the decision threshold should sit.

Draw functions take labels and probabilities and a path, and write one PNG on matplotlib's
Agg canvas (no pyplot, so no global state). :func:`write_analysis` writes every picture of
an :class:`~sigbench.training.metrics.Evaluation` into one folder. The numbers drawn (FAR,
FRR, EER, calibration) come from :mod:`sigbench.training.metrics`.
"""

from __future__ import annotations

import csv
import io
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, StrMethodFormatter
from sklearn.metrics import confusion_matrix

from sigbench.data import ImageSet
from sigbench.reporting.figures import save_figure
from sigbench.training.metrics import (
    Evaluation,
    calibration_bins,
    equal_error_rate,
    error_curve,
    expected_calibration_error,
    has_both_classes,
    rates_at,
)

# Picture file -> caption, in reading order; ROC only for two classes.
FIGURES = {
    "confusion_matrix.png": "confusion matrix",
    "worst_mistakes.png": "most confident mistakes",
    "confidence.png": "confidence, correct vs wrong",
    "reliability.png": "reliability diagram",
    "roc.png": "ROC curve",
}
MISTAKES_FILE = "mistakes.csv"
GALLERY_SIZE = 16
CALIBRATION_BINS = 15


def worst_mistakes(labels: np.ndarray, proba: np.ndarray, count: int) -> np.ndarray:
    """Indices of the wrong predictions, most confident first (ties: lower index first)."""
    wrong = np.flatnonzero(proba.argmax(axis=1) != labels)
    confidence = proba[wrong].max(axis=1)
    return wrong[np.argsort(-confidence, kind="stable")][:count]


def _annotate_cells(ax: Axes, values: np.ndarray, text: list[list[str]], size: float) -> None:
    """Write each cell's text, white on dark cells, black on light ones."""
    top = values.max() if values.size and values.max() > 0 else 1
    for (row, column), value in np.ndenumerate(values):
        colour = "white" if value > top * 0.55 else "black"
        ax.text(
            column, row, text[row][column], ha="center", va="center", color=colour, fontsize=size
        )


def _legend_above(ax: Axes, columns: int) -> None:
    """A one-row legend between the title and the axes, where it never covers a bar."""
    ax.legend(
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=columns,
        fontsize="small",
        frameon=False,
    )


def draw_confusion(labels: np.ndarray, proba: np.ndarray, classes: list[str], path: Path) -> Path:
    """Counts and row-normalised rates (recall on the diagonal) side by side."""
    k = len(classes)
    counts = confusion_matrix(labels, proba.argmax(axis=1), labels=np.arange(k))
    totals = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    side = max(3.6, 0.48 * k + 1.6)
    figure = Figure(figsize=(2 * side + 0.6, side + 0.5), layout="constrained")
    fontsize = 9 if k <= 10 else max(5.0, 9 - (k - 10) * 0.4)
    panels = [
        (counts, [[str(v) for v in row] for row in counts], "counts"),
        (rates, [[f"{v:.2f}" for v in row] for row in rates], "share of each true class"),
    ]
    for ax, (values, text, title) in zip(figure.subplots(1, 2), panels, strict=True):
        ax.imshow(values, cmap="Blues", vmin=0)
        if k <= 25:
            _annotate_cells(ax, values, text, fontsize)
        tilted = k * max(map(len, classes)) > 30  # the names would not fit side by side
        ax.set_xticks(
            range(k),
            labels=classes,
            rotation=40 if tilted else 0,
            ha="right" if tilted else "center",
            rotation_mode="anchor",
            fontsize=fontsize,
        )
        ax.set_yticks(range(k), labels=classes, fontsize=fontsize)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_title(title)
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    figure.suptitle(f"Confusion matrix: accuracy {accuracy:.3f} on {counts.sum():,} test images")
    return save_figure(figure, path)


def mistake_title(true: str, predicted: str, confidence: float, width: int = 30) -> str:
    """ "coat not shirt (0.93)", wrapped onto two lines when the class names are long."""
    return "\n".join(textwrap.wrap(f"{true} not {predicted} ({confidence:.2f})", width))


def _short_name(name: str, width: int = 30) -> str:
    """The end of an image's path or name (where files differ), shortened to ``width``."""
    tail = "/".join(name.replace("\\", "/").split("/")[-2:])
    return tail if len(tail) <= width else "…" + tail[-(width - 1) :]


def draw_worst_mistakes(
    test: ImageSet, proba: np.ndarray, classes: list[str], path: Path, count: int = GALLERY_SIZE
) -> Path:
    """The ``count`` most confident wrong answers, each titled "true not predicted (conf)"."""
    chosen = worst_mistakes(test.labels, proba, count)
    wrong = int((proba.argmax(axis=1) != test.labels).sum())
    columns = min(4, max(len(chosen), 1))
    rows = max(1, -(-len(chosen) // columns))
    figure = Figure(figsize=(2.3 * columns + 0.4, 2.8 * rows + 0.5), layout="constrained")
    figure.suptitle(
        f"Most confident mistakes: {wrong:,} of {len(test.labels):,} test images wrong, "
        + ("all shown" if len(chosen) == wrong else f"the top {len(chosen)} shown")
    )
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    for ax, index in zip(axes, chosen, strict=False):
        image = test.images[index]
        if image.shape[-1] == 1:
            ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        else:
            ax.imshow(image, interpolation="nearest")
        predicted = int(proba[index].argmax())
        title = mistake_title(classes[test.labels[index]], classes[predicted], proba[index].max())
        ax.set_title(title, fontsize=9)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(_short_name(test.names[index]), fontsize=7, color="dimgray")
    if not len(chosen):
        axes[0].text(0.5, 0.5, "no misclassified test images", ha="center", va="center")
    return save_figure(figure, path)


def draw_confidence(labels: np.ndarray, proba: np.ndarray, path: Path) -> Path:
    """How sure the model is when right and when wrong: each group's share per bin."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    low = (
        min(np.floor(confidence.min() * 10) / 10, 0.5) if len(confidence) else 0.0
    )  # zoom in on the occupied range
    edges = np.linspace(low, 1.0, 21)
    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = figure.subplots()
    for group, name, colour in ((correct, "correct", "C2"), (~correct, "wrong", "C3")):
        values = confidence[group]
        if len(values):
            label = f"{name} (n={len(values):,}, mean {values.mean():.2f})"
            weights = np.full(len(values), 1 / len(values))
            ax.hist(
                values,
                bins=edges,
                weights=weights,
                histtype="stepfilled",
                alpha=0.35,
                color=colour,
                edgecolor=colour,
                linewidth=1.5,
                label=label,
            )
    ax.set_xlim(low, 1.0)
    ax.set_xlabel("confidence (highest class probability)")
    ax.set_ylabel("share of the group's test images")
    figure.suptitle("Confidence of correct and wrong predictions")
    ax.grid(alpha=0.3)
    _legend_above(ax, columns=2)
    return save_figure(figure, path)


def draw_reliability(
    labels: np.ndarray, proba: np.ndarray, path: Path, bins: int = CALIBRATION_BINS
) -> Path:
    """Accuracy against confidence per bin, the gap to the diagonal, and images per bin."""
    counts, accuracy, confidence = calibration_bins(labels, proba, bins)
    ece = expected_calibration_error(labels, proba, bins)
    edges = np.linspace(0.0, 1.0, bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, 1.0 / bins
    filled = counts > 0
    figure = Figure(figsize=(5.6, 6.0), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.bar(
        centres[filled],
        accuracy[filled],
        width=width,
        color="C0",
        alpha=0.75,
        edgecolor="black",
        linewidth=0.6,
        label="accuracy in bin",
    )
    top.hlines(
        confidence[filled],
        edges[:-1][filled],
        edges[1:][filled],
        color="C3",
        linewidth=2.5,
        label="mean confidence in bin",
    )
    top.plot([0, 1], [0, 1], ls="--", color="gray", label="perfect calibration")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    figure.suptitle(f"Reliability diagram: ECE = {ece:.3f} ({bins} bins)")
    _legend_above(top, columns=3)
    top.grid(alpha=0.3)
    bottom.bar(
        centres[filled], counts[filled], width=width, color="gray", edgecolor="black", linewidth=0.6
    )
    bottom.set_yscale("log")
    bottom.set_ylim(0.7, max(counts.max(), 10) * 1.6)
    bottom.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    bottom.yaxis.set_minor_formatter(NullFormatter())
    bottom.set_xlabel("confidence (highest class probability)")
    bottom.set_ylabel("test images")
    bottom.grid(alpha=0.3)
    return save_figure(figure, path)


def draw_roc(evaluation: Evaluation, threshold: float | None, path: Path) -> Path:
    """The test ROC curve (as FAR against 1 - FRR), its EER, and the operating points at 0.5
    and at the validation-chosen threshold."""
    labels, scores = evaluation.labels, evaluation.proba[:, 1]
    negative, positive = evaluation.classes
    curve = error_curve(labels, scores)
    eer = equal_error_rate(curve)
    figure = Figure(figsize=(5.6, 5.4), layout="constrained")
    ax = figure.subplots()
    ax.plot(curve.far[::-1], 1 - curve.frr[::-1], color="C0", label="test ROC")
    ax.plot([0, 1], [0, 1], ls=":", color="gray", label="chance")
    ax.plot([0, 1], [1, 0], ls="--", color="lightgray", lw=0.8)
    ax.plot([eer], [1 - eer], "o", color="black", label=f"EER {eer:.3f}")
    # The default is a hollow square drawn last, so it stays visible where the two coincide.
    square = {"marker": "s", "markersize": 12, "mfc": "none", "mew": 2, "color": "C1"}
    points = [(0.5, square, "threshold 0.5")]
    if threshold is not None:
        star = {"marker": "*", "markersize": 12, "color": "C3"}
        points.insert(0, (threshold, star, f"val-chosen threshold {threshold:.3f}"))
    for value, style, name in points:
        far, frr = rates_at(labels, scores, value)
        label = f"{name}: HTER {(far + frr) / 2:.3f}"
        ax.plot([far], [1 - frr], ls="none", label=label, **style)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel(f"FAR: {positive!r} given to {negative!r} images")
    ax.set_ylabel(f"1 - FRR: {positive!r} images accepted")
    ax.set_title(f"ROC on the test set (positive class {positive!r})")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return save_figure(figure, path)


def mistakes_csv(evaluation: Evaluation) -> str:
    """Every wrong test prediction, most confident first, with its file: the full gallery."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "true", "predicted", "confidence"])
    proba = evaluation.proba
    for index in worst_mistakes(evaluation.labels, proba, len(proba)):
        true, predicted = evaluation.labels[index], proba[index].argmax()
        row = [evaluation.test.names[index], evaluation.classes[true]]
        writer.writerow([*row, evaluation.classes[predicted], f"{proba[index].max():.4f}"])
    return buffer.getvalue()


def write_analysis(folder: Path, evaluation: Evaluation, threshold: float | None) -> list[Path]:
    """Every picture for ``evaluation`` (ROC for two classes) plus mistakes.csv, in ``folder``.

    ``threshold`` is the validation-chosen one to mark on the ROC, or ``None``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    labels, proba, classes = evaluation.labels, evaluation.proba, evaluation.classes
    files = [
        draw_confusion(labels, proba, classes, folder / "confusion_matrix.png"),
        draw_worst_mistakes(evaluation.test, proba, classes, folder / "worst_mistakes.png"),
        draw_confidence(labels, proba, folder / "confidence.png"),
        draw_reliability(labels, proba, folder / "reliability.png"),
    ]
    if evaluation.binary and has_both_classes(labels):
        files.append(draw_roc(evaluation, threshold, folder / "roc.png"))
    (folder / MISTAKES_FILE).write_text(mistakes_csv(evaluation))
    return [*files, folder / MISTAKES_FILE]
