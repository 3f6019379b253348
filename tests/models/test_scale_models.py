"""deformable_cnn, dss_cnn, deformable_dss and dss_v2: parameter counts from their
definition, the zero-offset starts (deformable CNN = lecture CNN, deformable DSS = DSS),
scale-space lifting (Gaussian and bilinear) and tied scale convolutions at any base, the
DSS hyperparameters as keys (old run ids kept), the named layers, and a training step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from sigbench.config import load_config
from sigbench.errors import SigbenchError
from sigbench.models import create_model, list_models, model_config, named_layers
from sigbench.models.deformable import DeformableConv
from sigbench.models.scale_space import (
    DeformableScaleConv,
    GaussianLift,
    ScaleConv,
    bilinear_levels,
)
from sigbench.sweeps.grids import BUILTIN_GRIDS, load_grid
from sigbench.sweeps.scheduler import expand_grid

REPO = Path(__file__).resolve().parents[2]

SHAPE = (1, 28, 28)


def build(kind: str, **settings) -> nn.Module:
    config = model_config(kind, **settings)
    return create_model(kind, input_shape=SHAPE, num_classes=10, config=config)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_all_are_in_the_models_grid_after_simple_cnn() -> None:
    kinds = BUILTIN_GRIDS["models"].axes["model.kind"]
    assert kinds.index("simple_cnn") < kinds.index("deformable_cnn") < kinds.index("dss_cnn")
    assert kinds.index("dss_cnn") < kinds.index("deformable_dss") < kinds.index("dss_v2")
    assert set(kinds) == set(list_models())


def test_the_scale_grid_lists_the_new_models() -> None:
    grid = load_grid(str(REPO / "configs" / "scale_models.yaml"))
    kinds = grid.axes["model.kind"]
    assert {"dss_cnn", "deformable_dss", "dss_v2"} <= set(kinds) and grid.seeds == 3


def test_parameter_counts() -> None:
    conv = lambda c_in, c_out, taps=1: c_out * c_in * taps * 9 + c_out  # noqa: E731
    dense = (64 * 64 + 64) + (64 * 10 + 10)
    plain = conv(1, 16) + conv(16, 32) + conv(32, 64) + dense
    assert count(build("simple_cnn")) == plain == 28_106
    offsets = conv(16, 18) + conv(32, 18)  # an (x, y) per tap of the last two stages
    assert count(build("deformable_cnn")) == plain + offsets
    assert count(build("deformable_cnn", deformable_stages=3)) == plain + offsets + conv(1, 18)
    dss = conv(1, 16, 2) + conv(16, 32, 2) + conv(32, 64, 2) + dense
    assert count(build("dss_cnn")) == dss
    assert count(build("dss_cnn", interaction=1)) == plain
    # one offset branch per deformable stage: 18 outputs over the levels it reads
    assert count(build("deformable_dss")) == dss + conv(16, 18, 2) + conv(32, 18, 2)
    assert count(build("dss_v2")) == dss  # the same tied weights, another lifting
    narrow = conv(1, 8, 2) + conv(8, 8, 2) + conv(8, 16, 2) + (16 * 64 + 64) + (64 * 10 + 10)
    assert count(build("dss_cnn", channels=[8, 8, 16])) == narrow


def test_deformable_dss_starts_as_dss_cnn() -> None:
    torch.manual_seed(0)
    deformable = build("deformable_dss", base=3).eval()
    plain = build("dss_cnn", base=3).eval()
    shared = {k: v for k, v in deformable.state_dict().items() if "offset" not in k}
    plain.load_state_dict(shared)
    images = torch.rand(3, *SHAPE)
    with torch.no_grad():
        torch.testing.assert_close(deformable(images), plain(images), atol=1e-5, rtol=1e-4)


def test_deformable_offsets_are_in_units_of_each_levels_dilation() -> None:
    """A constant learned shift of one tap at level 0 shifts level k's sample by base^k:
    with every offset (dx = 1) the layer equals the plain layer on the input moved by base^k
    pixels (away from the borders)."""
    torch.manual_seed(0)
    layer = DeformableScaleConv(1, 2, interaction=1, base=2)
    with torch.no_grad():
        layer.offset_bias[1::2] = 1.0  # (dy, dx) per tap: dx = 1 everywhere
    plain = ScaleConv(1, 2, interaction=1, base=2)
    plain.load_state_dict({k: v for k, v in layer.state_dict().items() if "offset" not in k})
    x = torch.rand(1, 1, 3, 24, 24)
    shifted, reference = layer(x), plain(x)
    for k in range(3):
        step = 2**k
        inner = slice(8, 16)
        moved = reference[:, :, k, inner, 8 + step : 16 + step]
        torch.testing.assert_close(shifted[:, :, k, inner, inner], moved, atol=1e-5, rtol=1e-4)


def test_bilinear_lifting_shrinks_each_level_by_the_base() -> None:
    image = torch.rand(1, 1, 28, 28)
    levels = bilinear_levels(image, 3, 3)
    assert [tuple(level.shape[-2:]) for level in levels] == [(28, 28), (10, 10), (4, 4)]
    assert torch.equal(levels[0], image)
    flat = bilinear_levels(torch.full((1, 1, 28, 28), 0.5), 3, 2)
    assert all(torch.allclose(level, torch.tensor(0.5)) for level in flat)


@pytest.mark.parametrize("base", [2, 3])
def test_scale_convolution_dilates_by_the_base(base: int) -> None:
    torch.manual_seed(0)
    layer = ScaleConv(1, 2, interaction=1, base=base)
    x = torch.rand(1, 1, 3, 20, 20)
    weight = layer.weight[:, :, 0]
    for k, level in enumerate(layer(x).unbind(2)):
        d = base**k
        expected = nn.functional.conv2d(x[:, :, k], weight, layer.bias, dilation=d, padding=d)
        torch.testing.assert_close(level, expected)


def test_dss_keys_added_later_keep_old_run_ids() -> None:
    """base and channels at their defaults leave dss_cnn's run id as it was before them."""
    spec = REPO / "configs" / "fashion_scale.yaml"
    default = load_config(spec, ["model.kind=dss_cnn"])
    explicit = load_config(
        spec, ["model.kind=dss_cnn", "model.base=2", "model.channels=[16,32,64]"]
    )
    assert default.run_id() == explicit.run_id() == "fashion_scale-e7dcfbddac"  # the id on main
    assert load_config(spec, ["model.kind=dss_cnn", "model.base=3"]).run_id() != default.run_id()


@pytest.mark.parametrize(
    ("setting", "message"),
    [("model.channels=[8,8]", "model.channels"), ("model.base=1", "model.base")],
)
def test_bad_dss_keys_are_one_line_errors(setting: str, message: str) -> None:
    spec = REPO / "configs" / "fashion_scale.yaml"
    with pytest.raises(SigbenchError, match=message):
        load_config(spec, ["model.kind=dss_v2", setting])


def test_deformable_cnn_starts_as_the_lecture_cnn() -> None:
    torch.manual_seed(0)
    deformable = build("deformable_cnn").eval()
    plain = build("simple_cnn").eval()
    state = {}
    for name, module in deformable.named_children():
        prefix = name
        if isinstance(module, DeformableConv):  # its sampling conv, as a plain conv's
            state[f"{prefix}.weight"] = module.conv.weight
            state[f"{prefix}.bias"] = module.conv.bias
        else:
            state.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
    plain.load_state_dict(state)
    images = torch.rand(3, *SHAPE)
    with torch.no_grad():
        assert torch.allclose(deformable(images), plain(images), atol=1e-5)


def test_lifting_keeps_level_zero_and_blurs_the_rest() -> None:
    lift = GaussianLift(3, 0.5)
    image = torch.zeros(1, 1, 21, 21)
    image[..., 10, 10] = 1.0
    levels = lift(image)
    assert levels.shape == (1, 1, 3, 21, 21)
    assert torch.equal(levels[:, :, 0], image)
    peaks = [float(levels[0, 0, k].max()) for k in range(3)]
    assert peaks[0] > peaks[1] > peaks[2]  # wider blur at coarser levels
    assert torch.allclose(levels.sum(dim=(-1, -2)), torch.ones(1, 1, 3), atol=1e-4)


def test_scale_convolution_ties_weights_and_dilates_per_level() -> None:
    torch.manual_seed(0)
    layer = ScaleConv(2, 3, interaction=1)
    x = torch.rand(1, 2, 3, 12, 12)
    out = layer(x)
    weight = layer.weight[:, :, 0]
    for k in range(3):
        expected = nn.functional.conv2d(x[:, :, k], weight, layer.bias, dilation=2**k, padding=2**k)
        assert torch.allclose(out[:, :, k], expected, atol=1e-6)


@pytest.mark.parametrize("kind", ["deformable_cnn", "dss_cnn", "deformable_dss", "dss_v2"])
def test_named_layers_and_a_training_step(kind: str) -> None:
    torch.manual_seed(0)
    model = build(kind)
    layers = named_layers(kind, model)
    assert list(layers)[:3] == ["stage1", "stage2", "stage3"] and list(layers)[-1] == "hidden"
    optimizer = torch.optim.Adam(model.parameters(), 1e-2)
    images, labels = torch.rand(16, *SHAPE), torch.arange(16) % 10
    losses = []
    for _ in range(5):
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    if kind == "deformable_cnn":  # the offset branch learns away from the regular grid
        offsets = [m.offset.weight for m in model.modules() if isinstance(m, DeformableConv)]
        assert all(w.abs().sum() > 0 for w in offsets)
    if kind == "deformable_dss":
        deformable = [m for m in model.modules() if isinstance(m, DeformableScaleConv)]
        assert len(deformable) == 2 and all(m.offset_weight.abs().sum() > 0 for m in deformable)


def test_the_dss_hyperparameter_grid_expands_to_every_combination_at_three_seeds() -> None:
    base = load_config(REPO / "configs" / "fashion_scale.yaml")
    grid = load_grid(str(REPO / "configs" / "dss_hyperparameters.yaml"))
    points = expand_grid(base, grid)
    assert len(points) == len({p.run_id for p in points}) == 2 * 2**5 * 3
    combinations = {
        (
            p.config.model.kind,
            p.config.model.base,
            tuple(p.config.model.channels),
            p.config.train.lr,
            p.config.model.interaction,
            p.config.model.scales,
        )
        for p in points
    }
    assert len(combinations) == 64
    assert {c[0] for c in combinations} == {"dss_cnn", "deformable_dss"}
    assert {c[2] for c in combinations} == {(16, 32, 64), (8, 16, 32)}
    assert sorted({p.seed for p in points}) == [0, 1, 2]
    assert {p.config.data.name for p in points} == {"fashion-mnist-scale"}
