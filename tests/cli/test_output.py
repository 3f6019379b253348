"""What the CLI prints: progress where stderr is no terminal (log files, CI), and text
holding square brackets, which must never be read as rich markup."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from sigbench.cli import output


def test_progress_writes_lines_when_stderr_is_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "LINE_EVERY_S", 0.0)
    assert not output.errors.is_terminal  # pytest captures stderr
    with output.errors.capture() as captured, output.RichProgress().task("signatures", 3) as task:
        task.advance(2)
        task.update(description="epoch 2/3")
        task.advance(1)
    assert captured.get().splitlines() == ["signatures: 2/3", "epoch 2/3: 3/3"]


def test_progress_lines_are_throttled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "LINE_EVERY_S", 3600.0)
    with output.errors.capture() as captured, output.RichProgress().task("epochs", None) as task:
        for _ in range(100):
            task.advance()
    assert captured.get() == ""


def test_intervals_print_as_a_bracketed_pair_and_other_lists_as_they_are() -> None:
    assert output.format_value([0.91234, 0.95]) == "[0.9123, 0.95]"


def test_floats_show_four_significant_digits_without_padding() -> None:
    shown = [output.format_value(x) for x in (102.5, 0.012346, 7.0, 999.94, 1234.5)]
    assert shown == ["102.5", "0.01235", "7", "999.9", "1,234"]
    assert output.format_value(["a", "b"]) == "['a', 'b']"


BRACKETED = "pip install 'sigbench[tune]'; image_size [80, 60]; /data/run[1]/spec[final].yaml"


def test_an_error_holding_square_brackets_prints_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sigbench.cli as cli
    from sigbench.errors import SigbenchError

    def fails() -> None:
        raise SigbenchError(BRACKETED)

    monkeypatch.setattr(cli, "app", fails)
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    assert capsys.readouterr().err.split() == ["error:", *BRACKETED.split()]


def test_a_config_path_and_a_list_value_with_brackets_print_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sigbench.cli as cli

    spec = tmp_path / "run[1]" / "spec[tune].yaml"
    monkeypatch.setattr(sys, "argv", ["sigbench", "train", str(spec)])
    with pytest.raises(SystemExit):
        cli.main()
    assert f"{spec}: no such config file" in " ".join(capsys.readouterr().err.split())
    spec.parent.mkdir()
    spec.write_text("name: bracketed\n")
    monkeypatch.setattr(
        sys, "argv", ["sigbench", "train", str(spec), "--set", "data.image_size=[80, 60, 1]"]
    )
    with pytest.raises(SystemExit):
        cli.main()
    assert "[80, 60, 1]" in capsys.readouterr().err


def test_tables_and_styled_lines_keep_brackets() -> None:
    table = output.key_value_table("run [a]", {"hint": BRACKETED, "size": "[80, 60]"})
    with output.console.capture() as captured:
        output.console.print(table)
        output.console.print(output.labelled("failed", "red", "run[1]: [tune] missing"))
    text = " ".join(captured.get().split())
    assert "run [a]" in text and "[80, 60]" in text and "'sigbench[tune]';" in text
    assert "failed run[1]: [tune] missing" in text


def test_no_cli_module_writes_rich_markup() -> None:
    """The consoles print strings as they are, so a ``[red]...[/]`` tag would show as text."""
    cli_folder = Path(output.__file__).parent
    tagged = [
        f"{path.name}: {match.group()}"
        for path in sorted(cli_folder.glob("*.py"))
        for match in re.finditer(r"\[/[a-z ]*\]", path.read_text())
    ]
    assert tagged == []


def test_tune_without_optuna_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import sigbench.cli as cli

    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna raises ImportError
    monkeypatch.delitem(sys.modules, "sigbench.sweeps.study", raising=False)
    argv = ["sigbench", "tune", "configs/demo.yaml", "--space", "configs/spaces/imagesig.yaml"]
    monkeypatch.setattr(sys, "argv", [*argv, "--trials", "1", "--results", str(tmp_path)])
    with pytest.raises(SystemExit):
        cli.main()
    assert "pip install 'sigbench[tune]'" in capsys.readouterr().err


def test_each_warning_text_shows_once_per_command() -> None:
    """A sweep's ten runs on one data set warn alike: the user reads it once."""
    import logging

    output.setup_logging()
    log = logging.getLogger("sigbench.training.loop")
    with output.errors.capture() as captured:
        for _ in range(10):
            log.warning("train.batch_size is larger than the 500 training samples")
        log.warning("skipped 2 unreadable images")
        log.error("train.batch_size is larger than the 500 training samples")
    shown = captured.get()
    assert shown.count("larger than the 500 training samples") == 2  # the warning, the error
    assert shown.count("skipped 2 unreadable images") == 1
    output.setup_logging()  # the next command starts afresh
    with output.errors.capture() as captured:
        log.warning("skipped 2 unreadable images")
    assert "skipped 2 unreadable images" in captured.get()


def _columns(table: object, width: int) -> list[str]:
    """Each column's text read top to bottom (header, then the cells of a one-row table),
    as a table drawn ``width`` characters wide shows it, with the lines joined up again."""
    from rich.console import Console

    console = Console(width=width, markup=False, record=True, file=io.StringIO())
    console.print(table)
    texts: list[str] = []
    for line in console.export_text().splitlines():
        if line.strip()[:1] not in ("│", "┃"):
            continue  # the title and the rules
        cells = re.split("[│┃]", line.strip())[1:-1]
        texts += [""] * (len(cells) - len(texts))
        texts = [text + cell.strip() for text, cell in zip(texts, cells, strict=False)]
    return texts


def test_tables_at_80_columns_keep_every_character_of_every_cell() -> None:
    """A log file or a narrow terminal wraps a long path or header; it never cuts it."""
    path = "/tmp/results/runs/celeba_digits-841829c003/export/model-int8.onnx"
    pairs = _columns(output.key_value_table("export", {"file": path, "std": None}), 80)
    assert pairs == ["filestd", f"{path}-"]  # None shows as a dash
    record = {
        "model": "imagesig_fc", "variant": "onnx-int8", "file": path, "model_size_kb": 12.5,
        "latency_p95_ms": 0.25, "images_per_s": 3000.0, "hter": float("nan"),
    }  # fmt: skip
    shown = _columns(output.records_table("inference", [record]), 80)
    cells = ["imagesig_fc", "onnx-int8", path, "12.5", "0.25", "3,000", "-"]
    assert shown == [header + cell for header, cell in zip(record, cells, strict=True)]
