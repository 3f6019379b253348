"""bench inference: one row per variant (torch and each export), timed on real files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sigbench.experiments.exports import bench_runs, export_run
from sigbench.export import bench


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "LATENCY_REPEATS", 5)
    monkeypatch.setattr(bench, "THROUGHPUT_REPEATS", 3)
    monkeypatch.setattr(bench, "BATCH", 16)


def test_bench_times_the_torch_model_and_every_export_of_each_run(
    rgb_sig_run: Path, rgb_cnn_run: Path, tmp_path: Path, quick: None
) -> None:
    export_run(rgb_sig_run, "onnx")
    export_run(rgb_sig_run, "torchscript")
    export_run(rgb_sig_run, "c")
    export_run(rgb_cnn_run, "onnx")
    rows = bench_runs([rgb_sig_run, rgb_cnn_run])
    assert [r["variant"] for r in rows][:1] == ["torch"]
    assert {"onnx", "torchscript", "c"} <= {r["variant"] for r in rows}
    assert [r["model"] for r in rows if r["variant"] == "onnx"] == ["imagesig_fc", "simple_cnn"]
    for row in rows:
        # Decoding is timed in its own loop, so on a busy machine its median can pass the
        # from-file median by noise; only the tail must lie above it.
        assert 0 < row["decode_ms"] <= row["latency_p95_ms"]
        assert row["latency_p50_ms"] <= row["latency_p95_ms"]
        assert 0 < row["model_p50_ms"] <= row["model_p95_ms"]
        assert row["images_per_s"] > 0 and row["file_kb"] > 0
    path = bench.write_table(rows, bench.default_table_path(rgb_sig_run))
    assert path == rgb_sig_run.parent.parent / "tables" / "inference.csv"
    assert len(pd.read_csv(path)) == len(rows)
