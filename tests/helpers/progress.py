"""A :class:`~sigbench.progress.Progress` that remembers each bar: its description, its
total, how far it was advanced and the descriptions it was given later, to check that long
work reports its progress; it can also interrupt the work as a user's Ctrl-C would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class RecordedTask:
    description: str
    total: int | None
    done: int = 0
    updated_descriptions: list[str] = field(default_factory=list)
    fail_after: int | None = None

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self.fail_after is not None and self.done >= self.fail_after:
            raise KeyboardInterrupt

    def update(self, **fields: object) -> None:
        if "description" in fields:
            self.updated_descriptions.append(str(fields["description"]))


class RecordingProgress:
    """Keeps every bar opened on it, in order (appends only: safe from a relay thread).

    ``fail_after``: each bar raises :class:`KeyboardInterrupt` once advanced that many steps.
    """

    def __init__(self, fail_after: int | None = None) -> None:
        self.tasks: list[RecordedTask] = []
        self.fail_after = fail_after

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[RecordedTask]:
        self.tasks.append(RecordedTask(description, total, fail_after=self.fail_after))
        yield self.tasks[-1]
