"""predict's building blocks: folder order, streaming in batches, unreadable files, writers."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sigbench.data.listing import list_inputs
from sigbench.errors import SigbenchError
from sigbench.experiments.predict import (
    PredictReport,
    open_predictor,
    stream_predictions,
    write_predictions,
)


def _png(path: Path, value: int, channel: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((12, 12, 3), value // 2, dtype=np.uint8)
    pixels[..., channel] = value
    Image.fromarray(pixels).save(path)
    return path


def test_folders_expand_recursively_numbered_files_in_numeric_order(tmp_path: Path) -> None:
    for name in ("10.png", "2.png", "1.png", "b.png", "a.png", "sub/3.png", ".hidden.png"):
        _png(tmp_path / "f" / name, 200, 0)
    single = _png(tmp_path / "single.png", 200, 0)
    names = [p.relative_to(tmp_path).as_posix() for p in list_inputs([single, tmp_path / "f"])]
    assert names == [
        "single.png", "f/1.png", "f/2.png", "f/10.png", "f/a.png", "f/b.png", "f/sub/3.png"
    ]  # fmt: skip
    with pytest.raises(SigbenchError, match="no such image file or folder"):
        list_inputs([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SigbenchError, match="holds no files"):
        list_inputs([tmp_path / "empty"])


def test_streaming_keeps_order_and_reports_unreadable_files(
    rgb_sig_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    red = [_png(tmp_path / f"{i}.png", 230, 0) for i in range(3)]
    bad = tmp_path / "3.png"
    bad.write_bytes(b"not an image")
    blue = [_png(tmp_path / f"{i}.png", 230, 2) for i in range(4, 7)]
    paths = [*red, bad, *blue]
    predictor = open_predictor(rgb_sig_run)
    report = PredictReport()
    with caplog.at_level(logging.WARNING):
        answers = list(stream_predictions(predictor, paths, report, batch=2))
    assert [a.path for a in answers] == paths
    assert answers[3].proba is None and report.unreadable == [str(bad)]
    assert "1 of 7 files could not be read" in caplog.text
    whole = predictor.proba(np.stack([np.asarray(Image.open(p)) for p in red + blue]))
    streamed = np.stack([a.proba for a in answers if a.proba is not None])
    np.testing.assert_allclose(streamed, whole, atol=1e-6)  # batches change nothing

    labels = io.StringIO()
    write_predictions(iter(answers), predictor.classes, labels, fmt="labels", proba=False)
    lines = labels.getvalue().split("\n")[:-1]
    assert len(lines) == 7 and lines[3] == "" and set(lines) - {""} <= set(predictor.classes)

    table = io.StringIO()
    write_predictions(iter(answers), predictor.classes, table, fmt="csv", proba=True)
    rows = table.getvalue().splitlines()
    assert rows[0] == "path,label,probability," + ",".join(predictor.classes)
    first = rows[1].split(",")
    assert sum(map(float, first[3:])) == pytest.approx(1.0, abs=1e-5)
    assert float(first[2]) == pytest.approx(max(map(float, first[3:])), abs=1e-6)
    assert rows[4] == f"{bad},,,,"

    with pytest.raises(SigbenchError, match="3.png: not a readable image.*--strict"):
        list(stream_predictions(predictor, paths, PredictReport(), strict=True, batch=2))
