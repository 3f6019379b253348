"""Error analysis: pictures written, the gallery's choice, and the report's links to the
pictures (the threshold and EER numbers: tests/training/test_thresholds.py)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sigbench.config import load_config, validate_config
from sigbench.data import ImageSet
from sigbench.reporting.analysis import (
    FIGURES,
    MISTAKES_FILE,
    mistake_title,
    mistakes_csv,
    worst_mistakes,
    write_analysis,
)
from sigbench.reporting.report import write_report
from sigbench.runs import rundir
from sigbench.sweeps.executors import SerialExecutor
from sigbench.sweeps.grids import BUILTIN_GRIDS
from sigbench.sweeps.scheduler import expand_grid, record_grid, run_grid
from sigbench.training.metrics import (
    Evaluation,
)
from tests.helpers.fake_runs import fake_train

REPO = Path(__file__).resolve().parents[2]


def binary_proba(scores: list[float] | np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    return np.stack([1 - scores, scores], axis=1)


def tiny_images(n: int, channels: int) -> ImageSet:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 6, 5, channels), dtype=np.uint8)
    return ImageSet(images, np.zeros(n, dtype=np.int64), [f"img/{i}.png" for i in range(n)])


def multiclass_evaluation(n: int = 40, classes: int = 4) -> Evaluation:
    rng = np.random.default_rng(1)
    test = tiny_images(n, 3)
    test.labels = rng.integers(0, classes, n)
    proba = rng.dirichlet(np.ones(classes), n)
    return Evaluation([f"class {c}" for c in range(classes)], test, proba)


def test_every_picture_is_written_and_roc_only_for_two_classes(tmp_path: Path) -> None:
    files = write_analysis(tmp_path / "multi", multiclass_evaluation(), threshold=None)
    names = {f.name for f in files}
    assert names == {*FIGURES, MISTAKES_FILE} - {"roc.png"}

    test = tiny_images(30, 1)
    test.labels = np.array([0, 1] * 15)
    scores = np.linspace(0.05, 0.95, 30)
    evaluation = Evaluation(["face", "non-face"], test, binary_proba(scores), test.labels, None)
    files = write_analysis(tmp_path / "binary", evaluation, threshold=0.3)
    assert {f.name for f in files} == {*FIGURES, MISTAKES_FILE}
    for path in files:
        assert path.stat().st_size > 0
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_gallery_shows_the_most_confident_mistakes_first() -> None:
    labels = np.array([0, 1, 2, 0, 1])
    proba = np.array(
        [
            [0.9, 0.05, 0.05],  # right
            [0.6, 0.3, 0.1],  # wrong at 0.6
            [0.1, 0.85, 0.05],  # wrong at 0.85
            [0.2, 0.1, 0.7],  # wrong at 0.7
            [0.2, 0.7, 0.1],  # right
        ]
    )
    assert worst_mistakes(labels, proba, 10).tolist() == [2, 3, 1]
    assert worst_mistakes(labels, proba, 2).tolist() == [2, 3]
    assert mistake_title("coat", "shirt", 0.931) == "coat not shirt (0.93)"


def test_mistakes_csv_lists_every_error_most_confident_first() -> None:
    evaluation = multiclass_evaluation()
    lines = mistakes_csv(evaluation).splitlines()
    wrong = evaluation.proba.argmax(axis=1) != evaluation.labels
    assert lines[0] == "name,true,predicted,confidence"
    assert len(lines) == 1 + wrong.sum()
    confidences = [float(line.rsplit(",", 1)[1]) for line in lines[1:]]
    assert confidences == sorted(confidences, reverse=True)


def test_report_links_each_runs_pictures(tmp_path: Path) -> None:
    points = expand_grid(load_config(REPO / "configs/demo.yaml"), BUILTIN_GRIDS["depth"])[:2]
    record_grid(tmp_path, BUILTIN_GRIDS["depth"], points, config="configs/demo.yaml")
    run_grid(points, tmp_path, SerialExecutor(fake_train))
    drawn = rundir.runs_dir(tmp_path) / points[0].run_id / rundir.ANALYSIS_DIR
    write_analysis(drawn, multiclass_evaluation(), threshold=None)
    write_report(tmp_path)
    markdown = (rundir.tables_dir(tmp_path) / "depth.md").read_text()
    assert "## Error analysis" in markdown
    links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", markdown)
    assert len(links) == 4  # one run drawn, no ROC for ten classes
    for link in links:
        assert (rundir.tables_dir(tmp_path) / link).is_file()
    assert f"No pictures yet for {points[1].run_id}" in markdown


@pytest.mark.slow
def test_train_and_eval_draw_the_pictures_and_agree_on_the_threshold(tmp_path: Path) -> None:
    from sigbench.experiments.evaluate import evaluate_run
    from sigbench.experiments.train import train_run

    config = validate_config(
        {
            "data": {"source": "builtin", "name": "lfw-faces", "image_size": 25},
            "model": {"kind": "simple_cnn"},
            "train": {"epochs": 3, "batch_size": 64},
        }
    )
    run = train_run(config, tmp_path, analysis=True)
    drawn = {p.name for p in (run.run_dir / rundir.ANALYSIS_DIR).iterdir()}
    assert drawn == {*FIGURES, MISTAKES_FILE}
    again = evaluate_run(run.run_dir, analysis=True)
    for key in ("accuracy", "hter", "threshold", "hter_val_threshold", "eer", "ece"):
        assert again[key] == pytest.approx(run.metrics[key]), key
    assert not [p for p in run.run_dir.iterdir() if p.name.startswith(".")]
