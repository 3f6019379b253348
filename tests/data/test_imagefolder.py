"""ImageFolder sources and the bad input users bring (issue 7)."""

from __future__ import annotations

import numpy as np
import pytest

from sigbench.config import data_config
from sigbench.data import load_splits
from sigbench.errors import SigbenchError


def test_classes_sorted_and_images_rgb(make_imagefolder, folder_config):
    train = make_imagefolder({"zebra": 4, "ant": 6})
    test = make_imagefolder({"zebra": 2, "ant": 3}, name="test")
    splits = load_splits(folder_config(train, test=test), seed=0)
    assert splits.classes == ["ant", "zebra"]
    assert splits.train.images.shape == (10, 8, 8, 3) and splits.train.images.dtype == np.uint8
    assert splits.train.labels.dtype == np.int64
    assert splits.report.class_counts["test"] == {"ant": 3, "zebra": 2}
    assert all(name.startswith(str(train)) for name in splits.train.names)
    assert len(splits.val) == 0 and splits.val.images.shape[1:] == (8, 8, 3)


def test_without_test_folder_a_stratified_test_split_is_made(make_imagefolder, folder_config):
    splits = load_splits(folder_config(make_imagefolder({"a": 10, "b": 20}), test_split=0.2), 0)
    assert splits.report.class_counts["test"] == {"a": 2, "b": 4}
    assert any("held out a stratified 20%" in note for note in splits.report.notes)


def test_unreadable_files_are_skipped_with_one_warning(
    make_imagefolder, folder_config, warnings_of
):
    train = make_imagefolder({"a": 4, "b": 4})
    (train / "a" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    (train / "b" / "readme.txt").write_text("hello")
    splits = load_splits(folder_config(train, test_split=0.25), seed=0)
    assert splits.report.skipped == 2
    assert {name.rsplit("/", 1)[-1] for name in splits.report.skipped_names} == {
        "broken.jpg",
        "readme.txt",
    }
    skip_warnings = [w for w in warnings_of() if "skipped 2" in w]
    assert len(skip_warnings) == 1 and "broken.jpg" in skip_warnings[0]
    assert len(splits.train) + len(splits.test) == 8


def test_strict_mode_names_the_first_bad_file(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 4, "b": 4})
    (train / "a" / "0_bad.png").write_bytes(b"nope")
    with pytest.raises(SigbenchError, match=r"a/0_bad\.png: not a readable image.*data\.strict"):
        load_splits(folder_config(train, strict=True, test_split=0.25), seed=0)


def test_empty_class_folders_are_ignored_with_a_warning(
    make_imagefolder, folder_config, warnings_of
):
    train = make_imagefolder({"a": 4, "b": 4})
    (train / "empty").mkdir()
    (train / ".ipynb_checkpoints").mkdir()
    (train / "a" / ".DS_Store").write_bytes(b"\0\0")
    splits = load_splits(folder_config(train, test_split=0.25), seed=0)
    assert splits.classes == ["a", "b"]
    assert splits.report.skipped == 0
    assert any("empty class folder" in w and "empty" in w for w in warnings_of())


def test_single_class_is_an_error_naming_the_folder(make_imagefolder, folder_config):
    train = make_imagefolder({"fire": 4})
    with pytest.raises(SigbenchError, match=rf"{train}.*only 'fire'.*at least 2 classes"):
        load_splits(folder_config(train), seed=0)


def test_missing_folder_names_key_and_path(tmp_path, folder_config):
    missing = tmp_path / "data" / "fire" / "training_set"
    with pytest.raises(SigbenchError) as caught:
        load_splits(folder_config(missing), seed=0)
    message = str(caught.value)
    assert message.startswith(f"data.train: {missing} does not exist;")
    assert "<class>/<image>.jpg" in message and "\n" not in message


def test_imagefolder_without_train_is_an_error():
    with pytest.raises(SigbenchError, match="data.train is not set; data.source: imagefolder"):
        load_splits(data_config(source="imagefolder"), seed=0)


def test_folder_of_loose_images_has_no_classes(tmp_path, write_image, folder_config):
    write_image(tmp_path / "flat" / "1.png")
    with pytest.raises(SigbenchError, match="has no class folders"):
        load_splits(folder_config(tmp_path / "flat"), seed=0)


def test_test_class_unknown_to_training_is_an_error(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 3, "b": 3})
    test = make_imagefolder({"a": 1, "c": 1}, name="test")
    with pytest.raises(SigbenchError, match="'c'.*training classes: a, b"):
        load_splits(folder_config(train, test=test), seed=0)


def test_small_images_are_upsampled_and_noted(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 3, "b": 3}, size=(4, 4))
    test = make_imagefolder({"a": 1, "b": 1}, name="test", size=(16, 16))
    splits = load_splits(folder_config(train, test=test), seed=0)
    assert splits.train.images.shape[1:] == (8, 8, 3)
    notes = splits.report.notes
    assert any(note.startswith("6 of 8 images were smaller than 8x8") for note in notes)


def test_selected_classes_keep_the_given_order(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 3, "b": 4, "c": 5})
    test = make_imagefolder({"a": 1, "b": 1, "c": 1}, name="test")
    splits = load_splits(folder_config(train, test=test, classes=["c", "a"]), seed=0)
    assert splits.classes == ["c", "a"]
    assert splits.report.class_counts["train"] == {"c": 5, "a": 3}
    assert sorted(splits.test.labels.tolist()) == [0, 1]
    with pytest.raises(SigbenchError, match="'d' is not a class.*available: a, b, c"):
        load_splits(folder_config(train, test=test, classes=["a", "d"]), seed=0)
    with pytest.raises(SigbenchError, match="at least 2 different classes"):
        load_splits(folder_config(train, test=test, classes=["a"]), seed=0)


def test_max_per_class_caps_training_only_and_is_seeded(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 6, "b": 9})
    test = make_imagefolder({"a": 4, "b": 4}, name="test")
    cfg = folder_config(train, test=test, max_per_class=3)
    first, again = load_splits(cfg, seed=1), load_splits(cfg, seed=1)
    assert first.report.class_counts["train"] == {"a": 3, "b": 3}
    assert first.report.class_counts["test"] == {"a": 4, "b": 4}
    assert first.train.names == again.train.names


class _Descriptions:
    """A :class:`sigbench.progress.Progress` that keeps each task's description."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def task(self, description: str, total: int | None):  # noqa: ANN201
        from sigbench.progress import SILENT

        self.opened.append(description)
        return SILENT.task(description, total)


def test_progress_names_the_split_being_decoded(make_imagefolder, folder_config):
    """Test and validation images carved from the training folder are not "training"."""
    train = make_imagefolder({"a": 10, "b": 10})
    progress = _Descriptions()
    load_splits(folder_config(train, test_split=0.25), seed=0, progress=progress)
    decoded = [d for d in progress.opened if d.startswith("decoding")]
    assert decoded == [
        "decoding training images",
        "decoding validation images",
        "decoding test images",
    ]
