"""A :class:`~sigbench.progress.Progress` that remembers each bar: its description, its
total and how far it was advanced, to check that long work reports its progress."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class RecordedTask:
    description: str
    total: int | None
    done: int = 0

    def advance(self, steps: int = 1) -> None:
        self.done += steps

    def update(self, **fields: object) -> None:
        pass


class RecordingProgress:
    def __init__(self) -> None:
        self.tasks: list[RecordedTask] = []

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[RecordedTask]:
        self.tasks.append(RecordedTask(description, total))
        yield self.tasks[-1]
