"""What each make target would run on a fresh clone (``make -n`` in a copy with no .venv):
a target installs what it needs and nothing it does not."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def planned(target: str, tmp_path: Path) -> str:
    """The commands ``make -n TARGET`` lists in a fresh copy of the Makefile."""
    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed (Debian: apt-get install make)")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    done = subprocess.run(
        ["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_docs_installs_the_docs_tools_without_the_test_suite_s_debian_tools(
    tmp_path: Path,
) -> None:
    plan = planned("docs", tmp_path)
    assert "-e '.[docs]'" in plan and "mkdocs build --strict" in plan
    assert "apt-get" not in plan and "[dev" not in plan


def test_demo_installs_sigbench_alone(tmp_path: Path) -> None:
    plan = planned("demo", tmp_path)
    assert "--no-build-isolation -e ." in plan and "sigbench train configs/demo.yaml" in plan
    assert "apt-get" not in plan and ".[" not in plan


def test_test_installs_every_extra_and_runs_lint_first(tmp_path: Path) -> None:
    plan = planned("test", tmp_path)
    assert "-e '.[dev,docs,ray,mlflow,tensorboard,tune]'" in plan
    assert plan.index("lint-imports") < plan.index("-m pytest")


def test_lint_installs_the_lint_tools_without_the_debian_tools(tmp_path: Path) -> None:
    plan = planned("lint", tmp_path)
    assert "-e '.[dev]'" in plan and "lint-imports" in plan
    assert "apt-get" not in plan


def test_install_dev_marks_the_docs_and_lint_extras_installed(tmp_path: Path) -> None:
    """It installs both, so a later make docs or make lint installs nothing again."""
    plan = planned("install-dev", tmp_path)
    assert "touch .venv/.installed-docs .venv/.installed-lint .venv/.installed-dev" in plan
