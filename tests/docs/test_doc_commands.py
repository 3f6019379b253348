"""The commands that README.md and docs/getting-started.md show are run, and their output checked.

A code block preceded by ``<!-- doc-test -->`` holds commands (lines starting with ``$ ``),
each followed by its expected output, abridged. Every block of the getting-started page runs
in order in one fresh folder (holding a copy of ``configs/`` and ``scripts/``), so a renamed
option, a changed default or a changed output fails here rather than on a reader. The
README's quickstart is that session's first commands: a test checks that each README
command is in the session with the same expected lines (so it is run and checked there
without training everything twice).

Matching is doctest-like and tolerant of layout: the output and each expected line are
compared with runs of whitespace collapsed (so table padding and line wrapping do not
matter), expected lines must appear in order, and ``...`` stands for any text (alone on a
line: any lines). ``sigbench`` commands run in-process through Typer's ``CliRunner``;
``python scripts/...`` commands run as a subprocess. Globs in arguments are expanded.
"""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sigbench.cli import app

REPO = Path(__file__).resolve().parents[2]
SESSION_PAGE = "docs/getting-started.md"
MARKER = "<!-- doc-test -->"
ELLIPSIS = "..."


@dataclass
class DocCommand:
    line: str
    expected: list[str] = field(default_factory=list)


def doc_sessions(text: str) -> list[DocCommand]:
    """The commands of every marked block of a page, in order, with their expected lines."""
    commands: list[DocCommand] = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        fence = lines[index + 1]
        assert fence.startswith("```"), f"{MARKER} must come right before a code block: {fence!r}"
        for body in lines[index + 2 :]:
            if body.startswith("```"):
                break
            if body.startswith("$ "):
                commands.append(DocCommand(body[2:].strip()))
            elif commands:
                commands[-1].expected.append(body)
            else:
                raise AssertionError(f"output before any command in a {MARKER} block: {body!r}")
    return commands


def _normalize(text: str) -> str:
    return " ".join(text.split())


def missing_lines(output: str, expected: list[str]) -> list[str]:
    """The expected lines (``...`` as a wildcard) not found in order in ``output``."""
    haystack, position, missing = _normalize(output), 0, []
    for line in expected:
        pattern = _normalize(line)
        if not pattern or pattern == ELLIPSIS:
            continue
        regex = ".*?".join(re.escape(part.strip()) for part in pattern.split(ELLIPSIS))
        found = re.compile(regex).search(haystack, position)
        if found is None:
            missing.append(line)
        else:
            position = found.end()
    return missing


def _expand(arguments: list[str], cwd: Path) -> list[str]:
    expanded = []
    for argument in arguments:
        if any(char in argument for char in "*?["):
            matches = sorted(glob.glob(argument, root_dir=cwd))
            assert matches, f"{argument!r} matches nothing in {cwd}"
            expanded += matches
        else:
            expanded.append(argument)
    return expanded


def run_command(line: str, cwd: Path) -> str:
    """Run one documented command in ``cwd``; its stdout and stderr, or a failed test."""
    program, *arguments = shlex.split(line)
    arguments = _expand(arguments, cwd)
    if program == "sigbench":
        result = CliRunner().invoke(app, arguments, env={"COLUMNS": "80"})
        if result.exit_code != 0:
            raise AssertionError(
                f"$ {line}\nexit {result.exit_code}: {result.exception!r}\n{result.output}"
            )
        return result.output
    if program == "python" and arguments[0].startswith("scripts/"):
        done = subprocess.run(
            [sys.executable, *arguments], cwd=cwd, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"$ {line}\n{done.stdout}{done.stderr}"
        return done.stdout + done.stderr
    raise AssertionError(f"{MARKER} blocks run sigbench and python scripts/ only: {line!r}")


def test_the_marker_finds_commands_and_their_output() -> None:
    text = f"intro\n{MARKER}\n```console\n$ sigbench a\nout 1\n...\n$ sigbench b\n```\n```\n$ no"
    commands = doc_sessions(text)
    assert [c.line for c in commands] == ["sigbench a", "sigbench b"]
    assert commands[0].expected == ["out 1", "..."]
    assert missing_lines("x out  1 y\nz", commands[0].expected) == []
    assert missing_lines("out 2", ["out ...1"]) == ["out ...1"]
    assert missing_lines("b then a", ["a", "b"]) == ["b"]  # in order


def test_the_readme_quickstart_is_part_of_the_getting_started_session() -> None:
    readme = doc_sessions((REPO / "README.md").read_text())
    session = {command.line: command for command in doc_sessions((REPO / SESSION_PAGE).read_text())}
    assert len(readme) >= 5, f"README.md: expected the quickstart's commands, got {readme}"
    for command in readme:
        assert command.line in session, f"README.md: $ {command.line} is not in {SESSION_PAGE}"
        expected = [line for line in command.expected if line.strip() != ELLIPSIS]
        shown = "\n".join(session[command.line].expected)
        assert not missing_lines(shown, expected), (
            f"README.md: $ {command.line}: these lines are not checked by {SESSION_PAGE}: "
            f"{missing_lines(shown, expected)}"
        )


@pytest.mark.e2e
@pytest.mark.slow
def test_getting_started_commands_run_and_print_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = doc_sessions((REPO / SESSION_PAGE).read_text())
    for folder in ("configs", "scripts"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    for command in commands:
        output = run_command(command.line, tmp_path)
        missing = missing_lines(output, command.expected)
        assert not missing, f"$ {command.line}\nnot in the output: {missing}\n{output}"
