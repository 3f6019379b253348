"""Per-run locks: two processes on the same results folder never train one run twice.

Each run is trained under an exclusive lock on ``runs/.lock-<run-id>``, taken with the
``filelock`` package: an ``flock`` where the system has one, which the kernel drops when its
holder dies, so a dead holder never blocks (its lock file is simply taken over). The holder
writes who it is into the file (pid, host, command, start time) for a process that finds the
run busy to show. Lock files stay after release (waiters must share one inode); readers of a
runs folder skip dot files. Partial folders a killed process left behind are removed by the
next holder of the lock (:func:`remove_dead_partials`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import sys
import time
from pathlib import Path

from filelock import FileLock, Timeout

from sigbench.errors import SigbenchError
from sigbench.runs import rundir

LOCK_PREFIX = ".lock-"
WAIT_POLL_S = 0.2  # how often a waiting process tries the lock again


def lock_path(results: Path, run_id: str) -> Path:
    return rundir.runs_dir(results) / f"{LOCK_PREFIX}{run_id}"


def command_line() -> str:
    """This process's command as a user typed it (``sigbench ...``), for lock files and
    messages."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program in ("__main__.py", "sigbench"):
        program = "sigbench"
    return shlex.join([program, *sys.argv[1:]])


def _write_holder(fd: int) -> None:
    """Called by filelock with the lock file's descriptor right after the lock is taken."""
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n{socket.gethostname()}\n{since}\n{command_line()}\n".encode())


class RunLock:
    """A held run lock; :meth:`release` is safe to call twice."""

    def __init__(self, lock: FileLock) -> None:
        self._lock = lock

    @property
    def path(self) -> Path:
        return Path(self._lock.lock_file)

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()


def try_lock(results: Path, run_id: str, *, wait: bool = False) -> RunLock | None:
    """The lock for ``run_id``; when another live process holds it, None (or, with ``wait``,
    the lock once that process lets go; Ctrl-C stops the wait)."""
    path = lock_path(results, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(
        path,
        timeout=-1 if wait else 0,
        poll_interval=WAIT_POLL_S,
        on_acquired=_write_holder,
        thread_local=False,  # a sweep may release a lock from another thread than took it
    )
    try:
        lock.acquire()
    except Timeout:
        return None
    except OSError as exc:
        raise SigbenchError(f"{path}: cannot lock files in this folder ({exc})") from None
    return RunLock(lock)


def holder(results: Path, run_id: str) -> str:
    """Who holds ``run_id``'s lock, as one phrase (``process 123 on host (command) since
    ...``), from what the holder wrote; "another process" when it wrote nothing yet."""
    try:
        lines = lock_path(results, run_id).read_text().splitlines()
    except OSError:
        lines = []
    if len(lines) < 4 or not lines[0].isdigit():
        return "another process"
    pid, host, since, command = lines[:4]
    return f"process {pid} on {host} ({command}) since {since}"


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs; one that has exited but is not reaped yet (a zombie:
    a crashed Ray worker until its raylet waits for it) assembles nothing, so it counts as
    gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Linux's /proc says the process exited unreaped (elsewhere: never)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]  # the state, after the name


def remove_dead_partials(results: Path, run_id: str, *, mine: bool = False) -> None:
    """Delete ``run_id``'s partial folders whose assembling process is gone (call under
    lock); with ``mine``, this process's own too (its run stopped before publishing)."""
    root = rundir.runs_dir(results)
    prefix = f"{rundir.PARTIAL_PREFIX}{run_id}-"
    for path in root.iterdir() if root.is_dir() else []:
        pid = path.name.rsplit("-", 1)[-1]
        if not path.name.startswith(prefix) or not pid.isdigit():
            continue
        if not _pid_alive(int(pid)) or (mine and int(pid) == os.getpid()):
            shutil.rmtree(path, ignore_errors=True)
