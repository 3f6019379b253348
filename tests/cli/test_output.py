"""The CLI's progress display where stderr is no terminal (log files, CI)."""

from __future__ import annotations

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
    assert output.format_value([0.91234, 0.95]) == "[0.9123, 0.9500]"
    assert output.format_value(["a", "b"]) == "['a', 'b']"
