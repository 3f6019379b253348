"""Which image files a folder holds, by the two rules sigbench reads folders with.

``numbered_images``: the ``labelfile`` layout (the HTER hand-in's): the files directly in a
folder named by number, in numeric order (``10.jpg`` after ``9.jpg``), so the n-th image
pairs with the n-th label line, or the n-th prediction with the n-th line of the hand-in.
Anything else (``labels.txt``, ``Copy of 1.jpg``) is skipped with one warning that counts
and names a few, and a gap in the numbering is reported by number. The ``labelfile``
source and ``predict`` on a label-file run's folder both list with it.

``list_inputs`` without ``numbered``: every non-hidden file under each folder, recursively,
each level sorted with :func:`number_key`. Unreadable files are
not filtered there: the decoder reports them, so a corrupt JPEG is counted, not dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sigbench.errors import SigbenchError, plural

log = logging.getLogger(__name__)

NUMBERED = "images named by number (1.jpg, 2.jpg, ...)"
MAX_NAMED = 3  # files a warning names; the rest are counted
MAX_NUMBERS = 10  # missing numbers a message names


def is_hidden(path: Path, root: Path) -> bool:
    """Hidden entries (``.DS_Store``, ``.ipynb_checkpoints``) are system files, not images."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def number_key(path: Path) -> tuple[int, int, str]:
    """Sort key: files named by number first, in numeric order (``10.jpg`` after ``9.jpg``),
    then the rest by name."""
    stem = path.stem
    return (0, int(stem), path.name) if stem.isdigit() else (1, 0, path.name)


@dataclass
class NumberedImages:
    """A folder's numbered images in numeric order, and the numbers missing between its
    first (0 or 1 where present, else 1) and its last."""

    paths: list[Path]
    missing: list[int]

    def missing_text(self) -> str:
        """``missing 5`` or ``missing 5, 9, ... (12 numbers)``; empty without a gap."""
        if not self.missing:
            return ""
        shown = ", ".join(map(str, self.missing[:MAX_NUMBERS]))
        more = f", ... ({len(self.missing)} numbers)" if len(self.missing) > MAX_NUMBERS else ""
        return f"missing {shown}{more}"


def numbered_images(folder: Path, where: str, *, skip: Path | None = None) -> NumberedImages:
    """The files directly in ``folder`` named by number (``skip``, a label file kept there,
    left out); ``where`` (a config key or the folder) starts every message."""
    numbered: dict[int, Path] = {}
    ignored: list[str] = []
    for path in sorted(folder.iterdir()):
        if is_hidden(path, folder) or not path.is_file():
            continue
        if skip is not None and path.resolve() == skip.resolve():
            continue
        if not path.stem.isdigit():
            ignored.append(path.name)
            continue
        number = int(path.stem)
        if number in numbered:
            raise SigbenchError(
                f"{where}: {numbered[number].name} and {path.name} in {folder} have the same "
                "number; each number must name one image"
            )
        numbered[number] = path
    if ignored:
        log.warning(
            "%s: ignoring %s in %s not named by number (first: %s)",
            where,
            plural(len(ignored), "file"),
            folder,
            ", ".join(ignored[:MAX_NAMED]),
        )
    if not numbered:
        raise SigbenchError(f"{where}: {folder} has no {NUMBERED}")
    first = 0 if 0 in numbered else 1
    found = NumberedImages(
        sorted(numbered.values(), key=number_key),
        sorted(set(range(first, max(numbered) + 1)) - set(numbered)),
    )
    if found.missing:
        log.warning(
            "%s: %s has a gap in its numbering (%s): the images after it move up a line",
            where,
            folder,
            found.missing_text(),
        )
    return found


def _folder_files(root: Path) -> list[Path]:
    files = (p for p in root.rglob("*") if p.is_file() and not is_hidden(p, root))
    return sorted(
        files, key=lambda p: [number_key(Path(part)) for part in p.relative_to(root).parts]
    )


def list_inputs(inputs: Sequence[Path], *, numbered: bool = False) -> list[Path]:
    """Files in argument order, each folder expanded in place; a missing path is an error.

    ``numbered``: a folder gives its :func:`numbered_images` (a label-file run's folders),
    else every file under it.
    """
    paths: list[Path] = []
    for given in map(Path, inputs):
        if given.is_file():
            paths.append(given)
        elif given.is_dir():
            found = numbered_images(given, str(given)).paths if numbered else _folder_files(given)
            if not found:
                raise SigbenchError(f"{given}: the folder holds no files to classify")
            paths.extend(found)
        else:
            raise SigbenchError(f"{given}: no such image file or folder")
    return paths
