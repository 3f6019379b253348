"""The commands' wiring, in process: export, predict from the file, bench inference, and eval
with --robustness / --tta."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.errors import percent
from sigbench.export import bench


def invoke(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_export_then_predict_and_bench(
    rgb_sig_run: Path, rgb_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sig.pt"
    shown = invoke("export", rgb_sig_run, "--format", "torchscript", "--out", out)
    assert "same prediction" in shown and out.is_file()
    for side in ("export", "torch"):  # percent with two decimals, as every summary
        assert re.search(rf"accuracy \({side}, %\)\s*│\s*\d{{1,3}}\.\d\d\s", shown), shown
    image = next((rgb_folder / "test" / "blue").glob("*.png"))
    assert image.name in invoke("predict", out, image)

    monkeypatch.setattr(bench, "LATENCY_REPEATS", 3)
    monkeypatch.setattr(bench, "THROUGHPUT_REPEATS", 2)
    table = tmp_path / "inference.csv"
    shown = invoke("bench", "inference", rgb_sig_run, "--out", table)
    # The header's words may fold at the terminal's width: the file holds the columns.
    assert "ms per image" in shown and "latency_p95_ms" in pd.read_csv(table).columns


def test_eval_with_robustness_and_tta(rgb_cnn_run: Path) -> None:
    shown = invoke("eval", rgb_cnn_run, "--robustness", "flip,noise", "--tta", "hflip")
    assert "accuracy_tta_hflip" in shown and "noise" in shown
    assert "accuracy_tta_hflip (%)" in shown and "tta_gain (points)" in shown
    first = pd.read_csv(rgb_cnn_run / "robustness.csv").iloc[0]
    assert "accuracy (%)" in shown and percent(first["accuracy"]) in shown  # the file: a fraction
    assert (rgb_cnn_run / "robustness.csv").is_file() and (rgb_cnn_run / "robustness.png").is_file()


def test_eval_robustness_repeated_is_the_comma_list(rgb_cnn_run: Path) -> None:
    """``--robustness flip --robustness noise,flip`` scores flip and noise once each, in order,
    exactly as ``--robustness flip,noise`` does."""
    table = rgb_cnn_run / "robustness.csv"
    invoke("eval", rgb_cnn_run, "--robustness", "flip,noise")
    by_commas = pd.read_csv(table)
    invoke("eval", rgb_cnn_run, "--robustness", "flip", "--robustness", "noise,flip")
    repeated = pd.read_csv(table)
    assert list(dict.fromkeys(repeated["transform"])) == ["flip", "noise"]
    pd.testing.assert_frame_equal(repeated, by_commas)
