"""What ``sigbench compare`` writes from its final runs: the per-model table (CSV, Markdown,
LaTeX), the paired tests of every model against the best one (``tests.md``), the accuracy-cost
frontier (``pareto.png`` / ``.pdf``) and a plain summary.

Only the final runs (the chosen config of each model, one run per seed) are read here: their
test scores are the comparison. Tests pair runs by seed, so both models were scored on the same
test images: with two or more common seeds a paired t-interval over seeds, with one seed
McNemar's exact test on the predictions (:func:`sigbench.reporting.claims.compare_settings`);
the p-values of the comparisons are Holm-corrected together. Latency and images/s are not the
runs' own figures but those of one interleaved timing of every model's timed run
(:mod:`sigbench.sweeps.compare_latency`), handed in with each :class:`ModelResult`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sigbench.errors import plural
from sigbench.reporting.claims import (
    ALPHA,
    compare_settings,
    describe_difference,
    score_run,
)
from sigbench.reporting.latex import frame_latex
from sigbench.reporting.tables import (
    INTERVAL_NOTE,
    cell,
    display_frame,
    point_row,
    run_row,
    score_text,
    summary_columns,
)
from sigbench.runs import rundir
from sigbench.training.statistics import Difference, holm_adjust

BETTER, WORSE = "better", "worse"
UNCLEAR = "not distinguishable at this sample size"
NO_PAIRS = "no paired runs"
TABLE_COLUMNS = [
    "model", "n_seeds", *summary_columns("acc"), *summary_columns("f1_macro"),
    *summary_columns("hter"), "params", "weights_kb", "flops", "latency_ms", "images_per_s",
    "train_time_min", "trials", "tuning_min", "val_score", "best_config", "run_ids",
]  # fmt: skip
# The two costs the frontier is drawn against: table column -> axis label.
COSTS = {"latency_ms": "latency per image (ms)", "params": "parameters"}


@dataclass(frozen=True)
class ModelResult:
    """One model of a comparison: its final runs (one per seed), its study's size and
    time, the chosen config's searched values with their validation score, and its speed
    from the comparison's interleaved timing (None until the models are timed)."""

    kind: str
    runs: list[Path]
    trials: int
    tuning_minutes: float
    best_values: dict[str, Any] = field(default_factory=dict)
    val_score: float | None = None
    latency_ms: float | None = None
    images_per_s: float | None = None

    @property
    def timed_run(self) -> Path | None:
        """The run the interleaved timing times: the first finished seed (the best trial's
        own run once it has finished); all seeds share the config, so one stands for all."""
        return next((run for run in self.runs if rundir.is_finished(run)), None)


@dataclass(frozen=True)
class Comparison:
    """``model`` minus ``best`` in test accuracy, its Holm-adjusted p-value and verdict."""

    model: str
    best: str
    difference: Difference | None
    p_holm: float | None
    verdict: str


def _config_text(values: dict[str, Any]) -> str:
    """``key=value; ...`` with floats to 4 significant digits (a learning rate, not noise)."""
    return "; ".join(
        f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in values.items()
    )


def model_table(models: list[ModelResult]) -> pd.DataFrame:
    """One row per model with finished final runs, best mean accuracy first."""
    rows = []
    for model in models:
        finished = [run for run in model.runs if rundir.is_finished(run)]
        if not finished:
            continue
        row = point_row([run_row(run, []) for run in finished])
        row.update(
            model=model.kind,
            latency_ms=model.latency_ms,
            images_per_s=model.images_per_s,
            trials=model.trials,
            tuning_min=round(model.tuning_minutes, 2),
            val_score=None if model.val_score is None else round(model.val_score, 4),
            best_config=_config_text(model.best_values),
        )
        rows.append(row)
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS, dtype=object)
    if frame["hter_mean"].isna().all():  # more than two classes
        frame = frame.drop(columns=summary_columns("hter"))
    return frame.sort_values("acc_mean", ascending=False, kind="stable").reset_index(drop=True)


def verdict(difference: Difference | None, p_holm: float | None) -> str:
    """Better or worse than the best model at the 5% level after Holm's correction."""
    if difference is None or p_holm is None or math.isnan(p_holm):
        return NO_PAIRS if difference is None else UNCLEAR
    if p_holm >= ALPHA or difference.mean == 0:
        return UNCLEAR
    return BETTER if difference.mean > 0 else WORSE


def paired_tests(models: list[ModelResult], best: str) -> list[Comparison]:
    """Every model against ``best``, paired by seed, Holm-corrected across the comparisons."""
    scores = {
        model.kind: [score_run(run) for run in model.runs if rundir.is_finished(run)]
        for model in models
    }
    others = [kind for kind in scores if kind != best and scores[kind]]
    differences = {kind: compare_settings(scores[kind], scores[best]) for kind in others}
    tested = [kind for kind, diff in differences.items() if _has_p(diff)]
    adjusted = dict(zip(tested, holm_adjust([differences[k].p_value for k in tested]), strict=True))
    return [
        Comparison(kind, best, differences[kind], adjusted.get(kind),
                   verdict(differences[kind], adjusted.get(kind)))
        for kind in others
    ]  # fmt: skip


def _has_p(difference: Difference | None) -> bool:
    return difference is not None and not math.isnan(difference.p_value)


def pareto_front(accuracy: list[float], cost: list[float]) -> list[bool]:
    """Which models no other beats on both: at least as accurate and at most as costly,
    strictly better in one."""
    points = list(zip(accuracy, cost, strict=True))
    return [
        not any(
            a >= acc and c <= price and (a > acc or c < price)
            for j, (a, c) in enumerate(points)
            if j != i
        )
        for i, (acc, price) in enumerate(points)
    ]


# --- files -----------------------------------------------------------------------------------


def markdown_table(frame: pd.DataFrame) -> str:
    shown = display_frame(frame)
    columns = list(shown.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.itertuples(False)]
    return "\n".join(lines) + "\n\n" + INTERVAL_NOTE + "\n"


LATENCY_NOTE = (
    "latency_ms and images_per_s come from one interleaved timing of every model's timed run "
    "(latency.json), not from each run's own timing."
)


# The columns of the LaTeX table (the CSV and Markdown tables hold every column).
LATEX_COLUMNS = [
    "model", "n_seeds", *summary_columns("acc"), *summary_columns("f1_macro"),
    *summary_columns("hter"), "params", "weights_kb", "latency_ms", "images_per_s",
    "train_time_min", "tuning_min",
]  # fmt: skip


def tests_markdown(comparisons: list[Comparison], metric: str) -> str:
    if not comparisons:
        return "# Paired tests\n\nOnly one model has finished runs: nothing to compare.\n"
    best = comparisons[0].best
    lines = [
        "# Paired tests against the best model",
        "",
        f"Each model's test accuracy minus `{best}`'s (the highest mean), paired by seed: a "
        "paired t-interval over the common seeds, or with one seed McNemar's exact test on the "
        f"predictions. p-values are Holm-corrected across the {len(comparisons)} comparisons; "
        f"a verdict needs p_holm < {ALPHA}. Every model was tuned on validation {metric} only.",
        "",
        "| model | difference (points) | p | p_holm | verdict |",
        "|---|---|---|---|---|",
    ]
    for comparison in comparisons:
        diff = comparison.difference
        p = "" if diff is None or math.isnan(diff.p_value) else f"{diff.p_value:.3g}"
        p_holm = "" if comparison.p_holm is None else f"{comparison.p_holm:.3g}"
        lines.append(
            f"| {comparison.model} | {describe_difference(diff)} | {p} | {p_holm} "
            f"| {comparison.verdict} |"
        )
    return "\n".join(lines) + "\n"


def measured_costs(frame: pd.DataFrame) -> dict[str, str]:
    """The costs every model has a figure for (latency only once all are timed)."""
    return {column: label for column, label in COSTS.items() if frame[column].notna().all()}


def plot_frontier(frame: pd.DataFrame, folder: Path) -> list[Path]:
    """Accuracy (with its 95% interval) against each cost, the non-dominated models joined;
    written as PNG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from sigbench.reporting.figures import save_figure

    costs = measured_costs(frame)
    figure, axes = plt.subplots(1, len(costs), figsize=(5.5 * len(costs), 4.2), squeeze=False)
    accuracy = [float(v) for v in frame["acc_mean"]]
    low = [a - float(v) for a, v in zip(accuracy, frame["acc_ci95_low"], strict=True)]
    high = [float(v) - a for a, v in zip(accuracy, frame["acc_ci95_high"], strict=True)]
    for axis, (column, label) in zip(axes[0], costs.items(), strict=True):
        cost = [float(v) for v in frame[column]]
        axis.errorbar(cost, accuracy, yerr=[low, high], fmt="o", capsize=3)
        for model, x, y in zip(frame["model"], cost, accuracy, strict=True):
            axis.annotate(model, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        front = sorted(
            (x, y) for x, y, on in zip(cost, accuracy, pareto_front(accuracy, cost), strict=True)
            if on
        )  # fmt: skip
        axis.plot([x for x, _ in front], [y for _, y in front], "--", color="tab:red",
                  label="not dominated")  # fmt: skip
        axis.set_xscale("log")
        axis.set_xlabel(label)
        axis.set_ylabel("test accuracy (%)")
        axis.legend(loc="lower right", fontsize=8)
    figure.suptitle("accuracy against cost (95% interval over seeds)")
    paths = [save_figure(figure, folder / f"pareto.{suffix}") for suffix in ("png", "pdf")]
    plt.close(figure)
    return paths


def summary_text(frame: pd.DataFrame, comparisons: list[Comparison], metric: str) -> str:
    """The comparison in one plain paragraph."""
    if frame.empty:
        return "No model has a finished final run yet."
    best = frame.iloc[0]
    seeds = int(best["n_seeds"])
    half = (float(best["acc_ci95_high"]) - float(best["acc_ci95_low"])) / 2
    text = [
        f"{plural(len(frame), 'model')} tuned on validation {metric} with the same trial "
        f"budget, each chosen config retrained at {plural(seeds, 'seed')}. "
        f"Best test accuracy: {best['model']}, {score_text('acc', float(best['acc_mean']))}% "
        f"(± {score_text('acc', half)}).",
    ]
    by_verdict: dict[str, list[str]] = {}
    for comparison in comparisons:
        by_verdict.setdefault(comparison.verdict, []).append(comparison.model)
    if by_verdict.get(UNCLEAR):
        text.append(f"Not distinguishable from it: {', '.join(by_verdict[UNCLEAR])}.")
    if by_verdict.get(WORSE):
        text.append(f"Worse after Holm's correction: {', '.join(by_verdict[WORSE])}.")
    if by_verdict.get(NO_PAIRS):
        text.append(f"Not tested (no paired runs): {', '.join(by_verdict[NO_PAIRS])}.")
    accuracy = [float(v) for v in frame["acc_mean"]]
    for column, label in measured_costs(frame).items():
        cost = [float(v) for v in frame[column]]
        front = [
            m for m, on in zip(frame["model"], pareto_front(accuracy, cost), strict=True) if on
        ]
        text.append(f"Not dominated in accuracy and {label.split(' (')[0]}: {', '.join(front)}.")
    return " ".join(text)


def write_compare_outputs(
    models: list[ModelResult], folder: Path, *, metric: str, caption: str
) -> tuple[pd.DataFrame, list[Path], str]:
    """Every output file of a comparison, each written atomically; the table, the files and
    the summary paragraph."""
    frame = model_table(models)
    files = [folder / "table.csv", folder / "table.md", folder / "table.tex", folder / "tests.md"]
    comparisons = paired_tests(models, str(frame.iloc[0]["model"])) if len(frame) else []
    rundir.write_text_atomic(files[0], frame.to_csv(index=False))
    rundir.write_text_atomic(
        files[1], f"# {caption}\n\n" + markdown_table(frame) + "\n" + LATENCY_NOTE + "\n"
    )
    printed = frame[[column for column in LATEX_COLUMNS if column in frame]]
    source = (
        "`sigbench compare` from the final runs of each model; latency and images/s from one "
        "interleaved timing (latency.json)"
    )
    rundir.write_text_atomic(files[2], frame_latex(printed, caption, folder.name, source))
    rundir.write_text_atomic(files[3], tests_markdown(comparisons, metric))
    if len(frame) and measured_costs(frame):
        files += plot_frontier(frame, folder)
    return frame, files, summary_text(frame, comparisons, metric)
