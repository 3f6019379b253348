"""What ``compare`` concludes from its final runs: Holm's correction, the verdicts against
the best model, the non-dominated set, and the files (on made-up runs: ``fake_train``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigbench.config import validate_config
from sigbench.errors import SigbenchError
from sigbench.progress import SILENT
from sigbench.reporting.compare import (
    BETTER,
    NO_PAIRS,
    UNCLEAR,
    WORSE,
    ModelResult,
    model_table,
    paired_tests,
    pareto_front,
    verdict,
    write_compare_outputs,
)
from sigbench.runs import rundir
from sigbench.training.statistics import Difference, holm_adjust
from tests.helpers.fake_runs import fake_train


def model(
    results: Path, kind: str, seeds: list[int], latency: float, shift: float = 0.0, **settings
) -> ModelResult:
    """A model's final runs: ``fake_train`` at ``seeds`` (accuracy from depth and neurons,
    +0.1 point per seed, then ``shift`` x (-1)^seed), timed side by side at ``latency`` (each
    run's own timing says 100x that, which the table must not show)."""
    runs = []
    for seed in seeds:
        config = validate_config({"seed": seed, **settings}, "test")
        run = fake_train(config, results, SILENT)
        metrics = rundir.read_metrics(run)
        metrics.update(
            accuracy=metrics["accuracy"] + shift * (-1) ** seed,
            latency_ms=100 * latency,
            images_per_s=1.0,
        )
        rundir.write_json_atomic(run / rundir.METRICS_FILE, metrics)
        runs.append(run)
    return ModelResult(
        kind, runs, trials=4, tuning_minutes=1.5, best_values={"train.lr": 0.001},
        latency_ms=latency, images_per_s=1000 / latency,
    )  # fmt: skip


def test_holm_multiplies_the_sorted_p_values_by_m_minus_rank_and_keeps_them_ordered() -> None:
    # sorted: 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, 0.04 x 1 = 0.04 -> 0.06
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjust([0.6, 0.9]) == [1.0, 1.0]  # capped at 1
    assert holm_adjust([]) == []


def test_pareto_front_keeps_what_nothing_beats_on_both() -> None:
    accuracy, cost = [90.0, 85.0, 80.0, 95.0, 90.0], [10.0, 5.0, 20.0, 50.0, 10.0]
    assert pareto_front(accuracy, cost) == [True, True, False, True, True]  # ties both stay
    assert pareto_front([80.0, 90.0], [1.0, 1.0]) == [False, True]


def test_verdict_needs_the_corrected_p_below_alpha() -> None:
    minus = Difference(-0.02, -0.03, -0.01, 0.001, 3, "paired t")
    assert verdict(minus, 0.004) == WORSE
    assert verdict(Difference(0.02, 0.01, 0.03, 0.001, 3, "paired t"), 0.004) == BETTER
    assert verdict(minus, 0.06) == UNCLEAR  # significant alone, not after the correction
    assert verdict(None, None) == NO_PAIRS


def test_every_model_is_tested_against_the_best_paired_by_seed(tmp_path: Path) -> None:
    models = [
        model(tmp_path, "deep", [0, 1, 2], 2.0, signature={"depth": 4}),
        model(tmp_path, "shallow", [0, 1, 2], 1.0, signature={"depth": 2}),
        # the deep model again, its seeds scattered by 0.3 points either way
        model(
            tmp_path, "twin", [0, 1, 2], 3.0, 0.003, signature={"depth": 4}, model={"neurons": 51}
        ),
    ]
    frame = model_table(models)
    assert list(frame["model"]) == ["twin", "deep", "shallow"]  # best mean accuracy first
    assert list(frame["n_seeds"]) == [3, 3, 3] and "hter_mean" not in frame
    # the speed columns are the side-by-side timing's, not the runs' own figures
    assert list(frame["latency_ms"]) == [3.0, 2.0, 1.0]
    assert list(frame["images_per_s"]) == pytest.approx([1000 / 3, 500.0, 1000.0])
    comparisons = {c.model: c for c in paired_tests(models, "twin")}
    assert set(comparisons) == {"deep", "shallow"}
    shallow = comparisons["shallow"]
    assert shallow.difference.test == "paired t" and shallow.difference.n == 3
    assert shallow.difference.mean == pytest.approx(-0.101, abs=1e-3) and shallow.verdict == WORSE
    assert comparisons["deep"].verdict == UNCLEAR


def test_with_one_seed_the_tests_use_mcnemar_on_the_predictions(tmp_path: Path) -> None:
    models = [
        model(tmp_path, "deep", [0], 2.0, signature={"depth": 4}),
        model(tmp_path, "shallow", [0], 1.0, signature={"depth": 2}),
    ]
    (comparison,) = paired_tests(models, "deep")
    assert comparison.difference.test == "McNemar exact" and comparison.verdict == WORSE
    assert comparison.p_holm == comparison.difference.p_value  # one comparison: unchanged


def test_the_outputs_are_written_with_the_frontier_and_a_summary(tmp_path: Path) -> None:
    models = [
        model(tmp_path, "deep", [0, 1], 2.0, signature={"depth": 4}),
        model(tmp_path, "shallow", [0, 1], 1.0, signature={"depth": 2}),
        ModelResult("unfinished", [], trials=0, tuning_minutes=0.0),
    ]
    folder = tmp_path / "compare" / "x"
    frame, files, summary = write_compare_outputs(models, folder, metric="val_acc", caption="x")
    assert [p.name for p in files] == [
        "table.csv",
        "table.md",
        "table.tex",
        "tests.md",
        "pareto.png",
        "pareto.pdf",
    ]
    assert len(frame) == 2  # a model with no finished run has no row
    tex = (folder / "table.tex").read_text()
    assert "\\toprule" in tex and "\\midrule" in tex and "\\bottomrule" in tex
    assert "\\label{tab:x}" in tex and " & acc & " in tex and " $\\pm$ " in tex
    assert (folder / "pareto.pdf").read_bytes().startswith(b"%PDF")
    assert "| shallow |" in (folder / "tests.md").read_text()
    assert (
        "Best test accuracy: deep" in summary
        and "Worse after Holm's correction: shallow" in summary
    )
    assert "Not dominated in accuracy and latency per image: deep, shallow." in summary
    assert "one interleaved timing" in (folder / "table.md").read_text()


def test_before_the_models_are_timed_side_by_side_there_is_no_latency_frontier(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    models = [
        replace(model(tmp_path, "deep", [0], 2.0, signature={"depth": 4}), latency_ms=None),
        model(tmp_path, "shallow", [0], 1.0, signature={"depth": 2}),
    ]
    frame, _, summary = write_compare_outputs(models, tmp_path, metric="val_acc", caption="x")
    # never a mix of one model's own timing and another's side-by-side one
    assert frame["latency_ms"].isna().tolist() == [True, False]
    assert "latency" not in summary and "accuracy and parameters" in summary


def test_a_compare_spec_names_each_bad_key() -> None:
    pytest.importorskip("optuna", reason="the tune extra: pip install 'sigbench[tune]'")
    from sigbench.sweeps.compare import check_spec

    with pytest.raises(
        SigbenchError, match=r"c.yaml: models: 'resnet9' is not a model kind; choose from "
    ):
        check_spec({"models": ["resnet9"]}, "c.yaml")
    with pytest.raises(
        SigbenchError, match=r"c.yaml: per_model.logistic.train.epochs: every model"
    ):
        check_spec(
            {"models": ["logistic"], "per_model": {"logistic": {"train.epochs": 5}}}, "c.yaml"
        )
    with pytest.raises(SigbenchError, match=r"c.yaml: trials = 0: Input should be greater than"):
        check_spec({"models": ["logistic"], "trials": 0}, "c.yaml")
    with pytest.raises(SigbenchError) as several:
        check_spec({"models": ["logistic"], "trials": 0, "seeds": "many"}, "c.yaml")
    assert str(several.value) == (
        "2 problems: c.yaml: trials = 0: Input should be greater than or equal to 1; "
        "c.yaml: seeds = 'many': Input should be a valid integer, unable to parse string as an "
        "integer"
    )  # one line, each naming its value
