"""The one exception type the CLI turns into a one-line message.

Anything a user can cause (a bad config value, a missing folder, a foreign checkpoint)
raises :class:`SigbenchError` with a message that names the file, key or value and says
what would be right. Everything else is a bug and keeps its traceback. :func:`plural`
counts things in those messages and in the CLI's lines; :func:`percent` writes every
accuracy they show.

System errors are user errors too: :func:`system_error_line` turns an OSError the user can
fix (a full disk, a read-only or missing folder, a permission) into one line naming its path.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path


class SigbenchError(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 seed``, ``2 seeds``, ``1,000 images``: a count with its noun, for messages."""
    return f"{count:,} {noun if count == 1 else plural_form or noun + 's'}"


ACCURACY_DECIMALS = 2  # accuracy is shown in percent with this many decimals, everywhere


def percent(fraction: float, *, signed: bool = False) -> str:
    """``0.925`` -> ``92.50``: an accuracy as every summary, table and progress line shows it
    (its label carries the %); files keep the fraction. ``signed``: a change in points,
    ``+1.25``."""
    sign = "+" if signed else ""
    return f"{100 * fraction:{sign}.{ACCURACY_DECIMALS}f}"


# OSErrors a user causes and fixes (a full disk, a read-only or missing folder, permissions),
# each with the words the one-line message uses; any other OSError is a bug's traceback.
USER_OS_ERRORS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of this path is a file, not a folder",
}
FULL_DISK = (errno.ENOSPC, errno.EDQUOT)


def byte_text(count: float) -> str:
    """``512 B``, ``1.5 kB``, ``2.3 GB``: decimal units, as ``df -H`` prints them."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def _free_bytes(path: Path) -> int | None:
    """Free space on the file system holding ``path`` (or its nearest existing parent)."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def system_error_line(error: OSError) -> str | None:
    """The one-line message for an OSError the user can fix, naming its path; None for any
    other (no path, or an errno that means a bug). For a full disk it says how much space
    the step needed (when the writer knew: ``needed_bytes``) and how much was free."""
    reason = USER_OS_ERRORS.get(error.errno or 0)
    if reason is None or error.filename is None:
        return None
    path = Path(os.fsdecode(error.filename))
    line = f"{path}: {reason}"
    if error.errno not in FULL_DISK:
        return line
    needed, free = getattr(error, "needed_bytes", None), _free_bytes(path)
    sizes = [f"this step needed {byte_text(needed)}"] if needed is not None else []
    sizes += [f"{byte_text(free)} free"] if free is not None else []
    if sizes:
        line += f" ({', '.join(sizes)})"
    return (
        line + "; finished runs are kept: free some space (or use --results on another disk) "
        "and run the same command again to resume"
    )
