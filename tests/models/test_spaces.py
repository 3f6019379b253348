"""Every model kind has a search space kept with it (its capacity keys and the shared
training recipe) that its own config accepts, and ``tune --space KIND`` / ``sigbench list``
read it from there."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sigbench.cli import app
from sigbench.config import validate_config
from sigbench.errors import SigbenchError
from sigbench.models import list_models, model_entry
from sigbench.models.registry import RECIPE_SPACE
from sigbench.sweeps.space import Choice, Range, kind_space, load_space


@pytest.mark.parametrize("kind", list_models())
def test_every_kind_has_a_space_its_config_accepts(kind: str) -> None:
    base = validate_config({"model": {"kind": kind}}, "test")
    space = kind_space(kind, base)  # each key and both ends of each range validated
    assert set(RECIPE_SPACE) <= set(space.params)
    for param in space.params.values():
        assert isinstance(param, Choice | Range)
    assert list(space.params) == list(model_entry(kind).space)


def test_the_signature_models_search_their_signature_and_width() -> None:
    keys = set(model_entry("imagesig_fc").space)
    assert {"signature.depth", "signature.path", "signature.two_direction", "model.neurons"} <= keys
    assert "model.transformer_layers" in model_entry("vit").space


def test_space_names_a_kind_or_a_file() -> None:
    base = validate_config({"model": {"kind": "logistic"}}, "test")
    assert list(load_space("logistic", base).params) == list(RECIPE_SPACE)
    with pytest.raises(SigbenchError, match=r"add --set model.kind=simple_cnn$"):
        load_space("simple_cnn", base)
    with pytest.raises(SigbenchError, match=r"no such search-space file \(or model kind: "):
        load_space("nope.yaml", base)


def test_list_reads_each_registry() -> None:
    runner = CliRunner()
    models = runner.invoke(app, ["list", "models"], terminal_width=200)
    assert models.exit_code == 0
    assert all(kind in models.output for kind in list_models())
    spaces = runner.invoke(app, ["list", "spaces"], terminal_width=400)
    assert "signature.depth: [2, 3, 4, 5]" in spaces.output
    datasets = runner.invoke(app, ["list", "datasets"], terminal_width=200)
    assert "fashion-mnist-scale-56" in datasets.output and "digits" in datasets.output
    for what in ("grids", "backends"):
        assert runner.invoke(app, ["list", what]).exit_code == 0
    wrong = runner.invoke(app, ["list", "nope"])
    assert wrong.exit_code == 2 and "'nope' is not one of" in " ".join(wrong.output.split())
