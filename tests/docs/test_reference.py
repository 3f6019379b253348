"""The generated CLI and config references: complete, described, and read from the code."""

from __future__ import annotations

import re
from typing import Literal

import pytest
import typer
from pydantic import BaseModel, Field

from sigbench.cli import app, reference
from sigbench.config import ExperimentConfig
from sigbench.models import list_models


def test_every_config_key_has_a_description() -> None:
    missing = reference.undocumented_config_keys()
    assert not missing, f"add a Field(description=...) to: {', '.join(missing)}"


def test_config_reference_lists_every_key_of_every_section_and_model_kind() -> None:
    page = reference.config_markdown()
    keys = list(reference.all_config_keys())
    assert {"seed", "data.image_size", "signature.depth", "train.device", "train.top_k"} <= {
        key.key for key in keys
    }
    for key in keys:
        assert f"`{key.key.split(' ')[0]}`" in page, key
    for kind in list_models():
        assert f"\n### {kind}\n" in page, kind
    # each kind's table has its own keys: the attention head's, not the logistic model's
    attention = page.split("\n### imagesig_attention\n")[1].split("\n### ")[0]
    assert "`model.key_dim`" in attention and "`model.weights`" not in attention
    assert '| `model.kind` | str | `"imagesig_attention"` |' in attention


def test_config_reference_shows_types_defaults_and_bounds() -> None:
    rows = {key.key: key for key in reference.all_config_keys()}
    assert rows["signature.depth"].type_text == "int (>= 1, <= 8)"
    assert rows["signature.depth"].default == "4"
    assert rows["signature.path"].type_text == "none | time | lead_lag | basepoint"
    assert rows["data.image_size"].type_text == "int or [int, int]"
    assert rows["train.num_threads"].default == "null"


class _FolderData(BaseModel):
    source: Literal["folder"] = Field("folder", description="read a folder")
    root: str = Field("data", description="the folder")


class _TableData(BaseModel):
    source: Literal["table"] = Field("table", description="read a table")
    columns: list[str] = Field(default_factory=list, description="the columns")


class _Spec(BaseModel):
    seed: int = Field(0, description="the seed")
    data: _FolderData | _TableData = Field(discriminator="source")


def test_a_section_that_is_a_union_is_listed_per_member() -> None:
    """Per-source data configs (a discriminated union) get a key table per source."""
    (name, variants), *_ = reference.union_sections(_Spec)
    assert name == "data" and variants == [_FolderData, _TableData]
    assert [reference._variant_name(v) for v in variants] == ["folder", "table"]
    assert [k.key for k in reference.section_keys(_TableData, "data.")] == [
        "data.source",
        "data.columns",
    ]
    assert reference.section_fields(_Spec) == []


def test_a_key_without_description_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    class Bare(BaseModel):
        seed: int = 0

    monkeypatch.setattr(reference.schema, "ExperimentConfig", Bare)
    assert "seed" in reference.undocumented_config_keys()
    assert ExperimentConfig.model_fields["seed"].description


def _names(command: object) -> list[str]:
    """Each option's flags and each argument's name as the reference writes it."""
    return [
        param.display_name_raw if param.param_type_name == "argument" else option
        for param in command.params
        for option in param.opts
    ]


def test_cli_reference_lists_every_command_and_option() -> None:
    page = reference.cli_markdown()
    root = typer.main.get_command(app)
    commands = [("sigbench", root), *reference._commands(root, "sigbench")]
    assert len(commands) >= 10
    for path, command in commands:
        section = page.split(f"\n## `{path}`\n")[1].split("\n## ")[0]
        for option in _names(command):
            if option != "--help":
                assert f"`{option}`" in section, (path, option)
    train = page.split("\n## `sigbench train`\n")[1].split("\n## ")[0]
    assert "sigbench train [OPTIONS] CONFIG" in train
    assert "| `--results`, `-r` | path | `results` |" in train
    assert "mlflow\\|tensorboard, repeatable" in train
    assert "&lt;run-id&gt;" in train  # help text is not read as HTML


def test_descriptions_speak_yaml_not_python() -> None:
    """A spec is YAML: a key that may be unset says null (what the file holds), not None."""
    python_words = re.compile(r"\b(None|True|False)\b")
    wrong = [
        f"{key.key}: {key.description}"
        for key in reference.all_config_keys()
        if python_words.search(key.description)
    ]
    assert not wrong, wrong
