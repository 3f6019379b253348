"""Progress reporting handed down from the CLI.

Lower layers never print: they call ``progress.task(description, total)`` and advance it.
The CLI passes a rich-backed reporter; library users and tests get :data:`SILENT`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol


class Task(Protocol):
    def advance(self, steps: int = 1) -> None: ...

    def update(self, **fields: object) -> None: ...


class Progress(Protocol):
    def task(self, description: str, total: int | None) -> AbstractContextManager[Task]: ...


class _SilentTask:
    def advance(self, steps: int = 1) -> None:
        pass

    def update(self, **fields: object) -> None:
        pass


class SilentProgress:
    """A reporter that reports nothing."""

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Task]:
        yield _SilentTask()


SILENT = SilentProgress()
