"""How sure a score is: bootstrap intervals from one run's test predictions, t-intervals
over seeds, rank correlation with a permutation p-value, and paired comparisons of runs.

A single run's accuracy on 2,000 test images moves by about a point if the test images are
drawn again, and by more if the seed changes; these functions put numbers on both so a
table can say whether two settings differ at all. Distributions and tests come from scipy,
imported by the functions that use them (``scipy.stats`` takes over a second to import, and
``predict`` needs only the bootstrap helpers' module).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000
PERMUTATION_RESAMPLES = 9999


def confusion_counts(labels: np.ndarray, predicted: np.ndarray, n_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    cells = np.asarray(labels, dtype=np.int64) * n_classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(cells, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def confusion_scores(confusion: np.ndarray) -> dict[str, np.ndarray]:
    """Accuracy, macro F1 and (two classes) FAR/FRR/HTER of confusion matrices (..., K, K).

    The same definitions as :mod:`sigbench.training.metrics` (F1 of a class that is neither
    present nor predicted is 0, sklearn's ``zero_division=0``); NaN where a rate has no
    denominator.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum(axis=(-2, -1))
    hits = np.diagonal(confusion, axis1=-2, axis2=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = hits.sum(axis=-1) / total
        f1_denominator = confusion.sum(axis=-1) + confusion.sum(axis=-2)  # 2tp + fp + fn
        f1 = np.where(f1_denominator > 0, 2 * hits / np.maximum(f1_denominator, 1), 0.0)
        scores = {"accuracy": accuracy, "f1_macro": f1.mean(axis=-1)}
        if confusion.shape[-1] == 2:
            far = confusion[..., 0, 1] / confusion[..., 0, :].sum(axis=-1)
            frr = confusion[..., 1, 0] / confusion[..., 1, :].sum(axis=-1)
            scores.update({"far": far, "frr": frr, "hter": (far + frr) / 2})
    return scores


def percentile_interval(values: np.ndarray, confidence: float) -> list[float]:
    values = values[~np.isnan(values)]
    if not len(values):  # e.g. HTER of a test set with one class only: undefined throughout
        return [math.nan, math.nan]
    tail = (1 - confidence) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return [float(low), float(high)]


def bootstrap_intervals(
    labels: np.ndarray,
    predicted: np.ndarray,
    n_classes: int,
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> dict[str, object]:
    """Percentile bootstrap intervals of accuracy, macro F1 and (binary) HTER over test images.

    Every score here depends on the test images only through the confusion matrix, so
    drawing n images with replacement is exactly drawing a confusion matrix from a
    multinomial over its cells: one vectorised, seeded draw of ``n_resamples`` matrices
    instead of ``n_resamples x n`` indices, so any test set costs milliseconds.
    """
    confusion = confusion_counts(labels, predicted, n_classes)
    total = int(confusion.sum())
    if total == 0:
        return {}
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(total, confusion.ravel() / total, size=n_resamples)
    resampled = confusion_scores(draws.reshape(n_resamples, n_classes, n_classes))
    keys = ["accuracy", "f1_macro"] + (["hter"] if n_classes == 2 else [])
    tag = f"ci{round(100 * confidence)}"
    intervals: dict[str, object] = {
        f"{key}_{tag}": percentile_interval(resampled[key], confidence) for key in keys
    }
    intervals[f"{tag}_resamples"] = n_resamples
    return intervals


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation and t-interval of the mean of per-seed values."""

    n: int
    mean: float
    std: float
    low: float
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def t_interval(values: np.ndarray | list[float], confidence: float = CONFIDENCE) -> Spread:
    """Student-t interval of the mean over seeds; NaN spread and interval for one value."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return Spread(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n == 1:
        return Spread(1, mean, math.nan, math.nan, math.nan)
    std = float(values.std(ddof=1))
    if std == 0:  # every seed agrees: scipy's t statistic would divide by zero
        return Spread(n, mean, 0.0, mean, mean)
    low, high = stats.ttest_1samp(values, 0.0).confidence_interval(confidence)
    return Spread(n, mean, std, float(low), float(high))


@dataclass(frozen=True)
class Correlation:
    """Spearman's rho and its permutation p-value (two-sided)."""

    rho: float
    p_value: float
    n: int
    n_resamples: int


def _pearson_along_last(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x = x - x.mean(axis=-1, keepdims=True)
    y = y - y.mean(axis=-1, keepdims=True)
    return (x * y).sum(axis=-1) / np.sqrt((x * x).sum(axis=-1) * (y * y).sum(axis=-1))


def spearman_permutation(
    x: np.ndarray | list[float],
    y: np.ndarray | list[float],
    *,
    n_resamples: int = PERMUTATION_RESAMPLES,
    seed: int = 0,
) -> Correlation:
    """Spearman's rho of (x, y) and the share of random pairings at least as extreme.

    A permutation test assumes nothing about the distribution of accuracies, and with ties
    in x (several seeds per setting) it stays exact where spearmanr's t approximation is
    not. scipy enumerates every pairing when there are fewer than ``n_resamples``.
    """
    from scipy import stats

    ranks_x = stats.rankdata(np.asarray(x, dtype=np.float64))
    ranks_y = stats.rankdata(np.asarray(y, dtype=np.float64))
    n = len(ranks_x)
    if n < 3 or np.ptp(ranks_x) == 0 or np.ptp(ranks_y) == 0:
        return Correlation(math.nan, math.nan, n, 0)
    result = stats.permutation_test(
        (ranks_y,),
        lambda permuted, axis=-1: _pearson_along_last(ranks_x, permuted),
        permutation_type="pairings",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    resamples = min(n_resamples, math.factorial(n))
    return Correlation(float(result.statistic), float(result.pvalue), n, resamples)


@dataclass(frozen=True)
class Difference:
    """A - B with its interval and the p-value of a paired test of 'no difference'."""

    mean: float
    low: float
    high: float
    p_value: float
    n: int
    test: str


def paired_difference(
    a: np.ndarray | list[float], b: np.ndarray | list[float], confidence: float = CONFIDENCE
) -> Difference:
    """Mean of a - b over pairs (the same seed in both settings), paired t-interval and test."""
    from scipy import stats

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need equal lengths, got {len(a)} and {len(b)}")
    spread = t_interval(a - b, confidence)
    if spread.n < 2:
        p_value = math.nan
    elif spread.std == 0:
        p_value = 1.0 if spread.mean == 0 else 0.0
    else:
        p_value = float(stats.ttest_rel(a, b).pvalue)
    return Difference(spread.mean, spread.low, spread.high, p_value, spread.n, "paired t")


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of ``p_values`` (in their order): the family-wise error
    rate of rejecting every adjusted p below alpha is at most alpha, for any dependence.

    Sorted ascending, the i-th smallest (from 0) is multiplied by m - i, then made
    non-decreasing along the order and capped at 1.
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def mcnemar_exact(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[int, int, float]:
    """(images only A got right, images only B got right, McNemar's exact two-sided p).

    Under 'A and B are equally accurate' each discordant image is a fair coin, so the exact
    test is a binomial test on the discordant counts.
    """
    from scipy import stats

    correct_a, correct_b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if correct_a.shape != correct_b.shape:
        raise ValueError("McNemar's test needs both runs' predictions on the same test images")
    only_a = int(np.count_nonzero(correct_a & ~correct_b))
    only_b = int(np.count_nonzero(correct_b & ~correct_a))
    if only_a + only_b == 0:
        return 0, 0, 1.0
    return only_a, only_b, float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)


def compare_predictions(
    correct_a: np.ndarray,
    correct_b: np.ndarray,
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> Difference:
    """Accuracy of A minus accuracy of B on the same test images: a paired bootstrap
    interval (images resampled as pairs, via the multinomial over the four agreement
    cells) and McNemar's exact p-value."""
    correct_a, correct_b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    only_a, only_b, p_value = mcnemar_exact(correct_a, correct_b)
    n = len(correct_a)
    cells = np.array([only_a, only_b, n - only_a - only_b]) / n
    draws = np.random.default_rng(seed).multinomial(n, cells, size=n_resamples)
    low, high = percentile_interval((draws[:, 0] - draws[:, 1]) / n, confidence)
    return Difference((only_a - only_b) / n, low, high, p_value, n, "McNemar exact")
