"""Wrong choices and missing files are reported before any work, naming what was given."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sigbench.cli as cli
from sigbench.errors import SigbenchError


def error_of(*args: str) -> str:
    result = CliRunner().invoke(cli.app, list(args))
    assert isinstance(result.exception, SigbenchError), result.output
    return str(result.exception)


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--robustness", "scale,blur"], "--robustness 'scale,blur': choose from scale, "),
        (["--tta", "sideways"], "--tta 'sideways': choose one of flips, hflip"),
    ],
)
def test_eval_choices_are_checked_before_the_run_is_opened(
    option: list[str], expected: str, tmp_path: Path
) -> None:
    """The run folder does not even exist: the choice is the first thing checked."""
    assert error_of("eval", str(tmp_path / "no-run"), *option).startswith(expected)


def test_predict_with_a_missing_export_says_the_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "1.png").write_bytes(b"")
    missing = tmp_path / "missing.onnx"
    assert error_of("predict", str(missing), str(tmp_path)) == f"{missing}: no such file"


def test_predict_format_is_checked_first(tmp_path: Path) -> None:
    message = error_of("predict", str(tmp_path / "no-run"), str(tmp_path), "--format", "tsv")
    assert message == "--format 'tsv': choose csv or labels"


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--format", "tflite"], "--format 'tflite': choose one of onnx, torchscript, c"),
        (["--quantize", "int4"], "--quantize 'int4': choose one of none, int8"),
    ],
)
def test_export_choices_are_checked_before_the_run_is_opened(
    option: list[str], expected: str, tmp_path: Path
) -> None:
    assert error_of("export", str(tmp_path / "no-run"), *option) == expected
