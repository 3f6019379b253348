"""The uncertainty functions against closed forms, sklearn's scores and scipy's own tests."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from sigbench.training.metrics import binary_error_rates
from sigbench.training.statistics import (
    bootstrap_intervals,
    compare_predictions,
    confusion_counts,
    confusion_scores,
    mcnemar_exact,
    paired_difference,
    spearman_permutation,
    t_interval,
)


def _predictions(n: int, classes: int, accuracy: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    wrong = (labels + rng.integers(1, classes, n)) % classes
    predicted = np.where(rng.random(n) < accuracy, labels, wrong)
    return labels, predicted


@pytest.mark.parametrize("classes", [2, 3, 7])
def test_confusion_scores_match_sklearn_and_the_binary_rates(classes):
    labels, predicted = _predictions(500, classes, 0.7, seed=classes)
    scores = confusion_scores(confusion_counts(labels, predicted, classes))
    assert scores["accuracy"] == pytest.approx((labels == predicted).mean())
    expected_f1 = f1_score(
        labels, predicted, labels=np.arange(classes), average="macro", zero_division=0
    )
    assert scores["f1_macro"] == pytest.approx(expected_f1)
    if classes == 2:
        for key, value in binary_error_rates(labels, predicted).items():
            assert scores[key] == pytest.approx(value)
    else:
        assert "hter" not in scores


def test_a_class_never_present_nor_predicted_scores_f1_zero_as_sklearn_does():
    labels, predicted = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    scores = confusion_scores(confusion_counts(labels, predicted, 3))
    expected = f1_score(labels, predicted, labels=[0, 1, 2], average="macro", zero_division=0)
    assert scores["f1_macro"] == pytest.approx(expected)


def test_bootstrap_accuracy_interval_matches_the_binomial_standard_error():
    """Resampling n images makes accuracy ~ Binomial(n, p)/n: the 95% interval is close to
    p +- 1.96 sqrt(p(1-p)/n) (about +-0.013 here)."""
    labels, predicted = _predictions(2000, 2, 0.9)
    p = (labels == predicted).mean()
    low, high = bootstrap_intervals(labels, predicted, 2, seed=1)["accuracy_ci95"]
    half = 1.96 * math.sqrt(p * (1 - p) / 2000)
    assert low < p < high
    assert low == pytest.approx(p - half, abs=0.002)
    assert high == pytest.approx(p + half, abs=0.002)


def test_bootstrap_agrees_with_scipy_resampling_images():
    """The multinomial draw over confusion cells is the same bootstrap as scipy's resampling
    of (label, prediction) pairs: the intervals agree within Monte Carlo error."""
    labels, predicted = _predictions(600, 3, 0.75, seed=3)
    ours = bootstrap_intervals(labels, predicted, 3, n_resamples=4000, seed=0)

    def macro_f1(y, p, axis=-1):
        return confusion_scores(
            np.stack([confusion_counts(a, b, 3) for a, b in zip(y, p, strict=True)])
        )["f1_macro"]

    theirs = stats.bootstrap(
        (labels, predicted), macro_f1, paired=True, vectorized=True, n_resamples=4000,
        method="percentile", rng=np.random.default_rng(0),
    ).confidence_interval  # fmt: skip
    assert ours["f1_macro_ci95"] == pytest.approx([theirs.low, theirs.high], abs=0.006)
    assert ours["ci95_resamples"] == 4000


def test_bootstrap_records_hter_for_two_classes_only_and_is_seeded():
    binary = bootstrap_intervals(*_predictions(300, 2, 0.8), 2, seed=5)
    assert set(binary) == {"accuracy_ci95", "f1_macro_ci95", "hter_ci95", "ci95_resamples"}
    assert binary == bootstrap_intervals(*_predictions(300, 2, 0.8), 2, seed=5)
    assert "hter_ci95" not in bootstrap_intervals(*_predictions(300, 4, 0.8), 4)
    low, high = binary["hter_ci95"]
    hter = binary_error_rates(*_predictions(300, 2, 0.8))["hter"]
    assert low < hter < high


def test_an_undefined_rate_gives_a_nan_interval_without_warnings():
    labels = np.zeros(50, dtype=int)  # no positives: FRR, and so HTER, is undefined
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        intervals = bootstrap_intervals(labels, labels, 2)
    assert all(math.isnan(v) for v in intervals["hter_ci95"])
    assert intervals["accuracy_ci95"] == [1.0, 1.0]


def test_a_perfect_run_has_a_zero_width_bootstrap_interval():
    labels = np.array([0, 1] * 50)
    assert bootstrap_intervals(labels, labels, 2)["accuracy_ci95"] == [1.0, 1.0]


def test_t_interval_is_mean_plus_minus_t_times_standard_error():
    values = [0.91, 0.93, 0.92, 0.95]
    spread = t_interval(values)
    sem = np.std(values, ddof=1) / 2
    half = stats.t.ppf(0.975, df=3) * sem
    assert spread.n == 4 and spread.mean == pytest.approx(0.9275)
    assert spread.std == pytest.approx(np.std(values, ddof=1))
    assert (spread.low, spread.high) == pytest.approx((0.9275 - half, 0.9275 + half))
    assert spread.half_width == pytest.approx(half)


def test_t_interval_of_one_seed_is_undefined_and_of_equal_seeds_is_a_point():
    one = t_interval([0.9])
    assert one.n == 1 and one.mean == 0.9 and math.isnan(one.low) and math.isnan(one.std)
    same = t_interval([0.9, 0.9, 0.9])
    assert (same.low, same.high, same.std) == (0.9, 0.9, 0.0)


def test_spearman_permutation_matches_spearmanr_and_the_exact_null():
    x = [64, 64, 128, 128, 256, 512]
    y = [0.80, 0.82, 0.81, 0.86, 0.88, 0.91]
    result = spearman_permutation(x, y)
    assert result.rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert result.n_resamples == math.factorial(6)  # 720 pairings: enumerated exactly
    exact = stats.permutation_test(
        (y,), lambda v: stats.spearmanr(x, v).statistic, permutation_type="pairings"
    )
    assert result.p_value == pytest.approx(exact.pvalue)
    assert result.p_value < 0.05


def test_spearman_of_unrelated_values_is_not_significant_and_of_constant_x_is_nan():
    rng = np.random.default_rng(0)
    x = np.repeat([64, 128, 256, 512, 1024], 3)
    result = spearman_permutation(x, rng.random(15), n_resamples=2000)
    assert result.n_resamples == 2000 and result.p_value > 0.05
    assert math.isnan(spearman_permutation([1, 1, 1], [0.1, 0.2, 0.3]).rho)


def test_paired_difference_is_scipys_paired_t_test():
    a, b = [0.93, 0.91, 0.95, 0.92], [0.90, 0.90, 0.93, 0.89]
    diff = paired_difference(a, b)
    reference = stats.ttest_rel(a, b)
    low, high = reference.confidence_interval()
    assert diff.mean == pytest.approx(0.0225)
    assert (diff.low, diff.high) == pytest.approx((low, high))
    assert diff.p_value == pytest.approx(reference.pvalue)
    assert diff.n == 4 and diff.test == "paired t"
    with pytest.raises(ValueError, match="equal lengths"):
        paired_difference([1.0], [1.0, 2.0])


def test_mcnemar_exact_known_value():
    """1 image only A got right, 9 only B: p = 2 * P(Binomial(10, 1/2) <= 1) = 22/1024."""
    a = np.array([True] * 1 + [False] * 9 + [True] * 50)
    b = np.array([False] * 1 + [True] * 9 + [True] * 50)
    assert mcnemar_exact(a, b) == (1, 9, pytest.approx(22 / 1024))
    assert mcnemar_exact(a, a) == (0, 0, 1.0)


def test_compare_predictions_says_equal_runs_are_indistinguishable_and_far_ones_are_not():
    rng = np.random.default_rng(0)
    a = rng.random(2000) < 0.90
    b = a.copy()
    b[np.flatnonzero(a)[:10]] = False  # 10 images only A gets right
    b[np.flatnonzero(~a)[:12]] = True  # 12 only B gets right
    close = compare_predictions(a, b)
    assert close.p_value > 0.05 and close.low < 0 < close.high
    assert close.mean == pytest.approx(a.mean() - b.mean())
    worse = a & (rng.random(2000) < 0.9)  # B loses about 10% of A's hits
    far = compare_predictions(a, worse)
    assert far.p_value < 1e-6 and far.low > 0
