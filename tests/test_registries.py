"""A library user's ``load_config`` / ``validate_config`` work in a fresh interpreter with
no ``import sigbench.models`` first: the ``sigbench`` package hands the config the loader
of its registries (model kinds, the ``data.channels: auto`` probe), which imports them on
the first check, and not before (the light paths stay free of torch)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def _in_a_fresh_interpreter(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_load_config_loads_the_model_kinds_it_checks_against_and_only_then() -> None:
    code = (
        "import sys\n"
        "import sigbench.cli, sigbench.config as config\n"
        "print('torch' in sys.modules)\n"
        "spec = config.load_config('configs/demo.yaml', ['model.kind=simple_cnn'])\n"
        "print(spec.model.kind, type(spec.model).__name__ != 'ModelConfig')\n"
    )
    assert _in_a_fresh_interpreter(code) == ["False", "simple_cnn", "True"]


def test_validate_config_resolves_data_channels_auto_with_the_data_probe(tmp_path: Path) -> None:
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        Image.new("L", (8, 8), 40).save(tmp_path / label / "0.png")
    data = {"source": "imagefolder", "train": str(tmp_path), "image_size": 8}
    code = (
        "from sigbench.config import validate_config\n"
        f"print(validate_config({{'data': {data!r}}}).data.channels)\n"
    )
    assert _in_a_fresh_interpreter(code) == ["1"]
