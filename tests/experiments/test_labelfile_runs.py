"""A label-file run after training: ``predict`` lists its folders as training did, one
line per numbered image, and ``eval --data --labels`` scores it on other numbered images."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sigbench.cli as cli
from sigbench.data.listing import list_inputs, numbered_images
from sigbench.errors import SigbenchError
from sigbench.runs import rundir


@pytest.fixture
def hand_in(labelfile_data: Path, tmp_path: Path) -> Path:
    """The test images 1.png..24.png plus what a user's folder collects: the label file,
    a copy made by a file manager and a stray text file."""
    folder = tmp_path / "hand-in"
    shutil.copytree(labelfile_data / "test", folder)
    shutil.copy(labelfile_data / "test_labels.txt", folder / "labels.txt")
    shutil.copy(folder / "1.png", folder / "Copy of 1.png")
    (folder / "notes.txt").write_text("not an image\n")
    return folder


def invoke(*args: str | Path) -> str:
    result = CliRunner().invoke(cli.app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.output


def test_numbered_listing_skips_other_files_with_one_warning(
    hand_in: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        found = numbered_images(hand_in, "data.test")
    assert [p.name for p in found.paths] == [f"{n}.png" for n in range(1, 25)]
    assert found.missing == []
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "ignoring 3 files" in warning and "Copy of 1.png, labels.txt, notes.txt" in warning


def test_a_gap_in_the_numbering_is_named(hand_in: Path, caplog: pytest.LogCaptureFixture) -> None:
    (hand_in / "5.png").unlink()
    (hand_in / "9.png").unlink()
    with caplog.at_level(logging.WARNING):
        found = numbered_images(hand_in, "data.test")
    assert found.missing == [5, 9] and len(found.paths) == 22
    assert any("gap in its numbering (missing 5, 9)" in r.getMessage() for r in caplog.records)


def test_a_label_count_mismatch_names_the_missing_number(labelfile_data: Path, tmp_path) -> None:
    from sigbench.config import data_config
    from sigbench.data import load_splits

    folder = tmp_path / "train"
    shutil.copytree(labelfile_data / "train", folder)
    (folder / "5.png").unlink()
    labels = labelfile_data / "train_labels.txt"
    cfg = data_config(source="labelfile", train=folder, labels=labels, image_size=4)
    with pytest.raises(
        SigbenchError, match=r"has 60 labels but .* has 59 numbered images \(missing 5\)"
    ):
        load_splits(cfg, seed=0)


def test_predict_labels_for_a_label_file_run_one_line_per_numbered_image(
    labelfile_run: Path, hand_in: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labels.txt"
    invoke("predict", labelfile_run, hand_in, "--format", "labels", "--out", out)
    lines = out.read_text().splitlines()
    assert len(lines) == 24 and set(lines) <= {"0", "1"}
    csv_out = tmp_path / "predictions.csv"
    invoke("predict", labelfile_run, hand_in, "--out", csv_out)
    paths = [row.split(",")[0] for row in csv_out.read_text().splitlines()[1:]]
    assert paths == [str(hand_in / f"{n}.png") for n in range(1, 25)]
    assert list_inputs([hand_in], numbered=False)[-3:] != list_inputs([hand_in], numbered=True)[-3:]


def test_an_export_of_a_label_file_run_lists_folders_by_number(
    labelfile_run: Path, hand_in: Path, tmp_path: Path
) -> None:
    from sigbench.experiments.exports import export_run

    exported = export_run(labelfile_run, "onnx", out=tmp_path / "model.onnx").path
    out = tmp_path / "labels.txt"
    invoke("predict", exported, hand_in, "--format", "labels", "--out", out)
    assert len(out.read_text().splitlines()) == 24


def test_eval_scores_a_label_file_run_on_other_numbered_images(
    labelfile_run: Path, labelfile_data: Path, tmp_path: Path
) -> None:
    from sigbench.experiments.evaluate import evaluate_run
    from sigbench.experiments.inputs import EvalData

    folder = tmp_path / "other"  # the run's own test images, given as other data
    shutil.copytree(labelfile_data / "test", folder)
    labels = labelfile_data / "test_labels.txt"
    again = evaluate_run(labelfile_run, test_data=EvalData(folder, labels))
    own = rundir.read_metrics(labelfile_run)
    assert again["n_test"] == 24 and again["accuracy"] == own["accuracy"]
    shown = invoke("eval", labelfile_run, "--data", folder, "--labels", labels)
    assert "accuracy" in shown and "24" in shown


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--data", "{missing}"], "--data {missing}: no such file or folder"),
        (["--data", "{test}", "--labels", "{missing}"], "--labels {missing}: no such file"),
        (["--data", "{test}"], "is a label-file run; add --labels FILE"),
        (["--labels", "{labels}"], "--labels goes with --data"),
    ],
)
def test_eval_data_problems_are_one_line_each(
    labelfile_run: Path, labelfile_data: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    places = {
        "missing": tmp_path / "nowhere",
        "test": labelfile_data / "test",
        "labels": labelfile_data / "test_labels.txt",
    }
    result = CliRunner().invoke(
        cli.app, ["eval", str(labelfile_run), *(a.format(**places) for a in args)]
    )
    assert isinstance(result.exception, SigbenchError)
    assert expected.format(**places) in str(result.exception)


def test_labels_with_an_image_folder_run_is_an_error(
    rgb_sig_run: Path, rgb_folder: Path, tmp_path: Path
) -> None:
    from sigbench.experiments.evaluate import evaluate_run
    from sigbench.experiments.inputs import EvalData

    labels = tmp_path / "labels.txt"
    labels.write_text("1\n")
    with pytest.raises(SigbenchError, match="data.source: imagefolder, .*; drop --labels"):
        evaluate_run(rgb_sig_run, test_data=EvalData(rgb_folder / "test", labels))
    scored = evaluate_run(rgb_sig_run, test_data=EvalData(rgb_folder / "test"))
    assert scored["n_test"] == 24
