"""Everything the CLI shows: a rich console, progress bars, warnings and tables."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgressBar
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def setup_logging(verbose: bool = False) -> None:
    """Library warnings (skipped images, oversized batches, ...) go to stderr through rich."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=errors, show_time=False, show_path=False)],
        force=True,
    )
    # PIL reports odd files (corrupt EXIF, huge images) through `warnings`: show them the same way.
    logging.captureWarnings(True)


class _RichTask:
    def __init__(self, bar: RichProgressBar, task_id: int) -> None:
        self.bar, self.task_id = bar, task_id

    def advance(self, steps: int = 1) -> None:
        self.bar.advance(self.task_id, steps)

    def update(self, **fields: object) -> None:
        self.bar.update(self.task_id, **fields)


def progress_bar(enabled: bool = True) -> RichProgressBar:
    """The live display every progress bar uses: description, bar, count, times, on stderr."""
    return RichProgressBar(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        disable=not enabled,
    )


class RichProgress:
    """The :class:`sigbench.progress.Progress` the CLI hands down: one live bar per task."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[_RichTask]:
        bar = progress_bar(enabled=self.enabled)
        with bar:
            yield _RichTask(bar, bar.add_task(description, total=total))


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def key_value_table(title: str, rows: Mapping[str, Any]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows.items():
        table.add_row(key, format_value(value))
    return table


def records_table(title: str, records: list[Mapping[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    columns = list(records[0]) if records else []
    for column in columns:
        table.add_column(column)
    for record in records:
        table.add_row(*(format_value(record.get(column, "")) for column in columns))
    return table
