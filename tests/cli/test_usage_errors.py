"""Every value a command's options check as they parse is refused in one clean line that
names the option and the value given: a choice (an Enum option or argument, or a
comma-separated choice list) with the valid choices and without the ``Value error,`` prefix
of Typer's own check, a number with what it should be (pydantic's words say "Input")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer

import sigbench.cli as cli
from sigbench.options import MAX_DEPTH, MIN_DEPTH
from tests.cli.test_checked_first import usage_error_of

COMMA_CHOICES = "comma_choices.<locals>.parse"


def _parameters(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple, Any]]:
    """(command path, parameter) for every parameter of every command."""
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _parameters(sub, (*path, name))
        return
    for param in command.params:
        yield path, param


PARAMETERS = list(_parameters(typer.main.get_command(cli.app)))
CHOICES = [
    (path, param, [choice.value for choice in param.type_descriptor.choices])
    for path, param in PARAMETERS
    if param.type_descriptor.choices is not None
] + [
    (path, param, None)  # a comma list: tests/cli/test_checked_first.py has its full lines
    for path, param in PARAMETERS
    if getattr(param.callback, "__qualname__", "") == COMMA_CHOICES
]
NUMBERS = [
    (path, param) for path, param in PARAMETERS if param.type_descriptor.annotation in (int, float)
]


def _given(param: Any, value: str) -> list[str]:
    return [value] if param.param_type_name == "argument" else [param.opts[0], value]


def _hint(param: Any) -> str:
    """How Typer names the parameter in an error: an option's flags, an argument's metavar."""
    if param.param_type_name == "argument":
        return f"'{param.display_name_raw}'"
    return " / ".join(f"'{name}'" for name in param.opts)


def test_the_walk_finds_every_kind_of_checked_parameter() -> None:
    """Guards the walks below: options, an argument, comma lists and numbers are there."""
    choices = {(" ".join(path), param.name) for path, param, _ in CHOICES}
    expected = {("eval", "tta"), ("list", "what"), ("eval", "robustness"), ("train", "track")}
    assert expected <= choices
    assert len(choices) >= 15
    numbers = {(" ".join(path), param.name) for path, param in NUMBERS}
    assert {("ablate", "jobs"), ("compare", "budget_minutes"), ("signature", "depth")} <= numbers


@pytest.mark.parametrize(
    ("path", "param", "choices"),
    CHOICES,
    ids=[f"{' '.join(path)} {param.name}" for path, param, _ in CHOICES],
)
def test_a_wrong_choice_is_one_clean_line(path: tuple[str, ...], param: Any, choices: Any) -> None:
    message = usage_error_of(*path, *_given(param, "nonsense"))
    head = f"Invalid value for {_hint(param)}: 'nonsense' is not one of "
    assert message.startswith(head), message
    assert "Value error" not in message
    if choices is not None:
        assert message == head + ", ".join(choices)


@pytest.mark.parametrize(
    ("path", "param"), NUMBERS, ids=[f"{' '.join(path)} {param.name}" for path, param in NUMBERS]
)
def test_a_wrong_number_names_the_value_given(path: tuple[str, ...], param: Any) -> None:
    kind = "integer" if param.type_descriptor.annotation is int else "number"
    message = usage_error_of(*path, *_given(param, "many"))
    assert message.startswith(f"Invalid value for {_hint(param)}: 'many' should be a valid {kind}")
    least = param.type_descriptor.parameter_info.min
    if least is not None:
        below = str(least - 1)
        message = usage_error_of(*path, *_given(param, below))
        expected = f"Invalid value for {_hint(param)}: '{below}' should be greater than or equal to"
        assert message == f"{expected} {least:g}"


BOUNDED_ABOVE = [
    (path, param) for path, param in NUMBERS if param.type_descriptor.parameter_info.max is not None
]


def test_signature_depth_is_bounded_as_the_schema_bounds_it() -> None:
    """`signature --depth 12` is refused as it parses, naming --depth (was the schema's
    'signature.depth = 12' line, for an option the user never typed by that name)."""
    depth = next(p for path, p in BOUNDED_ABOVE if path == ("signature",) and p.name == "depth")
    info = depth.type_descriptor.parameter_info
    assert (info.min, info.max) == (MIN_DEPTH, MAX_DEPTH)


@pytest.mark.parametrize(
    ("path", "param"),
    BOUNDED_ABOVE,
    ids=[f"{' '.join(path)} {param.name}" for path, param in BOUNDED_ABOVE],
)
def test_a_number_above_its_maximum_names_the_value_given(
    path: tuple[str, ...], param: Any
) -> None:
    most = param.type_descriptor.parameter_info.max
    above = str(most + 1)
    message = usage_error_of(*path, *_given(param, above))
    expected = f"Invalid value for {_hint(param)}: '{above}' should be less than or equal to"
    assert message == f"{expected} {most:g}"
