"""Running the CLI as a user does, and reading what a run wrote.

``run_main`` (the ``run_cli`` fixture) runs ``sigbench.cli.main`` in this process: the exit
status, stdout and stderr a user sees, without starting Python and torch again.
``sigbench`` starts ``python -m sigbench`` in a subprocess, for the few tests that are about
the process itself (a smoke test of the entry point, kill -9, the modules loaded).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    """What a finished command left: the fields of ``subprocess.CompletedProcess`` it has."""

    returncode: int
    stdout: str
    stderr: str


RunCli = Callable[..., Outcome]  # the run_cli fixture: run_main with pytest's capture bound


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Outcome:
    """``sigbench ARGS`` in this process, through ``main`` (user errors: one line, status 2)."""
    from sigbench.cli import main

    capsys.readouterr()  # what earlier steps printed is not this command's
    argv, sys.argv = sys.argv, ["sigbench", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def sigbench(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``python -m sigbench ARGS`` in a subprocess, as a user starts it."""
    env = {**os.environ, "COLUMNS": "200", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "sigbench", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_error_line(done: Outcome | subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed: status 2, no traceback, nothing else."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def only_run(results: Path) -> Path:
    runs = [p for p in (results / "runs").iterdir() if not p.name.startswith(".")]
    assert len(runs) == 1, runs
    return runs[0]


def metrics_of(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())
