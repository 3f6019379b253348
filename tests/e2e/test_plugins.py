"""A user's model kind without a fork: docs/examples/my_models.py, installed as a package
whose ``sigbench.models`` entry point names it, and loaded as a file with ``--plugin``.
Both train from the CLI, and the kind's keys are checked like a built-in's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sigbench.models.plugins import PLUGIN_FILES_ENV
from tests.helpers.cli import REPO, RunCli, metrics_of, only_run

pytestmark = pytest.mark.e2e

EXAMPLE = REPO / "docs" / "examples" / "my_models.py"


def sigbench_with(site: Path | None, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, with ``site`` (an install --target folder) on its path."""
    paths = [str(site)] if site else []
    env = {
        **os.environ,
        "COLUMNS": "200",
        "PYTHONWARNINGS": "ignore",
        "PYTHONPATH": os.pathsep.join([*paths, str(REPO)]),
    }
    env.pop(PLUGIN_FILES_ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "sigbench", *map(str, args)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip installs a one-module package declaring the entry point into a folder of its own
    (the shared environment stays as it was); that folder on PYTHONPATH is an environment
    with the plugin installed."""
    source = tmp_path_factory.mktemp("plugin-src")
    shutil.copy(EXAMPLE, source / "my_models.py")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "sigbench-example-plugin"\nversion = "0.1"\n'
        '[tool.setuptools]\npy-modules = ["my_models"]\n'
        '[project.entry-points."sigbench.models"]\npixel_mlp = "my_models"\n'
    )
    site = tmp_path_factory.mktemp("plugin-site")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    done = subprocess.run(
        [*pip, "--no-build-isolation", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(site.glob("sigbench_example_plugin-0.1.dist-info/entry_points.txt"))
    return site


@pytest.mark.slow
def test_an_installed_plugin_trains_from_the_cli(installed_plugin: Path, tmp_path: Path) -> None:
    done = sigbench_with(
        installed_plugin, "train", "configs/demo.yaml", "--results", tmp_path,
        "--set", "model.kind=pixel_mlp", "--set", "train.epochs=30",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = only_run(tmp_path)
    assert metrics_of(run)["accuracy"] > 0.5  # it learned: chance is 0.1 on ten digits
    assert "kind: pixel_mlp" in (run / "config.yaml").read_text()


def test_an_installed_plugins_keys_are_checked(
    installed_plugin: Path, tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = sigbench_with(
        installed_plugin, "train", "configs/demo.yaml", "--results", tmp_path,
        "--set", "model.kind=pixel_mlp", "--set", "model.hidden=0",
    )  # fmt: skip
    assert bad.returncode == 2, bad.stderr
    assert "model.hidden" in bad.stderr and "Traceback" not in bad.stderr
    unknown = sigbench_with(
        installed_plugin, "train", "configs/demo.yaml", "--set", "model.kind=nope"
    )
    assert "pixel_mlp" in unknown.stderr  # listed among the kinds to choose from
    listed = sigbench_with(installed_plugin, "list", "models")
    assert listed.returncode == 0 and "pixel_mlp" in listed.stdout, listed.stderr
    monkeypatch.delenv(PLUGIN_FILES_ENV, raising=False)  # this process has no plugin
    without = run_cli("train", "configs/demo.yaml", "--set", "model.kind=pixel_mlp")
    assert without.returncode == 2 and "'pixel_mlp' is not a known model" in without.stderr


@pytest.mark.slow
def test_a_plugin_file_trains_through_a_grid(tmp_path: Path) -> None:
    """--plugin: the file's kind in a grid with a built-in kind, points in worker processes."""
    grid = tmp_path / "plugin_grid.yaml"
    grid.write_text("model.kind: [pixel_mlp, imagesig_fc]\n")
    done = sigbench_with(
        None, "--plugin", EXAMPLE, "ablate", "--grid", grid, "--config", "configs/demo.yaml",
        "--results", tmp_path / "results", "--jobs", "2", "--set", "train.epochs=2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    kinds = {
        (run / "config.yaml").read_text().split("kind: ")[1].split()[0]
        for run in (tmp_path / "results" / "runs").iterdir()
        if (run / "metrics.json").is_file()
    }
    assert kinds == {"pixel_mlp", "imagesig_fc"}


def test_a_missing_plugin_file_is_one_line(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PLUGIN_FILES_ENV, raising=False)
    done = run_cli("--plugin", tmp_path / "nothere.py", "train", "configs/demo.yaml")
    assert done.returncode == 2
    assert "nothere.py: no such Python file" in done.stderr and "Traceback" not in done.stderr


def test_a_broken_plugin_file_names_its_error(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PLUGIN_FILES_ENV, raising=False)
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n")
    done = run_cli("--plugin", broken, "train", "configs/demo.yaml")
    assert done.returncode == 2
    assert "broken.py failed to load: ModuleNotFoundError" in done.stderr
    assert "Traceback" not in done.stderr
