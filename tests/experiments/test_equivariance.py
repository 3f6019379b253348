"""eval --equivariance on an ImageSig run and a CNN run: a row per (layer, scale), the form
each row uses, zero at the identity scale, the CSV and plot, and the report's table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sigbench.errors import SigbenchError
from sigbench.experiments.equivariance import (
    COLUMNS,
    check_transform,
    columns,
    equivariance_frame,
    parse_angles,
    parse_scales,
    rescale_images,
    rotate_images,
)
from sigbench.reporting.equivariance import write_equivariance
from sigbench.reporting.report import write_report

SCALES = [0.5, 1.0, 2.0]


def test_scales_are_parsed_or_named() -> None:
    assert parse_scales("0.5, 2,0.5") == [0.5, 2.0]
    for bad in ("", "big", "0,1", "0.5;2"):
        with pytest.raises(SigbenchError, match="--scales"):
            parse_scales(bad)


def test_images_are_rescaled_about_the_centre() -> None:
    images = np.zeros((2, 8, 8, 3), dtype=np.uint8)
    images[:, 2:6, 2:6] = 200
    assert rescale_images(images, 1.0) is images
    shrunk = rescale_images(images, 0.5)
    assert shrunk.dtype == np.uint8 and shrunk.shape == images.shape
    assert shrunk[:, :2].max() == 0 and shrunk[:, 3:5, 3:5].min() > 100
    assert np.array_equal(shrunk, shrunk[:, ::-1, ::-1])  # still centred
    # antialiased: the square's mass shrinks with its area (to within rounding)
    assert shrunk.sum() == pytest.approx(images.sum() / 4, rel=0.05)
    assert (rescale_images(images, 2.0)[:, 2:6, 2:6] == 200).all()


def _check(frame: pd.DataFrame, layers: list[str]) -> None:
    assert list(frame.columns) == COLUMNS
    assert list(dict.fromkeys(frame["layer"])) == layers
    assert len(frame) == len(layers) * len(SCALES)  # a row per (layer, scale)
    identity = frame[frame["scale"] == 1.0]
    assert (identity["delta"] == 0).all()
    others = frame[frame["scale"] != 1.0]
    assert (others["delta"] > 0).all() and others["delta"].notna().all()


def test_imagesig_run_signature_per_direction_and_hidden(digits_run: Path) -> None:
    frame = equivariance_frame(digits_run, SCALES, max_images=60)
    _check(frame, ["signature_rows", "signature_columns", "hidden"])
    forms = dict(zip(frame["layer"], frame["form"], strict=False))
    assert forms == {
        "signature_rows": "equivariance",
        "signature_columns": "equivariance",
        "hidden": "invariance",
    }
    assert set(frame["n_images"]) == {60}
    # depth 3 with a time channel: 2 + 4 + 8 terms per stream, 8 rows
    assert frame.loc[frame["layer"] == "signature_rows", "map_shape"].iloc[0] == "14x8"


def test_cnn_run_after_each_stage(rgb_cnn_run: Path) -> None:
    frame = equivariance_frame(rgb_cnn_run, SCALES)
    _check(frame, ["stage1", "stage2", "stage3", "hidden"])
    assert (frame.loc[frame["layer"] != "hidden", "form"] == "equivariance").all()
    assert frame.loc[frame["layer"] == "stage1", "map_shape"].iloc[0] == "16x8x8"

    csv_path, png_path = write_equivariance(rgb_cnn_run, frame)
    assert png_path.stat().st_size > 0
    assert pd.read_csv(csv_path).shape == frame.shape
    results = rgb_cnn_run.parent.parent
    report = write_report(results)  # no sweeps, but an equivariance table
    table = results / "tables" / "equivariance.csv"
    assert table in report.files and set(pd.read_csv(table)["run_id"]) == {rgb_cnn_run.name}
    assert results / "tables" / "equivariance_hidden.png" in report.files


def test_a_model_without_named_layers_is_refused(tmp_path: Path) -> None:
    from sigbench.models import create_model, named_layers

    model = create_model("logistic", input_shape=(1, 8, 8), num_classes=2)
    with pytest.raises(SigbenchError, match="'logistic' names no layers.*simple_cnn"):
        named_layers("logistic", model)


def test_angles_and_transforms_are_parsed_or_named() -> None:
    assert parse_angles("90, 45,90,-30") == [90.0, 45.0, -30.0]
    for bad in ("", "right", "400", "45;90"):
        with pytest.raises(SigbenchError, match="--angles"):
            parse_angles(bad)
    assert check_transform("rotate") == "rotate"
    with pytest.raises(SigbenchError, match="--transform 'shear': choose scale or rotate"):
        check_transform("shear")


def test_images_are_rotated_about_the_centre() -> None:
    images = np.zeros((2, 8, 8, 1), dtype=np.uint8)
    images[:, 1:3, 2:6] = 200  # a bar near the top
    assert rotate_images(images, 0.0) is images
    turned = rotate_images(images, 90.0)
    assert np.array_equal(turned, np.rot90(images, 1, axes=(1, 2)))  # exact: now on the left
    half = rotate_images(images, 180.0)
    assert np.array_equal(half, images[:, ::-1, ::-1])
    tilted = rotate_images(images, 30.0)
    assert tilted.dtype == np.uint8 and tilted.shape == images.shape
    assert tilted.sum() > 0 and not np.array_equal(tilted, images)


ANGLES = [0.0, 45.0, 90.0]


def test_rotation_rows_per_layer_and_angle_and_the_report_gathers_both(
    rgb_cnn_run: Path, digits_run: Path
) -> None:
    frame = equivariance_frame(rgb_cnn_run, ANGLES, transform="rotate")
    assert list(frame.columns) == columns("rotate") and "angle" in frame.columns
    assert list(dict.fromkeys(frame["layer"])) == ["stage1", "stage2", "stage3", "hidden"]
    assert len(frame) == 4 * len(ANGLES)
    assert (frame.loc[frame["angle"] == 0.0, "delta"] == 0).all()
    assert (frame.loc[frame["angle"] != 0.0, "delta"] > 0).all()
    assert set(frame["interpolation"]) == {"rot90 at right angles, else bilinear"}

    signature = equivariance_frame(digits_run, [90.0], transform="rotate", max_images=30)
    forms = dict(zip(signature["layer"], signature["form"], strict=False))
    assert forms == dict.fromkeys(["signature_rows", "signature_columns", "hidden"], "invariance")

    scale = equivariance_frame(rgb_cnn_run, [0.5])
    written = write_equivariance(rgb_cnn_run, frame) + write_equivariance(rgb_cnn_run, scale)
    assert [p.name for p in written] == [
        "equivariance_rotate.csv", "equivariance_rotate.png", "equivariance.csv", "equivariance.png"
    ]  # fmt: skip
    results = rgb_cnn_run.parent.parent
    report = write_report(results)
    tables = results / "tables"
    for stem in ("equivariance", "equivariance_rotate"):
        assert tables / f"{stem}.csv" in report.files
        assert tables / f"{stem}_hidden.png" in report.files
    assert set(pd.read_csv(tables / "equivariance_rotate.csv")["angle"]) == set(ANGLES)
    assert set(pd.read_csv(tables / "equivariance.csv")["scale"]) == {0.5}
