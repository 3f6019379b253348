"""The paper's claims answered from synthetic runs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from sigbench.reporting.claims import (
    CONTRADICTED,
    REPRODUCED,
    SAME_EXPERIMENT,
    UNCLEAR,
    RunScore,
    claims_markdown,
    compare_settings,
    table2_claims,
    table3_claims,
    table4_claims,
)


def _runs(accuracy_of, settings: list[dict], seeds: int, noise: float = 0.002) -> list[RunScore]:
    rng = np.random.default_rng(0)
    return [
        RunScore(values, seed, accuracy_of(values) + noise * rng.standard_normal())
        for values in settings
        for seed in range(seeds)
    ]


BATCHES = [64, 128, 256, 512, 1024]


def test_a_rising_batch_size_trend_is_reproduced_and_a_flat_one_is_not():
    settings = [{"train.batch_size": b} for b in BATCHES]
    rising = _runs(lambda v: 0.80 + 0.01 * BATCHES.index(v["train.batch_size"]), settings, 3)
    [claim] = table3_claims(rising)
    assert claim.verdict == REPRODUCED
    assert "over 15 runs (5 batch sizes)" in claim.findings[0].here
    assert "rho = +1.00 over 5 batch sizes" in claim.findings[0].paper  # the paper's own table
    # every batch size sees the same three seed accuracies: rho = 0
    flat = [
        RunScore({"train.batch_size": b}, seed, 0.85 + 0.01 * (seed - 1))
        for b in BATCHES
        for seed in range(3)
    ]
    [flat_claim] = table3_claims(flat)
    assert flat_claim.verdict == UNCLEAR and "rho = +0.00" in flat_claim.findings[0].here
    falling = _runs(lambda v: 0.9 - 0.02 * BATCHES.index(v["train.batch_size"]), settings, 2)
    assert table3_claims(falling)[0].verdict == CONTRADICTED


def _neurons_runs(gain_points: float, seeds: int, noise: float) -> list[RunScore]:
    settings = [{"data.image_size": 32, "model.neurons": n} for n in (50, 100, 200)]
    return _runs(
        lambda v: 0.90 + (gain_points / 100) * (v["model.neurons"] == 200), settings, seeds, noise
    )


def test_neurons_claim_reproduced_only_when_the_whole_interval_is_under_one_point():
    [small] = table2_claims(_neurons_runs(0.2, seeds=5, noise=0.001))
    assert small.verdict == REPRODUCED
    assert small.findings[0].label == "32x32: 200 vs 50 neurons"
    assert small.findings[0].paper == "+1.46 points (93.00 vs 91.54)"
    [large] = table2_claims(_neurons_runs(3.0, seeds=5, noise=0.001))
    assert large.verdict == CONTRADICTED
    [noisy] = table2_claims(_neurons_runs(0.5, seeds=3, noise=0.02))
    assert noisy.verdict == UNCLEAR


def _depth_runs(accuracy_of, seeds: int) -> list[RunScore]:
    settings = [
        {"train.batch_size": b, "signature.depth": d} for b in (1024, 3000) for d in (1, 2, 3)
    ]
    return _runs(accuracy_of, settings, seeds)


def test_depth_claims_pair_by_seed_and_count_mixed_verdicts():
    def accuracy(v):
        # deeper helps; batch 3000 helps at depth 3 only
        return (
            0.8
            + 0.03 * v["signature.depth"]
            + 0.02 * (v["train.batch_size"] == 3000 and v["signature.depth"] == 3)
        )

    deeper, bigger = table4_claims(_depth_runs(accuracy, seeds=3))
    assert deeper.verdict == REPRODUCED and len(deeper.findings) == 4
    assert [f.verdict for f in bigger.findings] == [UNCLEAR, UNCLEAR, REPRODUCED]
    assert bigger.verdict == (f"mixed over 3 comparisons: {REPRODUCED} 1, {UNCLEAR} 2")
    assert bigger.findings[2].paper == "+0.82 points (91.62 vs 90.80)"
    assert "paired t over 3 seeds" in bigger.findings[2].here


def test_one_seed_uses_mcnemar_on_the_saved_predictions():
    rng = np.random.default_rng(1)
    base = rng.random(2000) < 0.9
    close = base.copy()
    close[np.flatnonzero(base)[:5]] = False
    far = base & (rng.random(2000) < 0.85)

    def run(values, correct):
        return RunScore(values, 0, float(correct.mean()), correct)

    a = [run({"k": 1}, base)]
    diff = compare_settings(a, [run({"k": 2}, close)])
    assert diff.test == "McNemar exact" and diff.p_value > 0.05
    assert compare_settings(a, [run({"k": 2}, far)]).p_value < 1e-6
    no_predictions = [RunScore({"k": 2}, 0, 0.8)]
    assert compare_settings(a, no_predictions) is None
    other_seed = [RunScore({"k": 2}, 1, float(base.mean()), base)]
    assert compare_settings(a, other_seed) is None


def test_claims_markdown_states_each_claim_its_numbers_and_verdict():
    settings = [{"train.batch_size": b} for b in BATCHES]
    runs = _runs(lambda v: 0.80 + 0.01 * BATCHES.index(v["train.batch_size"]), settings, 3)
    text = claims_markdown("batch_size", table3_claims(runs))
    assert text.startswith("# batch_size: the paper's claims, tested")
    assert "## Table 3: accuracy rises with batch size." in text
    assert "| Spearman: batch size vs accuracy | rho = +" in text
    assert "Verdict: **reproduced**" in text
    assert "McNemar" in text  # the method note says how single seeds are compared


@pytest.mark.parametrize("claims", [table2_claims, table4_claims])
def test_a_grid_without_the_claims_settings_gives_no_false_verdict(claims):
    for claim in claims([RunScore({"other": 1}, 0, 0.9)]):
        assert claim.verdict == UNCLEAR


def test_batch_sizes_past_the_training_set_are_one_experiment_and_not_compared():
    """On 500 training images batch 1024 and 3000 are both one full batch: the same model."""
    runs = [
        RunScore(values, seed, 0.80 + 0.02 * values["signature.depth"] + 0.001 * seed, None, 500)
        for values in [
            {"train.batch_size": b, "signature.depth": d} for b in (1024, 3000) for d in (1, 2, 3)
        ]
        for seed in range(3)
    ]
    deeper, bigger = table4_claims(runs)
    assert deeper.verdict == REPRODUCED  # depth still differs: those comparisons stand
    assert [f.verdict for f in bigger.findings] == [SAME_EXPERIMENT] * 3
    assert bigger.verdict == SAME_EXPERIMENT
    reason = "batch 3000 and 1024 are both one full batch of the 500 training samples"
    assert bigger.findings[0].here == reason
    text = claims_markdown("depth", [deeper, bigger])
    assert reason in text and "+0.00 points" not in text
    on_more_data = [RunScore(r.values, r.seed, r.accuracy, None, 2000) for r in runs]
    assert all(f.verdict != SAME_EXPERIMENT for f in table4_claims(on_more_data)[1].findings)


def test_the_batch_size_trend_counts_a_full_batch_at_the_training_sets_size():
    settings = [{"train.batch_size": b} for b in BATCHES]  # 256, 512, 1024 reach 200
    runs = [
        RunScore(values, seed, 0.80 + 0.001 * seed, None, 200)
        for values in settings
        for seed in range(2)
    ]
    [claim] = table3_claims(runs)
    here = claim.findings[0].here
    assert "(5 batch sizes, 3 of them one full batch" in here
    assert runs[-1].batch_used == 200 and runs[-1].full_batch and not runs[0].full_batch
