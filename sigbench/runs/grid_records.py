"""``grids/<grid>.json``: which runs make up a sweep's table, so ``report`` can rebuild the
table from the run folders alone."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sigbench.errors import SigbenchError
from sigbench.runs import rundir


@dataclass
class GridRecord:
    """What ``grids/<name>.json`` holds: the last sweep of that grid over this folder."""

    name: str
    keys: list[str]
    points: list[dict[str, Any]]  # {"run_id": ..., "values": {key: value}, "seed": int}
    paper_table: str | None = None
    source: str = ""
    config: str = ""
    overrides: list[str] = field(default_factory=list)


def write_grid_record(results: Path, record: GridRecord) -> Path:
    """Write (atomically) ``record``; a later sweep of the same grid replaces it."""
    path = rundir.grids_dir(results) / f"{record.name}.json"
    rundir.write_json_atomic(path, asdict(record))
    return path


def read_grid_records(results: Path) -> list[GridRecord]:
    """Every sweep recorded under ``results``, by name."""
    folder = rundir.grids_dir(results)
    records = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            records.append(GridRecord(**json.loads(path.read_text())))
        except (ValueError, TypeError) as exc:
            raise SigbenchError(f"{path}: not a sigbench grid record ({exc})") from None
    return records
