"""The ``sigbench`` command line: each command parses, calls one function, prints.

Commands import what they call inside the command (not at module top), so ``sigbench
--help`` and a bad config fail fast without loading torch and the signature packages.
Nothing else in sigbench imports this package.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

import sigbench
from sigbench.cli import (
    compare_command,
    export_commands,
    list_command,
    run_commands,
    signature_command,
    sweep_commands,
    tune_command,
)
from sigbench.cli.options import examples, name_the_value
from sigbench.cli.output import errors, labelled, setup_logging
from sigbench.cli.sweeping import remember_arguments
from sigbench.errors import SigbenchError, system_error_line

GLOBAL_FLAGS = ("--debug", "--verbose", "-v")
# Recent Typer releases build on their own copy of click, earlier ones on click itself: the
# usage errors to catch are those of the module Typer's BadParameter comes from.
_CLICK_ERRORS = sys.modules[typer.BadParameter.__module__]
NO_ARGUMENTS: tuple[type[Exception], ...] = tuple(
    filter(None, [getattr(_CLICK_ERRORS, "NoArgsIsHelpError", None)])  # click >= 8.2
)


@contextmanager
def one_line_usage_errors() -> Iterator[None]:
    """A usage error (an unknown option or command, a refused value, a missing argument) as
    one red line, as every other bad input is, naming the command and where its options
    are listed; exit status 2. Typer draws a box of several lines with the usage text."""
    try:
        yield
    except NO_ARGUMENTS:  # no arguments at all: the help, as asked
        raise
    except _CLICK_ERRORS.UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "sigbench"
        line = f"{command}: {error.format_message()} (options: {command} --help)"
        errors.print(labelled("error:", "bold red", line), highlight=False, soft_wrap=True)
        raise typer.Exit(error.exit_code) from None


class GlobalFlagsAnywhere(TyperGroup):
    """``-v`` / ``--debug`` also after the command (``sigbench train spec.yaml -v``), as
    users type them: they are moved in front of it before parsing (not past a ``--``). The
    arguments as given are remembered for the line Ctrl-C prints, a refused number is
    named in its usage error, and usage errors are one line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        remember_arguments(list(args))
        end = args.index("--") if "--" in args else len(args)
        flags = [arg for arg in args[:end] if arg in GLOBAL_FLAGS]
        rest = [arg for at, arg in enumerate(args) if at >= end or arg not in GLOBAL_FLAGS]
        with one_line_usage_errors():
            return super().parse_args(ctx, [*flags, *rest])

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a number its options refused is named in the error (one place
        for every command's options, as Typer checks them all with pydantic)."""
        with one_line_usage_errors():
            try:
                return super().invoke(ctx)
            except typer.BadParameter as error:
                name_the_value(error)
                raise


app = typer.Typer(
    name="sigbench",
    cls=GlobalFlagsAnywhere,
    help="Train, sweep and compare signature-based image classifiers (ImageSig) "
    "against CNN and ViT baselines.",
    no_args_is_help=True,
    epilog=examples(
        "sigbench train configs/demo.yaml   # ImageSig on the built-in digits",
        "sigbench ablate --grid depth --config configs/demo.yaml   # the paper's Table 4",
        "sigbench list models",
    ),
    add_completion=True,
    pretty_exceptions_enable=False,
)
run_commands.register(app)
sweep_commands.register(app)
tune_command.register(app)
compare_command.register(app)
signature_command.register(app)
export_commands.register(app)
list_command.register(app)


def one_line_summaries(commands: typer.Typer) -> None:
    """Give each command the first paragraph of its help, line breaks joined, as the summary
    a command list shows: Typer's list keeps the docstring's line breaks, which cut the
    summary mid-sentence at any terminal width."""
    for command in commands.registered_commands:
        if command.short_help is None:
            text = command.help or inspect.getdoc(command.callback) or ""
            command.short_help = " ".join(text.split("\n\n")[0].split())
    for group in commands.registered_groups:
        one_line_summaries(group.typer_instance)


one_line_summaries(app)

_state = {"debug": False}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"sigbench {sigbench.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show informational messages."),
    version: bool = typer.Option(
        False,
        "--version",
        callback=_show_version,
        is_eager=True,
        help="Print the sigbench version and exit.",
    ),
    plugin: list[Path] = typer.Option(
        [],
        "--plugin",
        help="A Python file whose register_model calls add model kinds (repeatable); "
        "installed packages register through the 'sigbench.models' entry point group.",
    ),
) -> None:
    _state["debug"] = debug
    setup_logging(verbose)
    if plugin:
        from sigbench.models.plugins import add_plugin_files  # torch: only with --plugin

        add_plugin_files(plugin)


def main() -> None:
    """Entry point: user errors become one red line and exit status 2, and so do the
    system errors a user can fix (a full disk, a read-only folder: ``system_error_line``).

    Usage errors are one line and status 2 too (``one_line_usage_errors``); Ctrl-C is 130.
    """
    try:
        app()
    except (SigbenchError, OSError) as exc:
        line = str(exc) if isinstance(exc, SigbenchError) else system_error_line(exc)
        if _state["debug"] or line is None:  # an OSError that is not the user's: a bug
            raise
        errors.print(labelled("error:", "bold red", line), highlight=False, soft_wrap=True)
        sys.exit(2)
