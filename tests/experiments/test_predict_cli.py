"""``sigbench predict`` on folders, as the HTER hand-in uses it: from a run and from an export."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sigbench.data.decode import decode_files
from sigbench.experiments.exports import export_run
from sigbench.experiments.predict import open_predictor
from tests.helpers.cli import REPO, RunCli

pytestmark = pytest.mark.e2e

# `sigbench predict` in this process, then the heavy libraries it loaded.
LOADED_BY_PREDICT = """
import sys
from sigbench.cli import main
sys.argv = ["sigbench", "predict", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
heavy = ("torch", "torchvision", "timm", "sklearn", "scipy", "matplotlib")
print("loaded:", [name for name in heavy if name in sys.modules])
"""


@pytest.fixture(scope="module")
def numbered(rgb_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 test images renamed 1.png ... 12.png (reds, then blues)."""
    folder = tmp_path_factory.mktemp("numbered")
    sources = [p for c in ("red", "blue") for p in sorted((rgb_folder / "test" / c).glob("*"))]
    for number, path in enumerate(sources[:12], start=1):
        shutil.copy(path, folder / f"{number}.png")
    return folder


@pytest.fixture(scope="module")
def exported(rgb_sig_run: Path) -> Path:
    return export_run(rgb_sig_run, "onnx").path


def test_labels_for_a_numbered_folder_from_a_run(
    run_cli: RunCli, rgb_sig_run: Path, numbered: Path, tmp_path: Path
) -> None:
    folder = numbered
    (folder / "notes.txt").write_text("not an image")  # reported, skipped, line kept blank
    out = tmp_path / "labels.txt"
    done = run_cli("predict", rgb_sig_run, folder, "--format", "labels", "--out", out)
    (folder / "notes.txt").unlink()
    assert done.returncode == 0, done.stderr
    assert "1 of 13 files could not be read" in done.stderr
    lines = out.read_text().split("\n")[:-1]
    assert len(lines) == 13 and lines[-1] == ""  # notes.txt sorts after the numbered files
    predictor = open_predictor(rgb_sig_run)
    in_order = [folder / f"{n}.png" for n in range(1, 13)]  # numeric, not 1, 10, 11, 12, 2
    images = decode_files(in_order, predictor.size, predictor.channels, strict=True).images
    expected = [predictor.classes[k] for k in predictor.proba(images).argmax(axis=1)]
    assert lines[:12] == expected
    assert "13 images in" in done.stdout and "images/s" in done.stdout


def test_csv_from_an_onnx_export_and_strict(
    run_cli: RunCli, exported: Path, numbered: Path, tmp_path: Path
) -> None:
    folder = numbered
    done = run_cli("predict", exported, folder / "2.png", folder, "--proba")
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()
    assert rows[0] == "path,label,probability,blue,red"
    assert [Path(r.split(",")[0]).name for r in rows[1:4]] == ["2.png", "1.png", "2.png"]
    assert len(rows) == 1 + 1 + 12

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"broken")
    done = run_cli("predict", exported, bad, "--strict")
    assert done.returncode != 0 and "bad.jpg: not a readable image" in done.stderr


def test_an_onnx_file_is_scored_without_torch(exported: Path, numbered: Path) -> None:
    """The deployed file needs onnxruntime only: no torch, no model code, no scikit-learn or
    scipy."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED_BY_PREDICT, str(exported), str(numbered)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(".png,") == 12  # it did score the folder
    assert done.stdout.rstrip().endswith("loaded: []"), done.stdout[-300:]
