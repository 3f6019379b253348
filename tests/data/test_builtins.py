"""Built-in datasets: the real digits and LFW subsets, Fashion-MNIST from tiny IDX files."""

from __future__ import annotations

import numpy as np
import pytest

from sigbench.config import data_config
from sigbench.data import load_splits
from sigbench.errors import SigbenchError
from tests.helpers.images import write_idx


def test_digits_shapes_split_sizes_and_stratification():
    splits = load_splits(data_config(name="digits", image_size=8), seed=0)
    assert splits.classes == [str(d) for d in range(10)]
    assert splits.train.images.shape[1:] == (8, 8, 1)
    assert splits.train.images.max() == 255  # 0..16 scaled to 0..255
    sizes = len(splits.train), len(splits.val), len(splits.test)
    assert sum(sizes) == 1797 and sizes[2] == 360 and sizes[1] == 144
    test_share = np.bincount(splits.test.labels) / np.bincount(
        np.concatenate([splits.train.labels, splits.val.labels, splits.test.labels])
    )
    assert np.allclose(test_share, 0.2, atol=0.02)
    assert splits.test.names[0].startswith("digits[")


def test_builtin_arrays_resize_to_height_by_width():
    """Digits are 8x8: [12, 6] grows the rows (counted) and shrinks the columns."""
    splits = load_splits(
        data_config(name="digits", image_size=[12, 6], max_per_class=5, val_split=0.0), seed=0
    )
    assert splits.train.images.shape[1:] == (12, 6, 1)
    assert any("smaller than 12x6" in note for note in splits.report.notes)


def test_lfw_faces_counts_and_determinism():
    cfg = data_config(name="lfw-faces", image_size=16, val_split=0.1)
    first, again, other = (load_splits(cfg, seed=s) for s in (3, 3, 4))
    assert first.classes == ["face", "non-face"]
    counts = {
        name: sum(first.report.class_counts[s][name] for s in ("train", "val", "test"))
        for name in first.classes
    }
    assert counts == {"face": 100, "non-face": 100}
    assert first.report.class_counts["test"] == {"face": 20, "non-face": 20}
    assert first.report.class_counts["val"] == {"face": 8, "non-face": 8}
    assert first.train.images.shape == (144, 16, 16, 1)
    assert first.test.names == again.test.names
    np.testing.assert_array_equal(first.train.images, again.train.images)
    assert first.test.names != other.test.names


def test_fashion_mnist_uses_official_splits(fashion_root):
    splits = load_splits(
        data_config(name="fashion-mnist", root=fashion_root, image_size=28, val_split=0.25), 0
    )
    assert splits.classes[0] == "t-shirt/top" and splits.classes[-1] == "ankle boot"
    assert len(splits.test) == 20 and splits.test.names[0] == "fashion-mnist/t10k[0]"
    assert len(splits.train) + len(splits.val) == 40
    assert splits.train.images.shape[1:] == (28, 28, 1)
    assert not any("held out" in note for note in splits.report.notes)


def test_fashion_mnist_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(SigbenchError, match="apt-get install dataset-fashion-mnist.*data.root"):
        load_splits(data_config(name="fashion-mnist", root=tmp_path), 0)


def test_corrupt_idx_file_is_named(fashion_root):
    images = fashion_root / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-5])
    with pytest.raises(SigbenchError, match="t10k-images-idx3-ubyte: IDX header says shape"):
        load_splits(data_config(name="fashion-mnist", root=fashion_root), 0)
    images.write_bytes(b"\x00\x00\x0d\x03 float idx")
    with pytest.raises(SigbenchError, match="not an IDX file of unsigned bytes"):
        load_splits(data_config(name="fashion-mnist", root=fashion_root), 0)
    write_idx(images, np.zeros((19, 28, 28)))
    with pytest.raises(SigbenchError, match="do not pair"):
        load_splits(data_config(name="fashion-mnist", root=fashion_root), 0)


def test_unknown_builtin_lists_the_valid_ones():
    with pytest.raises(
        SigbenchError,
        match="'mnist' .*digits, fashion-mnist, fashion-mnist-scale, fashion-mnist-scale-56, lfw",
    ):
        load_splits(data_config(name="mnist"), 0)
    with pytest.raises(SigbenchError, match="data.name is not set"):
        load_splits(data_config(), 0)
