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


def test_accuracies_are_percent_with_two_decimals_and_labelled_the_rest_unchanged() -> None:
    metrics = {
        "accuracy": 0.925, "accuracy_ci95": [0.89722, 0.95], "top5_accuracy": 0.998611,
        "f1_macro": 0.9, "params": 10,
    }  # fmt: skip
    rows = metrics_summary(metrics)
    assert list(rows)[:3] == ["accuracy (%)", "accuracy_ci95 (%)", "top5_accuracy (%)"]
    assert rows["accuracy (%)"] == "92.50" and rows["accuracy_ci95 (%)"] == "[89.72, 95.00]"
    assert rows["top5_accuracy (%)"] == "99.86"
    assert rows["f1_macro"] == 0.9 and rows["params"] == 10  # not accuracies: as stored
    assert metrics["accuracy"] == 0.925  # the metrics themselves keep the fraction


def test_a_multilabel_summary_shows_mean_and_per_attribute_accuracy_in_percent() -> None:
    metrics = {
        "mean_accuracy": 0.8, "mean_accuracy_ci95": [0.75, 0.85], "exact_match": 0.5,
        "per_attribute": {"is_even": {"accuracy": 0.9567, "hter": 0.05},
                          "ink_top": {"accuracy": 0.5, "hter": 0.4}},
    }  # fmt: skip
    rows = metrics_summary(metrics)
    assert rows["mean_accuracy (%)"] == "80.00"
    assert rows["mean_accuracy_ci95 (%)"] == "[75.00, 85.00]"
    assert rows["accuracy per attribute (%)"] == "is_even 95.67, ink_top 50.00"
    assert rows["hter per attribute"] == "is_even 0.050, ink_top 0.400"


def test_the_tune_summary_shows_val_acc_and_test_accuracy_in_percent() -> None:
    from pathlib import Path

    from sigbench.cli.tune_command import _summary_rows
    from sigbench.sweeps.tune_outputs import StudySummary

    summary = StudySummary(
        {"complete": 2}, best_number=1, best_value=0.9583, best_values={"train.lr": 0.01},
        best_run=Path("r"), test={"accuracy": 0.925, "f1_macro": 0.91},
    )  # fmt: skip
    rows = _summary_rows(summary, "val_acc", 3.0)
    assert rows["best val_acc (validation, %)"] == "95.83"
    assert rows["test accuracy (best trial, %)"] == "92.50"
    assert rows["test f1_macro (best trial)"] == 0.91
    assert _summary_rows(summary, "val_loss", 3.0)["best val_loss (validation)"] == 0.9583
