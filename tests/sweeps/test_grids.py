"""Grid expansion: built-in tables, YAML grids and their one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sigbench.config import load_config
from sigbench.errors import SigbenchError
from sigbench.models import list_models, model_entry
from sigbench.sweeps.grids import BUILTIN_GRIDS, load_grid
from sigbench.sweeps.scheduler import expand_grid

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    ("name", "size"), [("neurons", 10), ("batch_size", 5), ("depth", 10), ("resolution", 3)]
)
def test_builtin_grids_have_the_paper_table_sizes(name: str, size: int) -> None:
    points = expand_grid(load_config(DEMO), load_grid(name))
    assert len(points) == size
    assert len({p.run_id for p in points}) == size


def test_models_grid_covers_every_listed_head() -> None:
    points = expand_grid(load_config(DEMO), BUILTIN_GRIDS["models"])
    assert [p.config.model.kind for p in points] == list_models()


@pytest.mark.parametrize("name", ["demo", "lfw_faces", "fashion_d4", "fire_d4"])
def test_models_grid_expands_over_the_shipped_configs(name: str) -> None:
    base = load_config(DEMO.parent / f"{name}.yaml")
    points = expand_grid(base, BUILTIN_GRIDS["models"])
    assert [p.config.model.kind for p in points] == list_models()
    assert len({p.run_id for p in points}) == len(points)
    # The file's model keys carry over to each kind that uses them (fire_d4's standardize:
    # false to the ImageSig heads, every file's neurons to each Dense(n) head).
    for point in points:
        used = model_entry(point.config.model.kind).config.model_fields
        model = point.config.model.model_dump()
        carried = {k: v for k, v in base.model.model_dump().items() if k in used and k != "kind"}
        assert all(model[k] == v for k, v in carried.items())


def test_points_are_the_product_in_key_order_with_train_run_ids() -> None:
    base = load_config(DEMO, ["train.epochs=2"])
    points = expand_grid(base, load_grid("depth"))
    assert points[0].values == {"train.batch_size": 1024, "signature.depth": 1}
    assert points[-1].values == {"train.batch_size": 3000, "signature.depth": 5}
    assert points[6].config.train.batch_size == 3000 and points[6].config.signature.depth == 2
    # The same settings through `sigbench train --set` give the same run id, so runs are shared.
    same = load_config(DEMO, ["train.epochs=2", "train.batch_size=3000", "signature.depth=2"])
    assert points[6].run_id == same.run_id()
    assert all(p.config.train.epochs == 2 for p in points)


def test_resolution_grids_may_list_height_width_pairs(tmp_path: Path) -> None:
    from sigbench.reporting.tables import setting_value

    grid = tmp_path / "shapes.yaml"
    grid.write_text("data.image_size: [32, [80, 60], [60, 80]]\n")
    points = expand_grid(load_config(DEMO), load_grid(str(grid)))
    assert [p.config.data.height_width for p in points] == [(32, 32), (80, 60), (60, 80)]
    assert [setting_value(p.config, "data.image_size") for p in points] == [32, "80x60", "60x80"]


def test_yaml_grid_is_named_by_its_file(tmp_path: Path) -> None:
    path = tmp_path / "paths.yaml"
    path.write_text("signature.path: [time, lead_lag]\nmodel.neurons: [10, 20]\n")
    grid = load_grid(str(path))
    assert grid.name == "paths" and grid.paper_table is None
    points = expand_grid(load_config(DEMO), grid)
    assert [p.values for p in points][1] == {"signature.path": "time", "model.neurons": 20}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("signature.dept: [3]", "unknown key 'signature.dept'; allowed here: backend, depth"),
        ("signatur.depth: [3]", "unknown key 'signatur.depth'"),
        ("signature: [3]", "'signature' is a section; name one of its settings"),
        ("signature.depth.x: [3]", "'signature.depth' is not a section"),
        ("signature.depth: 3", "signature.depth = 3: expected a non-empty list"),
        ("signature.depth: []", "expected a non-empty list"),
        ("signature.depth: [3, 3]", "signature.depth lists 3 twice"),
        ("- signature.depth", "expected a mapping of config keys to value lists"),
        ("signature.depth: [3\n", "YAML does not parse"),
        ("seeds: 0\nsignature.depth: [3]", "seeds = 0: expected a whole number >= 1"),
        ("seeds: three\nsignature.depth: [3]", "seeds = 'three': expected a whole number"),
        ("seeds: 3", "expected a mapping of config keys to value lists"),
    ],
)
def test_bad_yaml_grids_fail_in_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SigbenchError) as caught:
        load_grid(str(path))
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("signature.depth: [3, 99]", "signature.depth = 99: Input should be less than or equal"),
        ("train.loss: [ce, hinge]", "train.loss = 'hinge'"),
        ("model.kind: [imagesig_fc, resnet99]", "model.kind = 'resnet99' is not a known model"),
    ],
)
def test_bad_grid_values_fail_when_points_expand(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    with pytest.raises(SigbenchError, match="^" + str(path)) as caught:
        expand_grid(load_config(DEMO), load_grid(str(path)))
    assert message in str(caught.value)


def test_unknown_grid_name_lists_the_built_in_ones() -> None:
    with pytest.raises(SigbenchError, match="not a built-in grid \\(neurons, batch_size, depth"):
        load_grid("nope")


def test_seeds_in_a_yaml_grid_train_every_point_at_consecutive_seeds(tmp_path: Path) -> None:
    path = tmp_path / "seeded.yaml"
    path.write_text("seeds: 3\nsignature.depth: [2, 3]\n")
    grid = load_grid(str(path))
    assert grid.seeds == 3 and list(grid.axes) == ["signature.depth"]
    base = load_config(DEMO, ["seed=7"])
    points = expand_grid(base, grid)
    assert [(p.values["signature.depth"], p.seed) for p in points] == [
        (2, 7), (2, 8), (2, 9), (3, 7), (3, 8), (3, 9),
    ]  # fmt: skip
    assert len({p.run_id for p in points}) == 6
    # Every seed draws the first seed's splits; the first run is the plain run.
    assert {p.config.data.splits_seed(p.config.seed) for p in points} == {7}
    plain = expand_grid(base, load_grid(str(path)), seeds=1)
    assert [p.run_id for p in plain] == [points[0].run_id, points[3].run_id]
    assert len(expand_grid(base, grid, seeds=5)) == 10  # --seeds beats the file


def test_split_seed_seed_lets_every_seed_draw_its_own_splits() -> None:
    base = load_config(DEMO, ["data.split_seed=seed"])
    points = expand_grid(base, load_grid("batch_size"), seeds=2)
    assert [p.config.data.splits_seed(p.config.seed) for p in points[:2]] == [0, 1]
    fixed = expand_grid(load_config(DEMO, ["data.split_seed=5"]), load_grid("batch_size"), 2)
    assert {p.config.data.splits_seed(p.config.seed) for p in fixed} == {5}
