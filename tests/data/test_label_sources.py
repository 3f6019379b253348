"""Images with labels from a label file (numbered images) or from a CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigbench.config import DataConfig, data_config
from sigbench.data import load_splits
from sigbench.errors import SigbenchError


@pytest.fixture
def numbered(tmp_path: Path, write_image):
    """``numbered("train", ["1", "0", ...])``: images 1.png..n.png and a label file."""

    def make(name: str, labels: list[str]) -> tuple[Path, Path]:
        folder = tmp_path / name
        for i, _ in enumerate(labels, start=1):
            write_image(folder / f"{i}.png", value=i)
        label_file = tmp_path / f"{name}_labels.txt"
        label_file.write_text("\n".join(labels) + "\n\n")
        return folder, label_file

    return make


def _labelfile(train: Path, labels: Path, **fields: object) -> DataConfig:
    return data_config(
        source="labelfile", train=train, labels=labels, image_size=4, val_split=0.0, **fields
    )


def test_images_pair_with_labels_in_numeric_order(numbered):
    labels = ["0", "1"] * 6  # image 10 gets label line 10, not line 2 as a text sort would
    folder, label_file = numbered("train", labels)
    test_folder, test_labels = numbered("test", ["1", "0"])
    splits = load_splits(
        _labelfile(folder, label_file, test=test_folder, test_labels=test_labels), seed=0
    )
    assert splits.classes == ["0", "1"]
    by_name = dict(zip(splits.train.names, splits.train.labels.tolist(), strict=True))
    assert [by_name[str(folder / f"{i}.png")] for i in (1, 2, 9, 10, 11, 12)] == [0, 1, 0, 1, 0, 1]
    assert splits.test.labels.tolist() == [1, 0]


def test_count_mismatch_gives_both_counts(numbered):
    folder, label_file = numbered("train", ["0", "1", "0", "1"])
    label_file.write_text("0\n1\n0\n")
    with pytest.raises(SigbenchError, match="has 3 labels but data.train: .* has 4 numbered"):
        load_splits(_labelfile(folder, label_file), seed=0)


def test_numbered_folder_problems(numbered, write_image):
    folder, label_file = numbered("train", ["0", "1", "0", "1"])
    label_file.write_text("0\n\n1\n0\n1\n")
    with pytest.raises(SigbenchError, match="line 2 is blank"):
        load_splits(_labelfile(folder, label_file), seed=0)
    label_file.write_text("0\n1\n0\n1\n")
    write_image(folder / "03.jpg")
    with pytest.raises(SigbenchError, match="03.jpg and 3.png .* same number"):
        load_splits(_labelfile(folder, label_file), seed=0)


def test_one_label_value_is_an_error(numbered):
    folder, label_file = numbered("train", ["1", "1", "1"])
    with pytest.raises(SigbenchError, match="only '1'; a classifier needs at least 2 classes"):
        load_splits(_labelfile(folder, label_file), seed=0)


def test_test_images_need_test_labels(numbered):
    folder, label_file = numbered("train", ["0", "1"] * 4)
    with pytest.raises(SigbenchError, match="data.test and data.test_labels go together"):
        load_splits(_labelfile(folder, label_file, test=folder), seed=0)


def test_csv_paths_are_relative_to_the_csv(tmp_path, write_image):
    for i in range(6):
        write_image(tmp_path / "imgs" / f"{i}.png", value=i)
    table = tmp_path / "train.csv"
    rows = [f"imgs/{i}.png,{'cat' if i % 2 else 'dog'}" for i in range(6)]
    table.write_text("path,label,extra\n" + "\n".join(f"{r},x" for r in rows) + "\n")
    cfg = data_config(source="csv", train=table, image_size=4, val_split=0.0, test_split=1 / 3)
    splits = load_splits(cfg, seed=0)
    assert splits.classes == ["cat", "dog"]
    assert splits.report.class_counts["test"] == {"cat": 1, "dog": 1}
    assert all(Path(n).is_file() for n in splits.train.names)


def test_csv_without_the_right_columns(tmp_path):
    table = tmp_path / "train.csv"
    table.write_text("file,class\na.png,cat\n")
    with pytest.raises(SigbenchError, match=r"columns \['file', 'class'\].*path,label"):
        load_splits(data_config(source="csv", train=table), seed=0)


def test_label_file_inside_the_image_folder_and_stray_files(numbered, warnings_of):
    folder, outside = numbered("train", ["0", "1"] * 3)
    inside = folder / "labels.txt"
    inside.write_text(outside.read_text())
    (folder / "notes.md").write_text("about the data")
    splits = load_splits(_labelfile(folder, inside, test_split=0.5), seed=0)
    assert len(splits.train) + len(splits.test) == 6 and splits.report.skipped == 0
    assert any("not named by number" in w and "notes.md" in w for w in warnings_of())


def test_csv_test_file_with_an_unknown_label(tmp_path, write_image):
    write_image(tmp_path / "a.png")
    (tmp_path / "train.csv").write_text("path,label\na.png,cat\na.png,dog\n")
    (tmp_path / "test.csv").write_text("path,label\na.png,cow\n")
    cfg = data_config(source="csv", train=tmp_path / "train.csv", test=tmp_path / "test.csv")
    with pytest.raises(SigbenchError, match="data.test: .*'cow' is not a training label"):
        load_splits(cfg, seed=0)
