"""``list``: what exists, each read from its registry (model kinds, grids, backends, built-in
datasets, search spaces), one line of description each."""

from __future__ import annotations

import ast
import importlib.util
from typing import Annotated

import typer

from sigbench.cli.options import choice_enum, examples, parse_choice
from sigbench.cli.output import console, records_table

WHAT = ("models", "grids", "backends", "datasets", "spaces")
Listable = choice_enum("Listable", WHAT)


def _module_summary(module: str) -> str:
    """A module's docstring's first line, read without importing it (a backend's package
    may be slow to load or missing)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return ""
    with open(spec.origin, encoding="utf-8") as source:
        doc = ast.get_docstring(ast.parse(source.read())) or ""
    return doc.splitlines()[0] if doc else ""


def _space_text(space: dict[str, object]) -> str:
    """``key: value; ...`` with each value as a space file writes it (``{low: 16, ...}``),
    on one line however long."""
    import yaml

    def flow(value: object) -> str:
        return yaml.safe_dump(
            value, default_flow_style=True, sort_keys=False, width=float("inf")
        ).strip()

    return "; ".join(f"{key}: {flow(value)}" for key, value in space.items())


def _rows(what: str) -> list[dict[str, object]]:
    if what == "models":
        from sigbench.models import list_models, model_entry

        entries = [model_entry(kind) for kind in list_models()]
        return [
            {"kind": entry.kind, "input": entry.input, "description": entry.description}
            for entry in entries
        ]
    if what == "grids":
        from sigbench.sweeps.grids import BUILTIN_GRIDS

        return [
            {"grid": grid.name, "paper": grid.paper_table or "", "axes": _space_text(grid.axes)}
            for grid in BUILTIN_GRIDS.values()
        ]
    if what == "backends":
        from sigbench.signature.backends import BACKENDS, available_backends

        installed = available_backends()
        return [
            {"backend": name, "installed": "yes" if name in installed else "no",
             "description": _module_summary(module).removeprefix(f"{name}: ")}
            for name, module in BACKENDS.items()
        ]  # fmt: skip
    if what == "datasets":
        from sigbench.data.sources.builtin import BUILTINS

        return [
            {"data.name": name, "description": dataset.description}
            for name, dataset in BUILTINS.items()
        ]
    from sigbench.models import list_models, model_entry

    return [
        {"space (tune --space KIND)": kind, "keys": _space_text(model_entry(kind).space)}
        for kind in list_models()
    ]


def list_things(
    what: Annotated[
        Listable,  # type: ignore[valid-type]
        typer.Argument(
            metavar="WHAT", help="What to list.", parser=parse_choice(Listable), show_default=False
        ),
    ],
) -> None:
    """List the model kinds, built-in grids, signature backends, built-in datasets or the
    model kinds' search spaces."""
    console.print(records_table(what.value, _rows(what.value)))


def register(app: typer.Typer) -> None:
    app.command("list", epilog=examples("sigbench list models", "sigbench list spaces"))(
        list_things
    )
