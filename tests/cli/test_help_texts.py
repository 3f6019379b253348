"""What ``--help`` prints is the help text as written: Typer parses help as Rich markup, so a
``[...]`` in a text would vanish from the terminal while the generated CLI reference (which
reads the same text) still shows it."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

import click
import pytest
import typer
from rich.text import Text
from typer.testing import CliRunner

import sigbench.cli as cli
from sigbench.cli import reference
from sigbench.cli.options import EXAMPLES_HEADING, EXECUTION_PANEL, TRACKING_PANEL
from sigbench.sweeps.compare import CompareSpec
from tests.cli.test_checked_first import usage_error_of

ROOT = typer.main.get_command(cli.app)


def _help_texts(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(where, text) for every command's help and every parameter's help."""
    name = " ".join(("sigbench", *path))
    yield name, command.help or ""
    yield f"{name} (examples)", command.epilog or ""
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


EVERY_COMMAND = [((), ROOT), *_commands(ROOT)]
EXAMPLES = [
    (path, line)
    for path, command in EVERY_COMMAND
    for line in (command.epilog or "").splitlines()[1:]
]


@pytest.mark.parametrize(
    ("path", "command"), EVERY_COMMAND, ids=[" ".join(("sigbench", *p)) for p, _ in EVERY_COMMAND]
)
def test_every_command_but_a_group_of_commands_shows_examples(
    path: tuple[str, ...], command: click.Command
) -> None:
    if path and hasattr(command, "commands"):
        return  # `sigbench bench`: its one command has them
    heading, *lines = (command.epilog or "").splitlines() or [""]
    assert heading == EXAMPLES_HEADING and lines, f"sigbench {' '.join(path)}: no examples"


@pytest.mark.parametrize(("path", "line"), EXAMPLES, ids=[line for _, line in EXAMPLES])
def test_an_example_parses_as_the_command_it_documents(path: tuple[str, ...], line: str) -> None:
    """Each example names options the command has, with values it takes (a renamed option
    or a dropped choice fails here, not on a reader)."""
    words = shlex.split(line, comments=True)
    assert words[0] == "sigbench", line
    command, rest, walked = ROOT, words[1:], []
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        walked.append(rest[0])
        command = command.commands[rest.pop(0)]
    assert not hasattr(command, "commands"), f"{line}: names no command"
    assert tuple(walked[: len(path)]) == path, f"{line}: under sigbench {' '.join(path)}"
    command.make_context(" ".join(("sigbench", *walked)), rest)  # a usage error raises


def test_the_cli_reference_prints_each_command_s_examples() -> None:
    page = reference.cli_markdown()
    train = page.split("\n## `sigbench train`\n")[1].split("\n## ")[0]
    assert f"{EXAMPLES_HEADING}\n\n```bash\nsigbench train configs/demo.yaml\n" in train
    for _, line in EXAMPLES:
        assert f"\n{line}\n" in page, line


@pytest.mark.parametrize(
    ("command", "panel", "options"),
    [
        ("ablate", TRACKING_PANEL, ["--track", "--track-uri"]),
        ("ablate", EXECUTION_PANEL, ["--jobs", "--executor", "--address"]),
        ("compare", EXECUTION_PANEL, ["--jobs", "--executor", "--address"]),
        ("train", TRACKING_PANEL, ["--track", "--track-uri"]),
    ],
)
def test_shared_options_are_grouped_under_their_heading(
    command: str, panel: str, options: list[str]
) -> None:
    """The options several commands share sit in their own panel, after the command's own."""
    result = CliRunner().invoke(cli.app, [command, "--help"], env={"COLUMNS": "200"})
    lines = result.output.splitlines()
    heading = next(at for at, line in enumerate(lines) if f"─ {panel} ─" in line)
    end = next(at for at in range(heading + 1, len(lines)) if lines[at].startswith("╰"))
    own = next(at for at, line in enumerate(lines) if "─ Options ─" in line)
    assert own < heading
    for option in options:
        assert any(f" {option} " in line for line in lines[heading:end]), (panel, option)


def test_the_reference_quotes_a_usage_error_as_the_cli_prints_it() -> None:
    quoted = re.search(
        r"`error: sigbench eval: (Invalid value for [^`]*) \(options", reference.cli_markdown()
    )
    assert quoted is not None
    printed = usage_error_of("eval", "results/runs/demo-x", "--tta", "sideways")
    assert printed == " ".join(quoted.group(1).split())
