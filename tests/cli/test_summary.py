"""The key-value summary that ``train`` and ``eval`` print from a run's ``metrics.json``."""

from __future__ import annotations

from sigbench.cli.run_commands import metrics_summary


def test_a_binary_summary_names_the_positive_class_and_the_thresholds() -> None:
    metrics = {
        "accuracy": 0.9, "classes": ["real", "fake"], "hter": 0.1, "far": 0.12, "frr": 0.08,
        "threshold": 0.4321, "hter_val_threshold": 0.09, "params": 10,
    }  # fmt: skip
    rows = metrics_summary(metrics)
    keys = list(rows)
    assert keys.index("positive class") == keys.index("hter") - 1
    said = rows["positive class"]
    assert said.startswith("'fake' (FAR: 'real' images accepted, FRR: 'fake' images rejected")
    assert "p('fake') > 0.5" in said and "p > 0.4321, chosen on validation" in said
    without_validation = {k: v for k, v in metrics.items() if "threshold" not in k}
    assert "chosen on validation" not in metrics_summary(without_validation)["positive class"]


def test_runs_without_two_classes_have_no_positive_class() -> None:
    assert "positive class" not in metrics_summary({"accuracy": 0.9, "classes": list("abc")})
    multilabel = {"mean_accuracy": 0.9, "mean_hter": 0.1, "classes": ["is_even", "ink_top"]}
    assert "positive class" not in metrics_summary(multilabel)
