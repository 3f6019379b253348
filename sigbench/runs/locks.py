"""Per-run locks: two processes sweeping the same results folder never train one run twice.

Each run is trained under an exclusive lock on ``runs/.lock-<run-id>``; partial folders a
killed process left behind are removed by the next holder of the lock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from sigbench.errors import SigbenchError
from sigbench.runs import rundir

LOCK_PREFIX = ".lock-"


class RunLock:
    """An exclusive ``flock`` on ``runs/.lock-<run-id>``.

    The kernel drops a flock when its holder dies, so a lock file a killed process left
    behind (its pid inside is only informative) is simply taken over.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self.fd = path, fd

    def release(self) -> None:
        if self.fd < 0:
            return
        # Unlink while still holding it: a waiter that opened this inode re-checks and retries.
        self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = -1


def try_lock(results: Path, run_id: str) -> RunLock | None:
    """The lock for ``run_id``, or None when another live process holds it."""
    path = rundir.runs_dir(results) / f"{LOCK_PREFIX}{run_id}"
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as exc:
            os.close(fd)
            raise SigbenchError(f"{path}: cannot lock files in this folder ({exc})") from None
        try:
            current = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        os.close(fd)  # the holder released (unlinked) it between our open and flock
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return RunLock(path, fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_dead_partials(results: Path, run_id: str) -> None:
    """Delete ``run_id``'s partial folders whose assembling process is gone (call under lock)."""
    root = rundir.runs_dir(results)
    prefix = f"{rundir.PARTIAL_PREFIX}{run_id}-"
    for path in root.iterdir() if root.is_dir() else []:
        pid = path.name.rsplit("-", 1)[-1]
        if path.name.startswith(prefix) and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
