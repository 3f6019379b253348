"""``sigbench ablate --grid NAME`` without CONFIG starts from configs/demo.yaml, a path
relative to the repository root; elsewhere the error says that default is what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import REPO, RunCli, one_error_line


def test_outside_the_repository_the_error_names_the_missing_default(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_error_line(run_cli("ablate", "--grid", "depth", "--print-config"))
    assert line.startswith("error: no CONFIG given, and the default configs/demo.yaml is not here")
    assert "sigbench ablate spec.yaml --grid depth" in line


def test_in_the_repository_the_default_is_used(
    run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    done = run_cli("ablate", "--grid", "depth", "--print-config")
    assert done.returncode == 0, done.stderr
    assert "name: demo" in done.stdout and "point 10 of 10" in done.stdout
