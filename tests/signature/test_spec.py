"""One SignatureSpec: its checks, its lengths against the features computed, and its
lightness (the config builds on it, and the light CLI paths load the config)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.errors import SigbenchError
from sigbench.options import PATH_TRANSFORMS
from sigbench.signature import ImageSignatureLayer, SignatureSpec, image_signatures
from sigbench.signature.lyndon import lyndon_words
from sigbench.signature.spec import MAX_DEPTH, lyndon_word_count
from tests.helpers.signatures import random_images


@pytest.mark.parametrize("alphabet", [1, 2, 3, 4, 6])
def test_witts_formula_counts_the_lyndon_words(alphabet: int) -> None:
    for depth in range(1, 6):
        assert lyndon_word_count(alphabet, depth) == len(lyndon_words(alphabet, depth))


@pytest.mark.parametrize("path", PATH_TRANSFORMS)
@pytest.mark.parametrize("log_sig", [False, True], ids=["sig", "logsig"])
@pytest.mark.parametrize("channels", [1, 3])
def test_feature_shape_is_what_every_implementation_returns(
    path: str, log_sig: bool, channels: int
) -> None:
    spec = SignatureSpec(3, two_direction=True, log_sig=log_sig, path=path)
    images = random_images((2, 5, 4, channels))
    expected = (2, *spec.feature_shape(images.shape))
    assert expected == (2, 9, spec.length(channels))
    assert image_signatures(images, 3, two_direction=True, log_sig=log_sig, path=path).shape == (
        expected
    )
    layer = ImageSignatureLayer(spec)
    assert tuple(layer(torch.from_numpy(images).double() / 255).shape) == expected


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"depth": 0}, "signature.depth = 0: Input should be greater than or equal to 1"),
        ({"depth": MAX_DEPTH + 1}, "signature.depth = 9: Input should be less than or equal to 8"),
        ({"depth": 2.5}, "signature.depth = 2.5: Input should be a valid integer"),
        ({"path": "zigzag"}, "signature.path = 'zigzag': Input should be 'none', 'time'"),
        ({"backend": "gpu"}, "signature.backend = 'gpu': Input should be 'auto', 'lanes'"),
    ],
)
def test_a_bad_setting_is_a_one_line_error(settings: dict, message: str) -> None:
    with pytest.raises(SigbenchError, match=message):
        SignatureSpec(**settings)


def test_a_spec_is_frozen_and_numpy_values_become_python_values() -> None:
    spec = SignatureSpec(np.int64(3), np.bool_(True))
    assert type(spec.depth) is int and type(spec.two_direction) is bool
    assert spec == SignatureSpec(3, True)
    with pytest.raises(FrozenInstanceError):
        spec.depth = 4  # type: ignore[misc]


def test_the_config_loads_without_torch_or_numpy() -> None:
    code = (
        "import sys, sigbench.config as c\n"
        "assert c.SignatureSpec(3, log_sig=True, path='time').length(3) == 30\n"
        "print([m for m in ('torch', 'numpy') if m in sys.modules])\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == "[]"


def test_the_signature_command_checks_its_options_through_the_spec(tmp_path: Path) -> None:
    image = tmp_path / "image.png"
    Image.fromarray(random_images((1, 6, 6, 3))[0]).save(image)
    out = tmp_path / "figure.png"
    command = ["signature", str(image), "--out", str(out), "--size", "6", "--path", "time"]
    refused = CliRunner().invoke(app, [*command, "--depth", "9"])
    assert refused.exit_code == 2  # --depth takes the schema's bounds as it parses
    assert "'--depth': '9' should be less than or equal to 8" in " ".join(refused.output.split())
    drawn = CliRunner().invoke(app, [*command, "--depth", "2", "--npy", str(tmp_path / "m.npy")])
    assert drawn.exit_code == 0, drawn.output
    assert np.load(tmp_path / "m.npy").shape == (6, SignatureSpec(2, path="time").length(3))
    assert out.stat().st_size > 0


def test_the_config_reports_a_bad_setting_beside_an_unknown_key(tmp_path: Path) -> None:
    """The config checks the spec's settings field by field, so one problem does not hide
    another (an unknown key stops the dataclass's own __init__)."""
    from sigbench.config import load_config

    path = tmp_path / "spec.yaml"
    path.write_text("signature: {depth: 0, detph: 3}\n")
    with pytest.raises(SigbenchError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith("2 problems: ")
    assert "signature.depth = 0: Input should be greater than or equal to 1" in message
    assert "unknown key 'signature.detph'; allowed here: backend, depth, log_sig" in message
