"""What ``--help`` prints is the help text as written: Typer parses help as Rich markup, so a
``[...]`` in a text would vanish from the terminal while the generated CLI reference (which
reads the same text) still shows it."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

import sigbench.cli as cli
from sigbench.cli import reference
from sigbench.sweeps.compare import CompareSpec

ROOT = typer.main.get_command(cli.app)


def _help_texts(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(where, text) for every command's help and every parameter's help."""
    name = " ".join(("sigbench", *path))
    yield name, command.help or ""
    for param in command.params:
        yield f"{name} {param.name}", getattr(param, "help", None) or ""
    for sub_name, sub in getattr(command, "commands", {}).items():
        yield from _help_texts(sub, (*path, sub_name))


HELP_TEXTS = list(_help_texts(ROOT))


def test_the_walk_reaches_nested_commands_and_their_options() -> None:
    where = {place for place, _ in HELP_TEXTS}
    expected = {"sigbench bench inference", "sigbench compare trials", "sigbench ablate config"}
    assert expected <= where


@pytest.mark.parametrize(("where", "text"), HELP_TEXTS, ids=[w for w, _ in HELP_TEXTS])
def test_no_help_text_is_eaten_as_markup(where: str, text: str) -> None:
    assert Text.from_markup(text).plain == text, f"{where}: Rich markup would eat part of {text!r}"


@pytest.mark.parametrize("option", ["trials", "seeds", "metric"])
def test_compare_help_shows_the_defaults_a_compare_spec_takes(option: str) -> None:
    """The defaults are printed (not eaten as markup), and they are CompareSpec's own."""
    result = CliRunner().invoke(cli.app, ["compare", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    default = CompareSpec.model_fields[option].default
    row = next(line for line in result.output.splitlines() if f"--{option} " in line)
    assert f"(default: {default})" in row, row


def test_ablate_help_names_its_default_config() -> None:
    result = CliRunner().invoke(cli.app, ["ablate", "--help"], env={"COLUMNS": "200"})
    assert "(default: configs/demo.yaml)" in result.output


def _summary(command: click.Command) -> str:
    return " ".join((command.help or "").split("\n\n")[0].split())


@pytest.mark.parametrize("path", [(), ("bench",)], ids=["sigbench", "sigbench bench"])
def test_a_command_list_shows_each_summary_unbroken(path: tuple[str, ...]) -> None:
    """Each command's first paragraph on one line of the list (on a terminal wide enough),
    not cut where its docstring's lines end ("for a" / "multi-label run ...")."""
    group = ROOT
    for name in path:
        group = group.commands[name]
    result = CliRunner().invoke(cli.app, [*path, "--help"], env={"COLUMNS": "1000"})
    assert result.exit_code == 0
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    for name, command in group.commands.items():
        summary = _summary(command)
        assert any(f"│ {name} {summary} │" in line for line in lines), (name, summary)


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    for name, sub in getattr(command, "commands", {}).items():
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


ARGUMENTS = [
    (path, param)
    for path, command in _commands(ROOT)
    for param in command.params
    if param.param_type_name == "argument"
]


@pytest.mark.parametrize(
    ("path", "param"), ARGUMENTS, ids=[f"{' '.join(p)} {a.name}" for p, a in ARGUMENTS]
)
def test_an_argument_has_one_upper_case_name_in_usage_and_reference(
    path: tuple[str, ...], param: click.Argument
) -> None:
    """``--help``'s usage line names an argument as the CLI reference does, in capitals, as
    the README and the docs write them (predict RUN_OR_EXPORT, not run)."""
    name = param.display_name_raw
    assert name.isupper(), f"sigbench {' '.join(path)}: argument {name!r} is not in capitals"
    result = CliRunner().invoke(cli.app, [*path, "--help"], env={"COLUMNS": "200"})
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert name in usage, usage
    assert f"`{name}`" in reference._param_names(param)
