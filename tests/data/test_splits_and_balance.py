"""Validation splits, class weights and resampling of the training split."""

from __future__ import annotations

import numpy as np
import pytest

from sigbench.data import class_weights, load_splits
from sigbench.errors import SigbenchError


def test_class_weights_match_table_1():
    labels = np.repeat([0, 1], [4097, 11055])
    np.testing.assert_allclose(class_weights(labels, 2), [1.849, 0.685], atol=1e-3)
    np.testing.assert_allclose(class_weights(np.array([0, 0, 2]), 3), [0.5, 0.0, 1.0])


def test_val_split_is_stratified_and_seeded(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 10, "b": 30})
    test = make_imagefolder({"a": 1, "b": 1}, name="test")
    cfg = folder_config(train, test=test, val_split=0.25)
    first, again = load_splits(cfg, seed=7), load_splits(cfg, seed=7)
    assert first.report.class_counts["val"] == {"a": 2, "b": 8}
    assert first.val.names == again.val.names
    assert not set(first.val.names) & set(first.train.names)


def test_impossible_val_split_is_a_one_line_error(make_imagefolder, folder_config):
    train = make_imagefolder({"a": 2, "b": 2, "c": 2})
    test = make_imagefolder({"a": 1, "b": 1}, name="test")
    with pytest.raises(SigbenchError, match="data.val_split = 0.1: cannot hold out") as caught:
        load_splits(folder_config(train, test=test, val_split=0.1), seed=0)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("balance", "expected"),
    [
        ("none", {"a": 4, "b": 12}),
        ("class_weights", {"a": 4, "b": 12}),
        ("undersample", {"a": 4, "b": 4}),
        ("oversample", {"a": 12, "b": 12}),
    ],
)
def test_balance_acts_on_training_after_augmentation(
    make_imagefolder, folder_config, balance, expected
):
    train = make_imagefolder({"a": 2, "b": 6})
    test = make_imagefolder({"a": 1, "b": 3}, name="test")
    cfg = folder_config(train, test=test, augment=["flip_vertical"], balance=balance)
    splits = load_splits(cfg, seed=0)
    assert splits.report.class_counts["train_before_balance"] == {"a": 4, "b": 12}
    assert splits.report.class_counts["train"] == expected
    assert splits.report.class_counts["test"] == {"a": 1, "b": 3}
    if balance == "oversample":
        originals = splits.train.names[:16]
        assert sorted(originals) == sorted(set(originals))  # every original kept once
        assert set(splits.train.names) == set(originals)


def test_split_seed_fixes_the_held_out_images_whatever_the_run_seed(
    make_imagefolder, folder_config
):
    train = make_imagefolder({"a": 20, "b": 20})

    def test_names(seed: int, split_seed: int | str | None) -> list[str]:
        cfg = folder_config(train, test_split=0.25, val_split=0.2)
        cfg.split_seed = split_seed
        splits = load_splits(cfg, seed=seed)
        return [*splits.test.names, "|", *splits.val.names]

    assert test_names(3, 0) == test_names(0, None) == test_names(5, 0)
    assert test_names(1, None) == test_names(1, "seed") != test_names(2, "seed")
