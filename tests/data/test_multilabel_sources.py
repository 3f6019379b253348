"""Multi-label sources: the CelebA layout (and its generator) and CSV tables of 0/1 columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sigbench.config import DataConfig, data_config, validate_config
from sigbench.data import load_splits
from sigbench.data.celeba_layout import ATTRIBUTE_NAMES, digit_attributes, write_celeba_layout
from sigbench.errors import SigbenchError


@pytest.fixture(scope="module")
def celeba_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_celeba_layout(tmp_path_factory.mktemp("celeba"), count=60, size=8)


def _celeba(root: Path, **fields: object) -> DataConfig:
    return data_config(source="celeba", root=root, image_size=8, **fields)


def _one_line(problem: pytest.ExceptionInfo[SigbenchError]) -> str:
    message = str(problem.value)
    assert "\n" not in message
    return message


def test_digit_attributes_follow_label_and_pixels():
    images = np.zeros((3, 4, 4), dtype=np.uint8)
    images[0, :2] = 200  # ink on top, bright
    images[1, 2:] = 10  # ink at the bottom, dim
    images[2, 2:] = 100
    values = digit_attributes(images, np.array([4, 7, 0]))
    # is_even, is_large, is_bright (above the median mean), ink_top
    assert values.tolist() == [[1, 0, 1, 1], [0, 1, 0, 0], [1, 0, 0, 0]]


def test_celeba_layout_uses_the_partition_and_every_attribute(celeba_root):
    splits = load_splits(_celeba(celeba_root), seed=0)
    assert splits.classes == list(ATTRIBUTE_NAMES)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (48, 6, 6)
    assert splits.train.labels.shape == (48, 4) and set(np.unique(splits.train.labels)) <= {0, 1}
    assert splits.train.images.shape == (48, 8, 8, 3)
    assert splits.test.names[0].endswith("img_align_celeba/000055.jpg")
    # -1/1 in the file become 0/1, and the counts are the images with each attribute
    lines = (celeba_root / "list_attr_celeba.txt").read_text().splitlines()[2:]
    first = [int(v) for v in lines[0].split()[1:]]
    assert splits.train.labels[0].tolist() == [(v + 1) // 2 for v in first]
    counts = splits.report.class_counts["train"]
    assert counts == dict(
        zip(ATTRIBUTE_NAMES, splits.train.labels.sum(axis=0).tolist(), strict=True)
    )


def test_attributes_choose_a_subset_in_their_order(celeba_root):
    splits = load_splits(_celeba(celeba_root, attributes=["ink_top", "is_even"]), seed=0)
    full = load_splits(_celeba(celeba_root), seed=0)
    assert splits.classes == ["ink_top", "is_even"]
    assert np.array_equal(splits.train.labels, full.train.labels[:, [3, 0]])


def test_without_a_partition_file_test_and_val_are_split_off(celeba_root, tmp_path):
    root = tmp_path / "nopartition"
    write_celeba_layout(root, count=40, size=8)
    (root / "list_eval_partition.txt").unlink()
    splits = load_splits(_celeba(root, test_split=0.25, val_split=0.1), seed=0)
    assert len(splits.test) == 10 and len(splits.train) + len(splits.val) == 30
    assert any("random 25%" in note for note in splits.report.notes)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda lines: lines[:2] + [lines[2] + " 1"] + lines[3:], "line 3: 5 values for 4"),
        (lambda lines: lines[:3] + [lines[3].replace("-1", "0", 1)] + lines[4:], "= '0'"),
        (lambda lines: ["7"] + lines[1:], "line 1 says 7 images"),
        (lambda lines: lines[1:], "line 1 should be the image count"),
    ],
)
def test_bad_attribute_files_give_one_line(celeba_root, tmp_path, edit, expected):
    root = tmp_path / "bad"
    write_celeba_layout(root, count=6, size=8)
    path = root / "list_attr_celeba.txt"
    lines = path.read_text().splitlines()
    if "-1" not in lines[3]:  # make sure the value edit has a -1 to change
        lines[3] = lines[3].rsplit(" ", 1)[0] + " -1"
    path.write_text("\n".join(edit(lines)) + "\n")
    with pytest.raises(SigbenchError) as problem:
        load_splits(_celeba(root), seed=0)
    assert expected in _one_line(problem) and str(path) in str(problem.value)


def test_bad_partition_and_missing_layout(celeba_root, tmp_path):
    root = tmp_path / "badpart"
    write_celeba_layout(root, count=6, size=8)
    partition = root / "list_eval_partition.txt"
    partition.write_text(partition.read_text().replace(" 2\n", " 3\n", 1))
    with pytest.raises(SigbenchError) as problem:
        load_splits(_celeba(root), seed=0)
    assert "line 6" in _one_line(problem) and "0, 1 or 2" in str(problem.value)
    with pytest.raises(SigbenchError) as problem:
        load_splits(_celeba(tmp_path / "nothing"), seed=0)
    assert "data.root" in _one_line(problem) and "img_align_celeba" in str(problem.value)
    with pytest.raises(SigbenchError) as problem:
        load_splits(_celeba(celeba_root, attributes=["smiling"]), seed=0)
    assert "'smiling' is not an attribute" in _one_line(problem)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"classes": ["a", "b"]}, "data.classes does not apply"),
        ({"max_per_class": 3}, "data.max_per_class does not apply"),
        ({"balance": "oversample"}, "data.balance: oversample does not apply"),
    ],
)
def test_single_label_keys_refused_on_multilabel(celeba_root, fields, expected):
    with pytest.raises(SigbenchError) as problem:
        load_splits(_celeba(celeba_root, **fields), seed=0)
    assert expected in _one_line(problem)


def test_multilabel_keys_refused_on_single_label(tmp_path):
    with pytest.raises(SigbenchError, match="data.attributes chooses attributes"):
        load_splits(data_config(source="csv", train=tmp_path / "a.csv", attributes=["x"]), 0)
    for key in ("attributes", "label_columns"):  # keys a built-in dataset has no use for
        with pytest.raises(SigbenchError) as problem:
            validate_config({"data": {"source": "builtin", "name": "digits", key: ["x"]}}, "s")
        assert _one_line(problem).startswith(
            f"s: unknown key 'data.{key}' for data.source 'builtin'; allowed here: "
        )


# --- CSV ------------------------------------------------------------------------------------


@pytest.fixture
def attribute_csv(tmp_path: Path, write_image):
    """``attribute_csv(rows)`` writes images and a CSV ``file,smiling,glasses`` of ``rows``."""

    def make(rows: list[tuple[str, str]], name: str = "train.csv") -> Path:
        lines = ["file,smiling,glasses"]
        for i, (smiling, glasses) in enumerate(rows):
            write_image(tmp_path / "images" / f"{name}-{i}.png", value=i)
            lines.append(f"images/{name}-{i}.png,{smiling},{glasses}")
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    return make


def _csv(train: Path, **fields: object) -> DataConfig:
    values: dict[str, object] = {
        "source": "csv",
        "train": train,
        "label_columns": ["smiling", "glasses"],
        "path_column": "file",
        "image_size": 4,
        "val_split": 0.0,
    }
    return data_config(**{**values, **fields})


def test_csv_label_columns_read_as_attributes(attribute_csv):
    rows = [("1", "0"), ("0", "1"), ("1", "1"), ("0", "0")]
    train, test = attribute_csv(rows * 2), attribute_csv(rows, "test.csv")
    splits = load_splits(_csv(train, test=test, attributes=["glasses"]), seed=0)
    assert splits.classes == ["glasses"]
    assert splits.test.labels.tolist() == [[0], [1], [1], [0]]
    assert splits.train.labels.shape == (8, 1)


@pytest.mark.parametrize(
    ("fields", "rows", "expected"),
    [
        (
            {},
            [("1", "0"), ("2", "1")],
            "line 3 column 'smiling' = '2'; attribute values are 0 or 1",
        ),
        ({}, [("1", "0"), ("", "1")], "line 3 column 'smiling' = ''"),
        ({"label_columns": ["smiling", "hat"]}, [("1", "0")], "no 'hat'"),
        ({"path_column": "path"}, [("1", "0")], "no 'path'"),
        ({"label_columns": []}, [("1", "0")], "should name one or more different columns"),
    ],
)
def test_bad_attribute_csv_gives_one_line(attribute_csv, fields, rows, expected):
    path = attribute_csv(rows)
    with pytest.raises(SigbenchError) as problem:
        load_splits(_csv(path, **fields), seed=0)
    assert expected in _one_line(problem)
    if "column" in expected and "label_columns" not in fields:
        assert str(path) in str(problem.value)
