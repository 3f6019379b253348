"""SPACE.yaml parsing: choices, float and integer ranges, and one-line errors before training."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigbench.config import load_config
from sigbench.errors import SigbenchError
from sigbench.sweeps.space import Choice, Range, load_space

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def space(tmp_path: Path, text: str):
    path = tmp_path / "space.yaml"
    path.write_text(text)
    return load_space(path, load_config(DEMO))


def test_lists_are_choices_and_mappings_ranges(tmp_path: Path) -> None:
    parsed = space(
        tmp_path,
        "signature.path: [none, time, lead_lag]\n"
        "signature.two_direction: [true, false]\n"
        "model.neurons: {low: 16, high: 256, log: true}\n"
        "train.lr: {low: 1.0e-4, high: 1.0e-2, log: true}\n"
        "model.dropout: {low: 0.0, high: 0.5, step: 0.1}\n"
        "data.augment: [[], [flip_horizontal]]\n",
    )
    assert parsed.params["signature.path"] == Choice(("none", "time", "lead_lag"))
    assert parsed.params["signature.two_direction"] == Choice((True, False))
    neurons, lr = parsed.params["model.neurons"], parsed.params["train.lr"]
    assert neurons == Range(16, 256, log=True) and neurons.integer
    assert lr == Range(1e-4, 1e-2, log=True) and not lr.integer
    assert parsed.params["model.dropout"].step == 0.1
    assert parsed.params["data.augment"] == Choice(([], ["flip_horizontal"]))


def test_fingerprint_follows_the_ranges(tmp_path: Path) -> None:
    one = space(tmp_path, "model.neurons: {low: 16, high: 256}\n").fingerprint()
    assert one == space(tmp_path, "model.neurons: {low: 16, high: 256}\n").fingerprint()
    assert one != space(tmp_path, "model.neurons: {low: 16, high: 255}\n").fingerprint()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("signature.dept: [3, 4]", "unknown key 'signature.dept'; allowed here: backend, depth"),
        ("signatur.depth: [3]", "signatur.depth: 'signatur' is not a section"),
        ("signature: [3]", "'signature' is a section; name one of its settings"),
        ("seed.x: [3]", "seed.x: 'seed' is not a section"),
        ("signature.depth: 3", "signature.depth = 3: expected a list of choices or a range"),
        ("signature.depth: []", "signature.depth = []: list at least one value"),
        ("signature.depth: [3, 3]", "signature.depth lists 3 twice"),
        ("signature.path: [time, spline]", "signature.path = 'spline'"),
        ("signature.depth: {low: 0, high: 4}", "signature.depth = 0: Input should be greater"),
        ("signature.depth: {low: 1, high: 12}", "signature.depth = 12: Input should be less"),
        ("model.neurons: {low: 16.0, high: 256.0}", "got a number with a fractional part"),
        ("train.lr: {low: 0.01, high: 0.001}", "train.lr: low 0.01 must be below high 0.001"),
        ("train.lr: {low: 0.01, high: 0.01}", "must be below high"),
        ("train.lr: {low: 0, high: 0.1, log: true}", "a log range needs low > 0"),
        ("train.lr: {low: 1e-4, high: 0.1, log: yes please}", "train.lr.log = 'yes please'"),
        ("train.lr: {low: 1e-4, hi: 0.1}", "unknown range key 'hi'; allowed: low, high"),
        ("train.lr: {low: 1.0e-4}", "train.lr.high = None: a range needs numbers"),
        ("train.lr: {low: x, high: 0.1}", "train.lr.low = 'x'"),
        ("model.neurons: {low: 8, high: 64, step: 2.5}", "step = 2.5: expected a positive integer"),
        ("model.neurons: {low: 8, high: 64, step: 100}", "step = 100 is wider than the range"),
        ("model.neurons: {low: 8, high: 64, step: 2, log: true}", "give step or log, not both"),
        ("[1, 2]", "expected a mapping of config keys"),
        ("model.neurons: [16\n", "YAML does not parse"),
    ],
)
def test_bad_spaces_are_one_line_errors_naming_file_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SigbenchError) as caught:
        space(tmp_path, text)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(str(tmp_path / "space.yaml")) and message in text


def test_a_missing_space_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SigbenchError, match="no-such.yaml: no such search-space file"):
        load_space(tmp_path / "no-such.yaml", load_config(DEMO))


def test_exponents_without_a_dot_are_numbers_too(tmp_path: Path) -> None:
    assert space(tmp_path, "train.lr: {low: 1e-4, high: 1e-2}\n").params["train.lr"] == Range(
        1e-4, 1e-2
    )


@pytest.mark.parametrize(
    ("space_file", "config", "overrides"),
    [
        ("imagesig.yaml", "demo.yaml", []),
        ("imagesig.yaml", "fashion_d4.yaml", []),
        ("simple_cnn.yaml", "demo.yaml", ["model.kind=simple_cnn"]),
    ],
)
def test_the_shipped_spaces_parse(space_file: str, config: str, overrides: list[str]) -> None:
    base = load_config(REPO / "configs" / config, overrides)
    assert load_space(REPO / "configs" / "spaces" / space_file, base).params
