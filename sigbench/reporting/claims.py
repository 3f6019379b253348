"""The paper's ablation claims stated as tests and answered with a sweep's runs.

Each claim compares settings of one built-in grid: Table 2 (neurons), Table 3 (batch size)
and Table 4 (depth x batch size). A comparison of two settings pairs runs by seed (every
seed is scored on the same test images): with two or more seeds a paired t-interval over
seeds, with one seed McNemar's exact test on the two runs' predictions and a paired
bootstrap interval over the test images. The verdict is one of three words; "not
distinguishable at this sample size" is an answer, not a failure.

Two settings can be one experiment: every batch size from the training set's size up is
one full batch per epoch, so batch 1024 and 3000 on 500 training images train the same
model. Such a comparison is skipped with that reason (it would only measure nothing), and
batch-size trends are taken over the batch sizes actually used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sigbench.config import size_text
from sigbench.reporting.paper import PAPER_TABLES
from sigbench.runs import rundir
from sigbench.runs.grid_records import GridRecord
from sigbench.training.multilabel import headline_score
from sigbench.training.statistics import (
    Correlation,
    Difference,
    compare_predictions,
    paired_difference,
    spearman_permutation,
)

REPRODUCED = "reproduced"
CONTRADICTED = "contradicted"
UNCLEAR = "not distinguishable at this sample size"
SAME_EXPERIMENT = "skipped: the same experiment"
BATCH = "train.batch_size"
ALPHA = 0.05
NEURONS_MARGIN = 1.0  # Table 2's claim: 50 -> 200 neurons adds under this many points

# The paper's column names for the grid keys its tables state settings in.
PAPER_SETTING = {
    "data.image_size": "resolution",
    "model.neurons": "neurons",
    "train.batch_size": "batch_size",
    "signature.depth": "depth",
}


@dataclass(frozen=True)
class RunScore:
    """One finished run of a sweep: its grid values, seed, test accuracy and, when the run
    saved them, which test images it got right."""

    values: dict[str, Any]
    seed: int
    accuracy: float
    correct: np.ndarray | None = None
    n_train: int | None = None  # training samples, which cap the batch size in effect

    @property
    def full_batch(self) -> bool:
        """Its batch size reaches the training set: one batch per epoch."""
        batch = self.values.get(BATCH)
        return batch is not None and self.n_train is not None and batch >= self.n_train

    @property
    def batch_used(self) -> int | None:
        """The batch size in effect: the setting, capped at the training set's size."""
        batch = self.values.get(BATCH)
        return None if batch is None else min(batch, self.n_train or batch)

    @property
    def effective(self) -> dict[str, Any]:
        """Its settings as training used them (a full batch is the training set's size)."""
        return self.values if BATCH not in self.values else {**self.values, BATCH: self.batch_used}


def score_run(run: Path, values: dict[str, Any] | None = None, seed: int | None = None) -> RunScore:
    """A finished run's test accuracy and which test images it got right (when it saved its
    predictions); its seed from its config unless given."""
    saved = rundir.read_predictions(run)
    # A multi-label run's predictions are (N, K): no one right-or-wrong per image to pair.
    correct = None if saved is None or saved[0].ndim != 1 else saved[0] == saved[1]
    metrics = rundir.read_metrics(run)
    accuracy = headline_score(metrics, "accuracy")
    if seed is None:
        seed = rundir.read_config(run).seed
    return RunScore(values or {}, seed, accuracy, correct, metrics.get("n_train"))


def sweep_scores(results: Path, record: GridRecord) -> list[RunScore]:
    """Every finished run a sweep lists, with its saved test predictions where it has them."""
    scores = []
    for point in record.points:
        run = rundir.runs_dir(results) / point["run_id"]
        if rundir.is_finished(run):
            scores.append(score_run(run, point["values"], point.get("seed", 0)))
    return scores


@dataclass(frozen=True)
class Finding:
    label: str
    here: str
    paper: str
    verdict: str


@dataclass
class Claim:
    table: str
    statement: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """One word when every comparison agrees, else how many say what; comparisons of
        one experiment with itself do not count."""
        words = [f.verdict for f in self.findings if f.verdict != SAME_EXPERIMENT]
        if not words:
            return SAME_EXPERIMENT if self.findings else UNCLEAR
        if len(set(words)) == 1:
            return words[0]
        order = [REPRODUCED, CONTRADICTED, UNCLEAR]
        counts = ", ".join(f"{w} {words.count(w)}" for w in order if w in words)
        return f"mixed over {len(words)} comparisons: {counts}"


# --- tests and verdicts ------------------------------------------------------------------


def _select(runs: list[RunScore], **setting: Any) -> list[RunScore]:
    return [r for r in runs if all(r.values.get(k) == v for k, v in setting.items())]


def compare_settings(a: list[RunScore], b: list[RunScore]) -> Difference | None:
    """Accuracy of A minus B over the seeds both have (paired), or None with no common seed."""
    by_a, by_b = {r.seed: r for r in a}, {r.seed: r for r in b}
    seeds = sorted(by_a.keys() & by_b.keys())
    if len(seeds) >= 2:
        accuracies = [[by[s].accuracy for s in seeds] for by in (by_a, by_b)]
        return paired_difference(*accuracies)
    if len(seeds) == 1:
        correct_a, correct_b = by_a[seeds[0]].correct, by_b[seeds[0]].correct
        if correct_a is not None and correct_b is not None and correct_a.shape == correct_b.shape:
            return compare_predictions(correct_a, correct_b)
    return None


def verdict_greater(diff: Difference | None) -> str:
    """'A beats B': the paired test at the 5% level, in the direction of the difference."""
    if diff is None or math.isnan(diff.p_value) or diff.p_value >= ALPHA:
        return UNCLEAR
    return REPRODUCED if diff.mean > 0 else CONTRADICTED


def verdict_below(diff: Difference | None, margin: float) -> str:
    """'A adds under ``margin`` points over B': the whole interval below the margin."""
    if diff is None or math.isnan(diff.low):
        return UNCLEAR
    if 100 * diff.high < margin:
        return REPRODUCED
    if 100 * diff.low >= margin:
        return CONTRADICTED
    return UNCLEAR


def verdict_trend(correlation: Correlation) -> str:
    """'Accuracy rises with x': Spearman's rho positive with a permutation p under 5%."""
    if math.isnan(correlation.p_value) or correlation.p_value >= ALPHA:
        return UNCLEAR
    return REPRODUCED if correlation.rho > 0 else CONTRADICTED


# --- wording ---------------------------------------------------------------------------


def _points(value: float) -> str:
    return f"{100 * value:+.2f}"


def describe_difference(diff: Difference | None) -> str:
    if diff is None:
        return "no paired runs (a common seed; with one seed, both runs' predictions.npz)"
    if diff.test == "paired t" and diff.n < 2:
        return f"{_points(diff.mean)} points (one seed, no interval)"
    interval = f"[{_points(diff.low)}, {_points(diff.high)}]"
    if diff.test == "paired t":
        where = f"paired t over {diff.n} seeds, p = {diff.p_value:.3g}"
    else:
        where = f"one seed, {diff.n} test images; McNemar exact p = {diff.p_value:.3g}"
    return f"{_points(diff.mean)} points, 95% CI {interval} ({where})"


def describe_correlation(correlation: Correlation, what: str) -> str:
    if math.isnan(correlation.rho):
        return f"undefined over {correlation.n} {what} (too few or constant values)"
    return (
        f"rho = {correlation.rho:+.2f} over {correlation.n} {what}, permutation p = "
        f"{correlation.p_value:.3g} ({correlation.n_resamples:,} pairings)"
    )


def _paper_acc(table: str, **setting: Any) -> float | None:
    """The paper's accuracy (percent) at the row stating every given setting."""
    for row in PAPER_TABLES[table].rows:
        if all(row.setting.get(PAPER_SETTING[k]) == v for k, v in setting.items()):
            return row.figures.get("acc")
    return None


def _paper_difference(table: str, a: dict[str, Any], b: dict[str, Any]) -> str:
    high, low = _paper_acc(table, **a), _paper_acc(table, **b)
    if high is None or low is None:
        return "not in the paper"
    return f"{high - low:+.2f} points ({high:.2f} vs {low:.2f})"


def same_experiment(a: list[RunScore], b: list[RunScore]) -> str | None:
    """Why the runs of settings A and B are one experiment (their batch sizes both reach
    the training set), or None when they differ."""
    if not a or not b or BATCH not in a[0].values or a[0].values[BATCH] == b[0].values[BATCH]:
        return None
    if len({json.dumps(r.effective, sort_keys=True) for r in a + b}) != 1:
        return None
    return (
        f"batch {a[0].values[BATCH]} and {b[0].values[BATCH]} are both one full batch of the "
        f"{a[0].n_train:,} training samples"
    )


def _comparison(
    table: str,
    runs: list[RunScore],
    label: str,
    a: dict[str, Any],
    b: dict[str, Any],
    verdict: Callable[[Difference | None], str],
) -> Finding:
    runs_a, runs_b = _select(runs, **a), _select(runs, **b)
    paper = _paper_difference(table, a, b)
    reason = same_experiment(runs_a, runs_b)
    if reason is not None:
        return Finding(label, reason, paper, SAME_EXPERIMENT)
    diff = compare_settings(runs_a, runs_b)
    return Finding(label, describe_difference(diff), paper, verdict(diff))


def _axis(runs: list[RunScore], key: str) -> list[Any]:
    values = [r.values[key] for r in runs if key in r.values]
    unique = {tuple(v) if isinstance(v, list) else (v,): v for v in values}  # [H, W] pairs too
    return [unique[k] for k in sorted(unique)]


# --- the paper's claims ----------------------------------------------------------------


def table2_claims(runs: list[RunScore]) -> list[Claim]:
    claim = Claim(
        "table2",
        f"Table 2: 200 neurons instead of 50 add under {NEURONS_MARGIN:g} point of accuracy "
        "(reproduced when the whole 95% interval of the difference lies below it).",
    )
    for size in _axis(runs, "data.image_size"):
        a = {"data.image_size": size, "model.neurons": 200}
        b = {"data.image_size": size, "model.neurons": 50}
        claim.findings.append(
            _comparison(
                "table2",
                runs,
                f"{size_text(size)}: 200 vs 50 neurons",
                a,
                b,
                lambda d: verdict_below(d, NEURONS_MARGIN),
            )  # fmt: skip
        )
    return [claim]


def table3_claims(runs: list[RunScore], *, seed: int = 0) -> list[Claim]:
    claim = Claim("table3", "Table 3: accuracy rises with batch size.")
    mine = [r for r in runs if BATCH in r.values]
    here = spearman_permutation([r.batch_used for r in mine], [r.accuracy for r in mine], seed=seed)
    rows = PAPER_TABLES["table3"].rows
    paper = spearman_permutation(
        [r.setting["batch_size"] for r in rows], [r.figures["acc"] for r in rows], seed=seed
    )
    settings = len({r.values[BATCH] for r in mine})
    full = len({r.values[BATCH] for r in mine if r.full_batch})
    of_them = f", {full} of them one full batch, counted at the training set's size" if full else ""
    claim.findings.append(
        Finding(
            "Spearman: batch size vs accuracy",
            describe_correlation(here, f"runs ({settings} batch sizes{of_them})"),
            describe_correlation(paper, "batch sizes"),
            verdict_trend(here),
        )
    )
    return [claim]


def table4_claims(runs: list[RunScore]) -> list[Claim]:
    deeper = Claim("table4", "Table 4: a deeper signature is better (depth d+1 vs d).")
    batches = _axis(runs, "train.batch_size")
    depths = _axis(runs, "signature.depth")
    for batch in batches:
        for low, high in zip(depths, depths[1:], strict=False):
            a = {"train.batch_size": batch, "signature.depth": high}
            b = {"train.batch_size": batch, "signature.depth": low}
            label = f"batch {batch}: depth {high} vs {low}"
            deeper.findings.append(_comparison("table4", runs, label, a, b, verdict_greater))
    bigger = Claim("table4", "Table 4: batch 3000 beats batch 1024 at the same depth.")
    if {1024, 3000} <= set(batches):
        for depth in depths:
            a = {"train.batch_size": 3000, "signature.depth": depth}
            b = {"train.batch_size": 1024, "signature.depth": depth}
            label = f"depth {depth}: batch 3000 vs 1024"
            bigger.findings.append(_comparison("table4", runs, label, a, b, verdict_greater))
    return [deeper, bigger]


CLAIMS: dict[str, Callable[[list[RunScore]], list[Claim]]] = {
    "table2": table2_claims,
    "table3": table3_claims,
    "table4": table4_claims,
}

METHOD_NOTE = (
    "Differences are accuracy points, first setting minus second. Runs are paired by seed and "
    "every seed is scored on the same test images (`data.split_seed`). Two or more seeds: "
    "paired t-interval and test over seeds (training randomness on a fixed test set). One "
    "seed: McNemar's exact test on the two runs' predictions and a paired bootstrap interval "
    f"over test images. Significance level {ALPHA:g}."
)


def claims_markdown(grid: str, claims: list[Claim]) -> str:
    """``tables/<grid>_claims.md``: each claim, its comparisons beside the paper's, a verdict."""
    lines = [f"# {grid}: the paper's claims, tested", ""]
    for claim in claims:
        lines += [f"## {claim.statement}", ""]
        lines += ["| comparison | here | paper | verdict |", "|---|---|---|---|"]
        lines += [f"| {f.label} | {f.here} | {f.paper} | {f.verdict} |" for f in claim.findings]
        lines += ["", f"Verdict: **{claim.verdict}**", ""]
    lines.append(METHOD_NOTE)
    return "\n".join(lines) + "\n"
