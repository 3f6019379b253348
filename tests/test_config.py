"""The experiment schema: defaults, overrides and one-line errors that name what is wrong."""

from pathlib import Path

import pytest
import yaml

from sigbench.config import (
    DATA_CONFIGS,
    BuiltinData,
    CelebaData,
    ExperimentConfig,
    ImageFolderData,
    check_key,
    dump_config,
    load_config,
    validate_config,
)
from sigbench.errors import SigbenchError
from sigbench.models import list_models, model_entry

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["demo", "fire_d4", "fashion_d4", "lfw_faces"])
def test_shipped_configs_validate(name: str) -> None:
    config = load_config(REPO / "configs" / f"{name}.yaml")
    assert config.name == name
    assert config.run_id().startswith(f"{name}-")


def test_overrides_set_nested_keys_with_yaml_types(tmp_path: Path) -> None:
    path = write(tmp_path, "signature: {depth: 3}\n")
    config = load_config(
        path, ["signature.depth=5", "signature.two_direction=true", "data.classes=[a, b]"]
    )
    assert config.signature.depth == 5
    assert config.signature.two_direction is True
    assert config.data.classes == ["a", "b"]


def test_run_id_follows_every_setting(tmp_path: Path) -> None:
    path = write(tmp_path, "model: {neurons: 50}\n")
    same = load_config(path).run_id() == load_config(path).run_id()
    differs = load_config(path).run_id() != load_config(path, ["model.neurons=51"]).run_id()
    assert same and differs


def test_resolved_config_round_trips(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "train: {epochs: 3}\n"))
    again = validate_config(yaml.safe_load(dump_config(config)))
    assert again == config


def test_image_size_is_a_side_or_a_height_width_pair(tmp_path: Path) -> None:
    import yaml

    path = write(tmp_path, "data: {image_size: 32}\n")
    square, pair = load_config(path), load_config(path, ["data.image_size=[80, 60]"])
    assert square.data.image_size == 32 and square.data.height_width == (32, 32)
    assert pair.data.height_width == (80, 60)
    assert validate_config(yaml.safe_load(dump_config(pair))) == pair
    # An integer stays an integer, so square configs keep the run ids they had.
    assert square.model_dump(mode="json")["data"]["image_size"] == 32
    assert square.run_id() != pair.run_id()


@pytest.mark.parametrize(
    ("text", "overrides", "expected"),
    [
        ("signature: {depth: 0}\n", [], "signature.depth = 0"),
        ("model: {neurons: -5}\n", [], "model.neurons = -5"),
        ("signature: {deph: 4}\n", [], "unknown key 'signature.deph'; allowed here: backend"),
        ("train: {epochs: many}\n", [], "train.epochs = 'many'"),
        ("data: {val_split: 1.5}\n", [], "data.val_split = 1.5"),
        ("signature: {backend: gpu}\n", [], "'pysiglib'"),
        ("{}\n", ["signature.path=zigzag"], "signature.path = 'zigzag'"),
        ("{}\n", ["nosuch.key=1"], "unknown key 'nosuch'"),
        ("{}\n", ["model.kind=[a, b]"], "model.kind = ['a', 'b'] is not a known model"),
        ("model: {kind: vit, key_dim: 8}\n", [], "'model.key_dim' for model.kind 'vit'"),
        ("{}\n", ["data.image_size=[80, 1]"], "between 2 and 1024"),
        ("{}\n", ["data.image_size=[80, 60, 3]"], "[height, width]"),
    ],
)
def test_bad_values_give_one_line_naming_file_key_and_value(
    tmp_path: Path, text: str, overrides: list[str], expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SigbenchError) as caught:
        load_config(path, overrides)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"--set {overrides[0]!r}: " if overrides else f"{path}: ")
    assert expected in message


def test_yaml_that_does_not_parse_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "data:\n  source: builtin\n   name: [digits\n")
    with pytest.raises(SigbenchError, match=r"spec.yaml: line \d+: YAML does not parse"):
        load_config(path)


def test_missing_file_and_malformed_override(tmp_path: Path) -> None:
    with pytest.raises(SigbenchError, match="no such config file"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(SigbenchError, match="expected key.path=value"):
        load_config(write(tmp_path, "{}\n"), ["depth"])


def test_split_seed_enters_the_run_id_only_where_it_draws_other_splits() -> None:
    plain = ExperimentConfig(seed=3)
    same = ExperimentConfig(seed=3, data={"split_seed": 3})
    follows = ExperimentConfig(seed=3, data={"split_seed": "seed"})
    other = ExperimentConfig(seed=3, data={"split_seed": 0})
    assert plain.run_id() == same.run_id() == follows.run_id() != other.run_id()
    assert other.data.splits_seed(other.seed) == 0 and plain.data.splits_seed(3) == 3


def test_split_seed_takes_an_integer_or_the_word_seed(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  split_seed: often\n")
    with pytest.raises(SigbenchError, match="data.split_seed"):
        load_config(path)


def test_every_problem_is_listed_each_named_by_its_file_or_set(tmp_path: Path) -> None:
    path = write(tmp_path, "train: {lr: -1}\ndata: {split_seed: often}\n")
    with pytest.raises(SigbenchError) as caught:
        load_config(path, ["signature.detph=3", "signature.depth=0"])
    message = str(caught.value)
    assert "\n" not in message and "more)" not in message
    assert message.startswith("4 problems: ")
    assert f"{path}: train.lr = -1: Input should be greater than 0" in message
    assert f"{path}: data.split_seed = 'often': " in message  # once, though a union of two
    assert message.count("data.split_seed") == 1 and "'seed'" in message
    assert "--set 'signature.detph=3': unknown key 'signature.detph'; allowed here" in message
    assert "--set 'signature.depth=0': signature.depth = 0: " in message


def test_a_set_of_a_whole_section_is_named_for_the_keys_inside_it(tmp_path: Path) -> None:
    with pytest.raises(SigbenchError, match=r"^--set 'signature=\{detph: 3\}': unknown key"):
        load_config(write(tmp_path, "{}\n"), ["signature={detph: 3}"])


def test_class_names_given_as_numbers_are_folder_names(tmp_path: Path) -> None:
    numbers = load_config(write(tmp_path, "data: {classes: [3, 8]}\n"))
    texts = load_config(write(tmp_path, "data: {classes: ['3', '8']}\n"))
    assert numbers.data.classes == ["3", "8"] and numbers.run_id() == texts.run_id()
    celeba = load_config(write(tmp_path, "{}\n"), ["data.source=celeba", "data.attributes=[1]"])
    assert celeba.data.attributes == ["1"]


# --- per-kind model sections ----------------------------------------------------------------


def keys_of(kind: str) -> list[str]:
    return sorted(model_entry(kind).config.model_fields)


@pytest.mark.parametrize("kind", list_models())
def test_every_kind_round_trips_with_its_own_keys_only(tmp_path: Path, kind: str) -> None:
    config = load_config(write(tmp_path, f"model: {{kind: {kind}}}\n"))
    assert sorted(config.model.model_dump()) == keys_of(kind)
    again = validate_config(yaml.safe_load(dump_config(config)))
    assert again == config and again.run_id() == config.run_id()


def test_a_key_the_kind_does_not_use_is_one_line_naming_the_kind_and_its_keys() -> None:
    with pytest.raises(SigbenchError) as caught:
        load_config(REPO / "configs" / "demo.yaml", ["model.kind=resnet18", "model.key_dim=32"])
    message = str(caught.value)
    assert "\n" not in message and message.startswith("--set 'model.key_dim=32': ")
    assert "unknown key 'model.key_dim' for model.kind 'resnet18'" in message
    assert message.endswith(f"allowed here: {', '.join(keys_of('resnet18'))}")
    assert "key_dim" not in keys_of("resnet18") and "key_dim" in keys_of("imagesig_attention")


def test_a_file_setting_a_key_its_own_kind_does_not_use_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "model: {kind: logistic, neurons: 50}\n")
    with pytest.raises(
        SigbenchError, match="unknown key 'model.neurons' for model.kind 'logistic'"
    ):
        load_config(path)
    with pytest.raises(SigbenchError, match="unknown key 'model.standardize' for model.kind 'vit'"):
        load_config(write(tmp_path, "{}\n"), ["model.kind=vit", "model.standardize=false"])


def test_switching_kind_keeps_the_files_keys_the_new_kind_uses(tmp_path: Path) -> None:
    path = write(tmp_path, "model: {kind: imagesig_fc, neurons: 77, standardize: false}\n")
    resnet = load_config(path, ["model.kind=resnet18"]).model
    assert resnet.kind == "resnet18" and resnet.neurons == 77 and resnet.weights == "none"
    assert not hasattr(resnet, "standardize")
    assert load_config(path, ["model.kind=logistic"]).model.model_dump() == {
        "kind": "logistic",
        "weights": "none",
    }


def test_run_id_ignores_what_the_kind_does_not_use(tmp_path: Path) -> None:
    plain = load_config(write(tmp_path, "model: {kind: resnet18}\n"))
    via_imagesig = write(tmp_path, "model: {standardize: false, conv_channels: [8]}\n")
    assert load_config(via_imagesig, ["model.kind=resnet18"]).run_id() == plain.run_id()
    # An image model never reads the signature section.
    resnet_depth5 = load_config(write(tmp_path, "model: {kind: resnet18}\n"), ["signature.depth=5"])
    assert resnet_depth5.run_id() == plain.run_id()
    fc = load_config(write(tmp_path, "{}\n"))
    assert load_config(write(tmp_path, "{}\n"), ["signature.depth=5"]).run_id() != fc.run_id()
    # What it does use still counts.
    assert load_config(write(tmp_path, "model: {kind: resnet18, neurons: 51}\n")).run_id() != (
        plain.run_id()
    )


def test_run_folder_configs_from_the_flat_schema_still_load() -> None:
    flat = {
        "kind": "resnet18", "neurons": 50, "dropout": 0.4, "standardize": True,
        "conv_channels": [32, 64], "kernel_size": 3, "pool_size": 3, "transformer_layers": 2,
        "attention_heads": 8, "key_dim": 64, "mlp_units": [64, 64], "weights": "none",
        "weights_dir": None,
    }  # fmt: skip
    with pytest.raises(SigbenchError, match="for model.kind 'resnet18'"):
        validate_config({"model": flat}, "config.yaml")
    old = validate_config({"model": flat}, "config.yaml", written_by_sigbench=True)
    assert old == validate_config({"model": {"kind": "resnet18"}})


def test_unknown_kind_lists_the_registered_ones(tmp_path: Path) -> None:
    with pytest.raises(SigbenchError) as caught:
        load_config(write(tmp_path, "model: {kind: resnet9000}\n"))
    assert f"is not a known model; choose one of: {', '.join(list_models())}" in str(caught.value)


def test_grid_keys_are_checked_against_every_kinds_keys() -> None:
    assert check_key("model.key_dim", "grid") == "model.key_dim"
    with pytest.raises(SigbenchError, match="unknown key 'model.nope'; allowed here: attention_h"):
        check_key("model.nope", "grid")


# --- per-source data sections ---------------------------------------------------------------

# Specs of every source, and the run ids main gave them before each source had its own keys
# (commit bbb3a0a, flat DataConfig): per-source sections must not move a run to a new folder.
# The paths do not exist, so data.channels stays auto (read as RGB, as before the key).
RUN_IDS_BEFORE_PER_SOURCE_KEYS = [
    ({"name": "digits", "root": "nowhere", "image_size": 8}, "builtin-ebb77fb11c"),
    (
        {"source": "imagefolder", "train": "nowhere/train", "classes": ["a", "b"]}
        | {"max_per_class": 5, "split_seed": 3},
        "imagefolder-a4e8eb3bb9",
    ),
    (
        {"source": "labelfile", "train": "nowhere/train", "labels": "nowhere/labels.txt"}
        | {"test": "nowhere/test", "test_labels": "nowhere/t.txt", "image_size": [12, 10]},
        "labelfile-91218310de",
    ),
    (
        {"source": "csv", "train": "nowhere/a.csv", "label_columns": ["x", "y"]}
        | {"path_column": "file", "attributes": ["y"]},
        "csv-a9a58d512c",
    ),
    (
        {"source": "csv", "train": "nowhere/a.csv", "strict": True, "jpeg_draft": True},
        "csv1-8ca39daaa7",
    ),
]


@pytest.mark.parametrize(("data", "run_id"), RUN_IDS_BEFORE_PER_SOURCE_KEYS)
def test_per_source_sections_keep_the_run_ids_of_the_flat_schema(data: dict, run_id: str) -> None:
    config = validate_config({"name": run_id.rsplit("-", 1)[0], "data": data})
    assert config.run_id() == run_id


@pytest.mark.parametrize(
    ("source", "foreign_key"),
    [
        ("builtin", "train"),
        ("imagefolder", "labels"),
        ("labelfile", "label_columns"),
        ("csv", "root"),
        ("celeba", "test"),
        ("builtin", "channels"),
    ],
)
def test_a_key_the_source_does_not_use_is_one_line_naming_the_source_and_its_keys(
    tmp_path: Path, source: str, foreign_key: str
) -> None:
    path = write(tmp_path, f"data: {{source: {source}, {foreign_key}: x}}\n")
    with pytest.raises(SigbenchError) as caught:
        load_config(path)
    allowed = ", ".join(sorted(DATA_CONFIGS[source].model_fields))
    assert str(caught.value) == (
        f"{path}: unknown key 'data.{foreign_key}' for data.source {source!r}; "
        f"allowed here: {allowed}"
    )
    assert foreign_key not in DATA_CONFIGS[source].model_fields


def test_every_source_round_trips_with_its_own_keys_only(tmp_path: Path) -> None:
    for source, section in DATA_CONFIGS.items():
        config = load_config(write(tmp_path, f"data: {{source: {source}}}\n"))
        assert type(config.data) is section and config.data.source == source
        again = validate_config(yaml.safe_load(dump_config(config)))
        assert again == config and again.run_id() == config.run_id()
    assert set(yaml.safe_load(dump_config(config))["data"]) == set(CelebaData.model_fields)
    assert type(validate_config({"data": {"name": "digits"}}).data) is BuiltinData


def test_an_unknown_source_is_one_line_listing_the_sources(tmp_path: Path) -> None:
    with pytest.raises(SigbenchError) as caught:
        load_config(write(tmp_path, "data: {source: folders}\n"))
    assert str(caught.value).endswith(
        "data.source = 'folders': choose one of 'builtin', 'imagefolder', 'labelfile', 'csv', "
        "'celeba'"
    )


def test_switching_source_leaves_out_the_files_keys_the_new_source_does_not_use(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "data: {source: builtin, name: digits, image_size: 8}\n")
    folder = load_config(path, ["data.source=imagefolder", "data.train=x"]).data
    assert isinstance(folder, ImageFolderData) and folder.image_size == 8
    assert not hasattr(folder, "name")
    with pytest.raises(SigbenchError, match="unknown key 'data.name' for data.source 'csv'"):
        load_config(path, ["data.source=csv", "data.name=digits"])  # a --set key must fit


def test_run_folder_configs_from_the_flat_data_schema_still_load() -> None:
    """A run's config.yaml written before per-source sections holds every source's keys."""
    flat = {
        "source": "imagefolder", "name": None, "root": None, "train": "nowhere/train",
        "test": None, "labels": None, "test_labels": None, "image_size": 16, "classes": None,
        "label_columns": None, "path_column": "path", "attributes": None, "max_per_class": None,
        "val_split": 0.1, "test_split": 0.2, "augment": [], "balance": "none", "strict": False,
        "cache": True, "jpeg_draft": False, "split_seed": None,
    }  # fmt: skip
    with pytest.raises(SigbenchError, match="for data.source 'imagefolder'"):
        validate_config({"data": flat}, "config.yaml")
    old = validate_config({"data": flat}, "config.yaml", written_by_sigbench=True)
    spec = {"source": "imagefolder", "train": "nowhere/train", "image_size": 16}
    new = validate_config({"data": spec})
    assert old.data.channels == 3  # read as RGB, as it was trained
    assert old.run_id() == new.run_id()
    assert old.data == new.data.model_copy(update={"channels": 3})


def test_grid_keys_are_checked_against_every_sources_keys() -> None:
    assert check_key("data.label_columns", "grid") == "data.label_columns"
    with pytest.raises(SigbenchError, match="unknown key 'data.nope'; allowed here: attributes"):
        check_key("data.nope", "grid")
