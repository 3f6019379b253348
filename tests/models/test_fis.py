"""The FIS layer against its O(n^2) definition, both semirings, every direction, with and
without discount; the doubling scan ONNX export uses against cumsum / cummax; tiny_cnn and
fis_cnn at nearly equal size."""

import itertools

import pytest
import torch

from sigbench.models import create_model, model_config, named_layers
from sigbench.models.fis import DIRECTIONS, FisLayer, discounted_scan, quadrant_sums

SEMIRINGS = ["real", "maxplus"]


def in_quadrant(direction: str, i: int, j: int, k: int, m: int) -> bool:
    rows_reversed, columns_reversed = DIRECTIONS[direction]
    return (k >= i if rows_reversed else k <= i) and (m >= j if columns_reversed else m <= j)


def brute_force_fis(layer: FisLayer, x: torch.Tensor) -> torch.Tensor:
    """Each tree at each pixel, summed (or maximised) pixel by pixel over its quadrant."""
    roots = torch.einsum("tc,nchw->nthw", layer.root.weight[:, :, 0, 0], x)
    children = torch.einsum("tc,nchw->nthw", layer.child.weight[:, :, 0, 0], x)
    discounts = layer.discounts()
    directions = [d for d, size in zip(DIRECTIONS, layer.groups, strict=True) for _ in range(size)]
    batch, trees, height, width = roots.shape
    out = torch.empty_like(roots)
    for n, t, i, j in itertools.product(range(batch), range(trees), range(height), range(width)):
        terms = [
            (1.0 if discounts is None else discounts[t] ** (abs(i - k) + abs(j - m)))
            * children[n, t, k, m]
            for k, m in itertools.product(range(height), range(width))
            if in_quadrant(directions[t], i, j, k, m)
        ]
        stacked = torch.stack(terms)
        if layer.semiring == "real":
            out[n, t, i, j] = roots[n, t, i, j] * stacked.sum()
        else:
            out[n, t, i, j] = roots[n, t, i, j] + stacked.max()
    return out


@pytest.mark.parametrize("semiring", SEMIRINGS)
@pytest.mark.parametrize("discount", [False, True])
def test_fis_layer_matches_its_definition(semiring: str, discount: bool) -> None:
    torch.manual_seed(0)
    layer = FisLayer(channels=3, trees=8, semiring=semiring, discount=discount).double()
    if discount:  # distinct discounts per tree, far from 1 so that they matter
        layer.discount_logit.data = torch.linspace(-1.5, 2.0, 8, dtype=torch.float64)
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    expected = brute_force_fis(layer, x)
    assert layer.groups == [2, 2, 2, 2]
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize("semiring", SEMIRINGS)
@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_doubling_scan_equals_cumulative_ops(semiring: str, direction: str) -> None:
    """What runs under ONNX export (doubling with w = 1) gives what cumsum / cummax give."""
    values = torch.randn(2, 3, 7, 9)
    ones = torch.ones(3, 1, 1)
    direct = quadrant_sums(values, direction, semiring)
    doubled = quadrant_sums(values, direction, semiring, ones)
    torch.testing.assert_close(doubled, direct)
    assert not torch.equal(direct, values)


def test_discounted_scan_is_the_linear_recurrence() -> None:
    values = torch.randn(4, 11, dtype=torch.float64)
    discount = torch.tensor(0.7, dtype=torch.float64)
    expected = values.clone()
    for t in range(1, 11):
        expected[:, t] = values[:, t] + discount * expected[:, t - 1]
    torch.testing.assert_close(discounted_scan(values, 1, "real", discount), expected)


def test_fis_gradients_reach_every_parameter() -> None:
    layer = FisLayer(channels=2, trees=4, semiring="maxplus", discount=True)
    layer(torch.randn(3, 2, 6, 6)).square().sum().backward()
    for name, parameter in layer.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def build(kind: str, **settings):
    config = model_config(kind, **settings)
    return create_model(kind, input_shape=(1, 28, 28), num_classes=10, config=config)


def test_fis_cnn_is_tiny_cnn_plus_a_small_fis_block() -> None:
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    tiny, fis = count(build("tiny_cnn")), count(build("fis_cnn"))
    # 16 trees of 16-channel roots and children (512), the block's BN (32).
    assert fis - tiny == 2 * 16 * 16 + 2 * 16
    assert (fis - tiny) / tiny < 0.05
    assert count(build("fis_cnn", discount=True)) == fis + 16


@pytest.mark.parametrize("kind", ["tiny_cnn", "fis_cnn"])
def test_tiny_nets_name_their_stages(kind: str) -> None:
    model = build(kind, **({"semiring": "maxplus"} if kind == "fis_cnn" else {}))
    seen: dict[str, tuple[int, ...]] = {}
    layers = named_layers(kind, model)
    for name, layer in layers.items():
        layer.register_forward_hook(lambda _m, _i, out, name=name: seen.update({name: out.shape}))
    model.eval()(torch.rand(2, 1, 28, 28))
    assert seen == {
        "stage1": (2, 16, 14, 14),
        "fis": (2, 16, 14, 14),
        "stage2": (2, 32, 7, 7),
        "stage3": (2, 32, 7, 7),
        "hidden": (2, 32),
    }


@pytest.mark.slow
@pytest.mark.parametrize(("semiring", "discount"), [("real", False), ("maxplus", True)])
def test_fis_cnn_exports_to_onnx_and_onnxruntime_agrees(semiring: str, discount: bool) -> None:
    """Under export the scans are CumSum, or doubling steps of Max / Mul over Slices."""
    import onnxruntime

    from sigbench.export.onnx_export import _exported

    torch.manual_seed(0)
    model = build("fis_cnn", semiring=semiring, discount=discount).eval()
    images = torch.rand(3, 1, 28, 28)
    proto = _exported(model, images, "images")
    ops = {node.op_type for node in proto.graph.node}
    assert ("CumSum" in ops) == (semiring == "real" and not discount)
    assert ("Max" in ops) == (semiring == "maxplus")
    session = onnxruntime.InferenceSession(proto.SerializeToString())
    (logits,) = session.run(None, {"images": images.numpy()})
    torch.testing.assert_close(torch.from_numpy(logits), model(images), atol=1e-5, rtol=1e-4)
