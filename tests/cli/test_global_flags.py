"""``-v`` / ``--verbose`` and ``--debug`` work before and after the command."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sigbench.cli as cli
from sigbench.errors import SigbenchError


@pytest.mark.parametrize("flag", ["-v", "--verbose"])
def test_verbose_after_the_command_turns_on_info_messages(flag: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["train", str(tmp_path / "absent.yaml"), flag])
    assert "No such option" not in result.output
    assert isinstance(result.exception, SigbenchError)
    assert "absent.yaml: no such config file" in str(result.exception)
    assert logging.getLogger().level == logging.INFO
    cli.setup_logging(False)


def test_debug_after_the_command_keeps_the_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(cli._state, "debug", False)
    monkeypatch.setattr(sys, "argv", ["sigbench", "train", str(tmp_path / "x.yaml"), "--debug"])
    with pytest.raises(SigbenchError, match="no such config file"):
        cli.main()  # without --debug: one red line and exit status 2


def test_a_flag_after_double_dash_is_left_to_the_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.app, ["train", "--", "-v"])
    assert "-v: no such config file" in str(result.exception)
