"""The experiment schema: defaults, overrides and one-line errors that name what is wrong."""

from pathlib import Path

import pytest

from sigbench.config import ExperimentConfig, dump_config, load_config, validate_config
from sigbench.errors import SigbenchError

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["demo", "fire_d4", "fashion_d4"])
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
    import yaml

    config = load_config(write(tmp_path, "train: {epochs: 3}\n"))
    again = validate_config(yaml.safe_load(dump_config(config)))
    assert again == config


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
    assert message.startswith(str(path))
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
