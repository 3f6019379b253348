"""The image files a ``predict`` call names: files as given, folders walked in a fixed order.

A folder contributes every non-hidden file under it, recursively. Each level is sorted with
:func:`~sigbench.data.sources.files.number_key`, the order the ``labelfile`` source reads
numbered images in, so ``1.jpg ... 100000.jpg`` come out in numeric order and the n-th
prediction belongs to the n-th image. Unreadable files are not filtered here: the decoder
reports them, so a corrupt JPEG is counted, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sigbench.data.sources.files import is_hidden, number_key
from sigbench.errors import SigbenchError


def _folder_files(root: Path) -> list[Path]:
    files = (p for p in root.rglob("*") if p.is_file() and not is_hidden(p, root))
    return sorted(
        files, key=lambda p: [number_key(Path(part)) for part in p.relative_to(root).parts]
    )


def list_inputs(inputs: Sequence[Path]) -> list[Path]:
    """Files in argument order, each folder expanded in place; a missing path is an error."""
    paths: list[Path] = []
    for given in map(Path, inputs):
        if given.is_file():
            paths.append(given)
        elif given.is_dir():
            found = _folder_files(given)
            if not found:
                raise SigbenchError(f"{given}: the folder holds no files to classify")
            paths.extend(found)
        else:
            raise SigbenchError(f"{given}: no such image file or folder")
    return paths
