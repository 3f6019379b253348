"""The options several commands share, each declared once as an ``Annotated`` type.

Choices are Enums built from the one list each lives in (:mod:`sigbench.options` or a
registry), so help, completion and checking follow it. List options are repeatable and also
take commas (``--track mlflow,tensorboard`` = ``--track mlflow --track tensorboard``);
``--set`` is the exception, since one override's value may hold commas (``data.classes=[3,8]``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from sigbench.options import EXECUTORS, TRACKERS, TUNE_METRICS


def choice_enum(name: str, values: tuple[str, ...] | list[str]) -> type[Enum]:
    """A ``str`` Enum of ``values`` (member name = value): what Typer needs for a choice."""
    return Enum(name, {value: value for value in values}, type=str)  # type: ignore[return-value]


ExecutorKind = choice_enum("ExecutorKind", EXECUTORS)
TuneMetric = choice_enum("TuneMetric", TUNE_METRICS)


def parse_choice(choices: type[Enum]) -> Callable[[str], Enum]:
    """A ``parser=`` for an option or argument typed ``choices``: Typer's own check words
    its error as pydantic's ``Value error, 'x' is not one of 'a', 'b'.``; this one is one
    clean line, ``'x' is not one of a, b`` (Typer puts the option's name in front)."""
    allowed = ", ".join(member.value for member in choices)

    def parse(value: str | Enum) -> Enum:
        try:
            return choices(value)
        except ValueError:
            raise typer.BadParameter(f"{str(value)!r} is not one of {allowed}") from None

    return parse


def name_the_value(error: typer.BadParameter) -> None:
    """Put the value given into a usage error Typer's pydantic check wrote, whose words do not
    name it (``--jobs 0``: "Input should be greater than or equal to 1")."""
    cause = error.__cause__
    if not isinstance(cause, ValidationError) or not cause.errors():
        return
    given = cause.errors()[0]["input"]
    reason = error.message.removeprefix("Value error, ")
    if reason.startswith("Input "):
        error.message = f"{given!r} {reason.removeprefix('Input ')}"
    else:
        error.message = f"{given!r}: {reason}"


# --help groups the options several commands share under these headings, after the rest.
TRACKING_PANEL = "Tracking (MLflow, TensorBoard)"
EXECUTION_PANEL = "Execution (local processes or Ray)"
EXAMPLES_HEADING = "Examples:"
EXAMPLE_RUN = "results/runs/demo-1a2b3c4d5e"  # a run folder as help texts and examples show one


def examples(*command_lines: str) -> str:
    """A command's ``--help`` epilog: command lines to copy, each with an optional ``# ...``
    note (the CLI reference prints them too; a test parses each against its command)."""
    return "\n".join([EXAMPLES_HEADING, *command_lines])


def split_commas(values: list[str] | None) -> list[str]:
    """A repeatable option's values with comma-separated ones split, blanks dropped."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def comma_choices(choices: type[Enum]):  # noqa: ANN201  (a Typer callback)
    """A callback for a repeatable choice option that also takes commas: the values as
    ``choices`` members, or a usage error naming the allowed ones."""
    parse_one = parse_choice(choices)

    def parse(ctx: typer.Context, param: typer.CallbackParam, values: list[str] | None) -> list:
        return [parse_one(value) for value in split_commas(values)]

    return parse


def complete_from(values: tuple[str, ...] | list[str]):  # noqa: ANN201  (a Typer callback)
    """Shell completion of a comma-separated list option from ``values``."""

    def complete(incomplete: str) -> list[str]:
        head, _, last = incomplete.rpartition(",")
        prefix = f"{head}," if head else ""
        return [f"{prefix}{value}" for value in values if value.startswith(last)]

    return complete


def choice_list(flag: str, choices: tuple[str, ...], help: str, **settings: Any) -> Any:
    """A repeatable option that also takes commas, each value one of ``choices``: checked as
    it parses (a usage error names the allowed ones), completed by the shell and listed in
    ``--help``. ``settings`` are Typer's other option settings (``rich_help_panel``)."""
    return typer.Option(
        flag,
        metavar="[" + "|".join(choices) + "]",
        callback=comma_choices(choice_enum(flag.lstrip("-").title(), choices)),
        autocompletion=complete_from(choices),
        help=help,
        show_default=False,
        **settings,
    )


def comma_list(values: list[str] | None) -> list[str]:
    """A callback for a repeatable free-text list option that also takes commas."""
    return split_commas(values)


ConfigArg = Annotated[
    Path,
    typer.Argument(
        metavar="CONFIG", help="Experiment spec (YAML), e.g. configs/demo.yaml.", show_default=False
    ),
]
RunFolder = Annotated[
    Path,
    typer.Argument(
        metavar="RUN",
        help=f"A finished run folder, e.g. {EXAMPLE_RUN}.",
        show_default=False,
    ),
]
Overrides = Annotated[
    list[str] | None,
    typer.Option(
        "--set", "-s", help="Override a key, e.g. --set signature.depth=5 (repeatable).",
        show_default=False,
    ),
]  # fmt: skip
Results = Annotated[
    Path,
    typer.Option("--results", "-r", help="Results folder: runs/, tables/ and cache/ live here."),
]
Analysis = Annotated[
    bool,
    typer.Option(
        "--analysis",
        help="Also draw error-analysis pictures into the run's analysis/ folder: confusion "
        "matrix, most confident mistakes, confidence histogram, reliability diagram, ROC (two "
        "classes).",
    ),
]
Seeds = Annotated[
    int | None,
    typer.Option(
        "--seeds",
        min=1,
        help="Train at seeds seed, seed+1, ..., seed+N-1, each its own run (finished ones are "
        "skipped), all scored on the same test images (data.split_seed).",
        show_default=False,
    ),
]
Track = Annotated[
    list[str] | None,
    choice_list(
        "--track",
        TRACKERS,
        help="Also log each finished run to mlflow (default store: RESULTS/mlflow.db) or "
        "tensorboard (RESULTS/runs/<run-id>/tensorboard/); repeatable or comma-separated; adds "
        "to the config's track: list. An output only: run ids and metrics do not change.",
        rich_help_panel=TRACKING_PANEL,
    ),
]
TrackUri = Annotated[
    str | None,
    typer.Option(
        "--track-uri",
        rich_help_panel=TRACKING_PANEL,
        help="MLflow tracking URI (a server, another database); default: MLFLOW_TRACKING_URI, "
        "else sqlite:///RESULTS/mlflow.db.",
        show_default=False,
    ),
]
Jobs = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        rich_help_panel=EXECUTION_PANEL,
        help="Runs trained at once (local processes or Ray tasks).",
    ),
]
Executor = Annotated[
    ExecutorKind,
    typer.Option(
        "--executor",
        rich_help_panel=EXECUTION_PANEL,
        parser=parse_choice(ExecutorKind),
        help="local: this machine (--jobs); ray: Ray tasks (docs/ray.md).",
    ),
]
Address = Annotated[
    str | None,
    typer.Option(
        "--address",
        rich_help_panel=EXECUTION_PANEL,
        help="Ray cluster head (HOST:6379 or auto), with --executor ray; default: RAY_ADDRESS "
        "or a local instance.",
        show_default=False,
    ),
]
PrintConfig = Annotated[
    bool,
    typer.Option(
        "--print-config",
        help="Print the resolved config (YAML) and the run id(s) it gives, and train nothing.",
    ),
]
