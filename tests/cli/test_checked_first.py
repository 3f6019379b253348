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


def usage_error_of(*args: str) -> str:
    """The message of a usage error, which is one line (exit status 2): ``error: COMMAND:
    MESSAGE (options: COMMAND --help)``."""
    result = CliRunner().invoke(cli.app, list(args))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    label, command, message = lines[0].split(": ", 2)
    assert label == "error" and command.startswith("sigbench"), lines[0]
    message, pointer = message.rsplit(" (options: ", 1)
    assert pointer == f"{command} --help)", lines[0]
    return message


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (
            ["--robustness", "scale,blur"],
            "Invalid value for '--robustness': 'blur' is not one of scale, flip, brightness, "
            "noise, rotation",
        ),
        (
            ["--robustness", "scale", "--robustness", "blur"],
            "Invalid value for '--robustness': 'blur' is not one of scale, flip, brightness, "
            "noise, rotation",
        ),
        (
            ["--tta", "sideways"],
            "Invalid value for '--tta': 'sideways' is not one of flips, hflip",
        ),
        (
            ["--equivariance", "--transform", "shear"],
            "Invalid value for '--transform': 'shear' is not one of scale, rotate",
        ),
    ],
)
def test_eval_choices_are_checked_before_the_run_is_opened(
    option: list[str], expected: str, tmp_path: Path
) -> None:
    """The run folder does not even exist: the choice is the first thing checked."""
    assert usage_error_of("eval", str(tmp_path / "no-run"), *option) == expected


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--scales", "0.5,x"], "--scales '0.5,x': expected comma-separated factors"),
        (["--scales", "0.5", "--scales", "x"], "--scales '0.5,x': expected comma-separated"),
        (
            ["--transform", "rotate", "--angles", "15", "--angles", "400,30"],
            "--angles '15,400,30': expected comma-separated degrees",
        ),
    ],
)
def test_eval_amount_lists_are_checked_before_the_run_is_opened(
    option: list[str], expected: str, tmp_path: Path
) -> None:
    """Repeated and comma-separated amounts are one list, checked as a whole first."""
    message = error_of("eval", str(tmp_path / "no-run"), "--equivariance", *option)
    assert message.startswith(expected)


def test_predict_with_a_missing_export_says_the_file_is_missing(tmp_path: Path) -> None:
    (tmp_path / "1.png").write_bytes(b"")
    missing = tmp_path / "missing.onnx"
    assert error_of("predict", str(missing), str(tmp_path)) == f"{missing}: no such file"


def test_predict_format_is_checked_first(tmp_path: Path) -> None:
    message = usage_error_of("predict", str(tmp_path / "no-run"), str(tmp_path), "--format", "tsv")
    expected = "Invalid value for '--format': 'tsv' is not one of csv, labels"
    assert message == expected


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (
            ["--format", "tflite"],
            "Invalid value for '--format' / '-f': 'tflite' is not one of onnx, torchscript, c",
        ),
        (
            ["--quantize", "int4"],
            "Invalid value for '--quantize' / '-q': 'int4' is not one of none, int8",
        ),
    ],
)
def test_export_choices_are_checked_before_the_run_is_opened(
    option: list[str], expected: str, tmp_path: Path
) -> None:
    assert usage_error_of("export", str(tmp_path / "no-run"), *option) == expected


@pytest.mark.parametrize(
    ("args", "command", "message"),
    [
        (["trian"], "sigbench", "No such command 'trian'. Did you mean 'train'?"),
        (["train", "--bogus"], "sigbench train", "No such option: --bogus"),
        (["predict"], "sigbench predict", "Missing argument 'RUN_OR_EXPORT'."),
        (["bench", "inference", "--bogus"], "sigbench bench inference", "No such option"),
    ],
)
def test_every_usage_error_is_one_line_naming_the_command(
    args: list[str], command: str, message: str
) -> None:
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        line for line in result.output.strip().splitlines() if line.startswith("error: ")
    ]
    assert result.output.startswith(f"error: {command}: {message}")
    assert result.output.rstrip().endswith(f"(options: {command} --help)")


def test_no_arguments_still_print_the_help() -> None:
    result = CliRunner().invoke(cli.app, [])
    assert "Usage: sigbench [OPTIONS] COMMAND" in result.output
    assert "error:" not in result.output
