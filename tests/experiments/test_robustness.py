"""eval --robustness and --tta: transforms, the CSV and plot per run, the report's table, and
test-time augmentation against plain evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sigbench.data.transforms import TRANSFORMS, parse_transforms, transform_images, zoom
from sigbench.errors import SigbenchError
from sigbench.experiments.evaluate import evaluate_run
from sigbench.experiments.robustness import COLUMNS, robustness_frame, tta_scores
from sigbench.reporting.report import write_report
from sigbench.reporting.robustness import gather_robustness, write_robustness


def test_zoom_keeps_the_size_crops_in_and_pads_out() -> None:
    images = np.zeros((1, 8, 8, 1), dtype=np.uint8)
    images[0, 2:6, 2:6] = 200  # a centred 4x4 square
    zoomed_in = zoom(images, 2.0)
    assert zoomed_in.shape == images.shape and (zoomed_in == 200).all()
    zoomed_out = zoom(images, 0.5)
    assert zoomed_out.shape == images.shape
    assert zoomed_out[0, :2].max() == 0 and zoomed_out[0, 3:5, 3:5].min() == 200


def test_zoom_of_a_non_square_image_keeps_height_and_width() -> None:
    images = np.zeros((1, 8, 16, 1), dtype=np.uint8)
    images[0, 2:6, 4:12] = 200  # centred, half of each side
    zoomed_in = zoom(images, 2.0)
    assert zoomed_in.shape == images.shape and (zoomed_in == 200).all()
    zoomed_out = zoom(images, 0.5)
    assert zoomed_out.shape == images.shape
    assert zoomed_out[0, :3].max() == 0 and zoomed_out[0, :, :6].max() == 0
    assert zoomed_out[0, 3:5, 6:10].min() == 200


def test_every_identity_is_a_no_op_and_noise_is_seeded() -> None:
    images = np.random.default_rng(0).integers(0, 256, (3, 6, 6, 3), dtype=np.uint8)
    for name, transform in TRANSFORMS.items():
        assert transform.identity in transform.strengths
        assert np.array_equal(transform_images(images, name, transform.identity, 0), images)
    noisy = transform_images(images, "noise", 10, 0)
    assert np.array_equal(noisy, transform_images(images, "noise", 10, 0))
    assert not np.array_equal(noisy, images)
    darker = transform_images(images, "brightness", -40, 0)
    assert darker.max(axis=-1).mean() < images.max(axis=-1).mean()


def test_unknown_transforms_are_named() -> None:
    assert parse_transforms("scale, flip,scale") == ["scale", "flip"]
    with pytest.raises(SigbenchError, match="--robustness 'blur'.*scale, flip"):
        parse_transforms("blur")


def test_robustness_table_of_an_imagesig_run(digits_run: Path) -> None:
    names = list(TRANSFORMS)
    frame = robustness_frame(digits_run, names)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == sum(len(TRANSFORMS[n].strengths) for n in names)
    pairs = zip(frame["transform"], frame["strength"], strict=True)
    identity = frame[[strength == TRANSFORMS[name].identity for name, strength in pairs]]
    assert len(identity) == len(names)
    assert (identity["changed"] == 0).all() and (identity["accuracy_change"] == 0).all()
    assert (identity["sig_change"] == 0).all() and (identity["sig_change_standardized"] == 0).all()
    clean = evaluate_run(digits_run)["accuracy"]
    assert identity["accuracy"].tolist() == pytest.approx([clean] * len(names))
    others = frame.drop(identity.index)
    assert (others["sig_change"] > 0).all()
    assert others["changed"].between(0, 1).all()

    csv_path, png_path = write_robustness(digits_run, frame)
    assert png_path.stat().st_size > 0
    again = pd.read_csv(csv_path)
    assert list(again.columns) == COLUMNS and len(again) == len(frame)
    gathered = gather_robustness(digits_run.parent.parent)
    assert gathered is not None and set(gathered["run_id"]) == {digits_run.name}
    report = write_report(digits_run.parent.parent)  # no sweeps, but a robustness table
    tables = digits_run.parent.parent / "tables"
    assert report.files == [tables / "robustness.csv", tables / "runs.csv"]


def test_a_baseline_has_no_signature_change(rgb_cnn_run: Path) -> None:
    frame = robustness_frame(rgb_cnn_run, ["flip"])
    assert frame["sig_change"].isna().all()
    assert frame.loc[frame.strength == "none", "changed"].item() == 0


def test_tta_averages_the_flipped_copies(rgb_sig_run: Path) -> None:
    scores = tta_scores(rgb_sig_run, "flips")
    assert scores["accuracy"] == pytest.approx(evaluate_run(rgb_sig_run)["accuracy"])
    assert {"accuracy_horizontal", "accuracy_vertical", "accuracy_tta_flips"} <= set(scores)
    assert scores["tta_gain"] == pytest.approx(scores["accuracy_tta_flips"] - scores["accuracy"])
    with pytest.raises(SigbenchError, match="--tta 'rotate'"):
        tta_scores(rgb_sig_run, "rotate")
