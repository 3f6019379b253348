"""Every choice a command takes (an Enum option or argument, or a comma-separated choice
list) rejects a wrong value in one clean line: the option, the value and the valid choices,
without the ``Value error,`` prefix Typer's own check (pydantic underneath) gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

import sigbench.cli as cli
from tests.cli.test_checked_first import usage_error_of

COMMA_CHOICES = "comma_choices.<locals>.parse"


def _choice_parameters(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    """(command path, parameter, its choices or None for a comma list) for every choice."""
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _choice_parameters(sub, (*path, name))
        return
    for param in command.params:
        choices = param.type_descriptor.choices
        if choices is not None:
            yield path, param, [choice.value for choice in choices]
        elif getattr(param.callback, "__qualname__", "") == COMMA_CHOICES:
            yield path, param, None


CHOICE_PARAMETERS = list(_choice_parameters(typer.main.get_command(cli.app)))


def test_the_walk_finds_the_choices_of_every_kind() -> None:
    """Guards the walk below: options, an argument and comma lists are all among them."""
    found = {(" ".join(path), param.name) for path, param, _ in CHOICE_PARAMETERS}
    assert {("eval", "tta"), ("list", "what"), ("eval", "robustness"), ("train", "track")} <= found
    assert len(found) >= 15


@pytest.mark.parametrize(
    ("path", "param", "choices"),
    CHOICE_PARAMETERS,
    ids=[f"{' '.join(path)} {param.name}" for path, param, _ in CHOICE_PARAMETERS],
)
def test_a_wrong_choice_is_one_clean_line(path: tuple[str, ...], param: Any, choices: Any) -> None:
    given = ["nonsense"] if param.param_type_name == "argument" else [param.opts[0], "nonsense"]
    message = usage_error_of(*path, *given)
    names = " / ".join(f"'{name}'" for name in param.opts)
    head = f"Invalid value for {names}: 'nonsense' is not one of "
    assert message.startswith(head), message
    assert "Value error" not in message
    if choices is not None:
        assert message == head + ", ".join(choices)
