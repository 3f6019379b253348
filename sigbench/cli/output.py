"""Everything the CLI shows: a rich console, progress bars, warnings and tables.

Both consoles print text as it is (``markup=False``): a message, a path or a table cell
holding square brackets (``pip install 'sigbench[tune]'``, ``[80, 60]``) must reach the
user whole, so rich markup is never parsed from strings. Styling goes through ``style=``
or :func:`labelled`, which style a whole line or a leading label.
"""

from __future__ import annotations

import logging
import math
import time
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
from rich.text import Text

console = Console(markup=False)
errors = Console(stderr=True, markup=False)


def labelled(label: str, style: str, text: str) -> Text:
    """``label`` in ``style``, then ``text`` as it is: "error: ...", "failed RUN: ..."."""
    return Text.assemble((label, style), " ", text)


class OncePerCommand(logging.Filter):
    """Lets each warning text through once: a sweep of ten runs on the same data, or an
    evaluation that decodes it again, says "skipped 3 unreadable images" a single time."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: set[tuple[int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.levelno, record.getMessage())
        if key in self.shown:
            return False
        self.shown.add(key)
        return True


def setup_logging(verbose: bool = False) -> None:
    """Library warnings (skipped images, oversized batches, ...) go to stderr through rich,
    each text once per command."""
    handler = RichHandler(console=errors, show_time=False, show_path=False)
    handler.addFilter(OncePerCommand())
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )
    # PIL reports odd files (corrupt EXIF, huge images) through `warnings`: show them the same way.
    logging.captureWarnings(True)


LINE_EVERY_S = 10.0


class RichTask:
    """One bar of a live display. Where stderr is no terminal (a log file, CI) the bar
    cannot redraw, so a plain line reports the count instead, at most every 10 seconds."""

    def __init__(self, bar: RichProgressBar, description: str, total: int | None) -> None:
        self.bar, self.task_id = bar, bar.add_task(description, total=total)
        self.description, self.total = description, total
        self.done = 0
        self.last_line = time.perf_counter()

    def advance(self, steps: int = 1) -> None:
        self.bar.advance(self.task_id, steps)
        self.done += steps
        now = time.perf_counter()
        if self.bar.disable and now - self.last_line >= LINE_EVERY_S:
            self.last_line = now
            of_total = f"/{self.total:,}" if self.total else ""
            errors.print(
                f"{self.description}: {self.done:,}{of_total}", highlight=False, soft_wrap=True
            )

    def update(self, **fields: object) -> None:
        self.bar.update(self.task_id, **fields)
        if isinstance(fields.get("description"), str):
            self.description = str(fields["description"])


def progress_bar() -> RichProgressBar:
    """The live display every progress bar uses: description, bar, count, times, on stderr
    (off where stderr is no terminal: :class:`RichTask` writes lines there)."""
    return RichProgressBar(
        TextColumn("{task.description}", style="progress.description", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    )


class RichProgress:
    """The :class:`sigbench.progress.Progress` the CLI hands down: one live bar per task."""

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[RichTask]:
        bar = progress_bar()
        with bar:
            yield RichTask(bar, description, total)


MISSING = "-"  # a cell with no value (None, NaN): never the word "None"


def format_value(value: Any) -> str:
    """A cell: floats to four significant digits without padding zeros (102.5 KB, 0.0123
    s, not 102.5000 and 0.0123 alike), thousands grouped from 1,000 up."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list) and all(isinstance(v, float) for v in value):
        return "[" + ", ".join(format_value(v) for v in value) + "]"  # an interval
    return str(value)


# Cells wrap, and a word too long for its column (a path, a run id) folds onto the next line:
# a table in a log file or a narrow terminal is never cut short with an ellipsis.
OVERFLOW = "fold"


def key_value_table(title: str, rows: Mapping[str, Any]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", overflow=OVERFLOW)
    table.add_column(overflow=OVERFLOW)
    for key, value in rows.items():
        table.add_row(key, format_value(value))
    return table


def records_table(title: str, records: list[Mapping[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    columns = list(records[0]) if records else []
    for column in columns:
        table.add_column(column, overflow=OVERFLOW)
    for record in records:
        table.add_row(*(format_value(record.get(column, "")) for column in columns))
    return table


class SharedProgress:
    """One live display for a whole sweep: the grid bar plus a bar per task of each run.

    Tasks may open and close in any order and from the thread that relays worker events,
    which nested displays (one per task) do not allow.
    """

    def __init__(self) -> None:
        self.bar = progress_bar()

    def __enter__(self) -> SharedProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[RichTask]:
        task = RichTask(self.bar, description, total)
        try:
            yield task
        finally:
            self.bar.remove_task(task.task_id)
