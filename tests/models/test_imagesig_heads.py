"""ImageSig heads against the paper: parameter counts (Table 2's formula), layer shapes."""

from __future__ import annotations

import pytest
import torch

from sigbench.errors import SigbenchError
from sigbench.models import create_model, model_config
from sigbench.models.imagesig import MIN_STD, FeatureStandardizer
from sigbench.reporting.paper import PAPER_TABLES
from sigbench.training.costs import count_parameters

RGB_DEPTH4 = 3 + 9 + 27 + 81  # 120 signature terms per stream


def build(kind: str, streams: int, length: int = RGB_DEPTH4, classes: int = 2, **settings):
    config = model_config(kind, **settings)
    return create_model(kind, input_shape=(streams, length), num_classes=classes, config=config)


@pytest.mark.parametrize(
    ("size", "neurons", "params"),
    [(32, 50, 192_152), (64, 50, 384_152)]
    + [
        (row.setting["resolution"], row.setting["neurons"], row.figures["params"])
        for row in PAPER_TABLES["table2"].rows
    ],
)
def test_fc_head_has_table2_parameter_counts(size: int, neurons: int, params: int) -> None:
    # One direction: one stream per image row, so ``size`` streams of 120 terms.
    assert count_parameters(build("imagesig_fc", size, neurons=neurons)) == params


def test_standardizer_statistics_are_buffers_not_parameters() -> None:
    model = build("imagesig_fc", 32)
    assert {name for name, _ in model.named_buffers()} == {"standardizer.mean", "standardizer.std"}


def test_conv_head_layers_follow_the_paper() -> None:
    model = build("imagesig_conv", 64)
    # Conv1D(32,3) 120*32*3+32, Conv1D(64,3) 32*64*3+64; 64 streams -> 62 -> 20 -> 18 -> 6 steps;
    # Dense(50) on 6*64, Dense(2).
    expected = (120 * 32 * 3 + 32) + (32 * 64 * 3 + 64) + (6 * 64 * 50 + 50) + (50 * 2 + 2)
    assert count_parameters(model) == expected == 37_112
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (120, 32, (3,)),
        (32, 64, (3,)),
    ]
    assert model(torch.randn(5, 64, 120)).shape == (5, 2)


def transformer_layer_params(width: int = 64, heads: int = 8, key: int = 64) -> int:
    norms = 2 * 2 * width
    attention = (width * 3 * heads * key + 3 * heads * key) + (heads * key * width + width)
    mlp = 2 * (width * width + width)  # [64, 64]
    return norms + attention + mlp


@pytest.mark.parametrize("layers", [0, 1, 3])
def test_attention_head_parameter_count(layers: int) -> None:
    model = build("imagesig_attention", 64, classes=3, transformer_layers=layers)
    conv = (120 * 32 * 3 + 32) + (32 * 64 * 3 + 64)
    tail = 2 * 64 + (64 + 1) + (64 * 50 + 50) + (50 * 3 + 3)  # LayerNorm, pooling, Dense, out
    assert transformer_layer_params() == 141_248
    assert count_parameters(model) == conv + layers * transformer_layer_params() + tail


def test_attention_head_shapes_and_pooling_weights() -> None:
    model = build("imagesig_attention", 128, classes=4, transformer_layers=2).eval()
    features = torch.randn(3, 128, 120)
    assert model(features).shape == (3, 4)
    attention = model.head[1].attention
    assert (attention.heads, attention.key_dim) == (8, 64)
    tokens = model.head[0](features)
    assert tokens.shape == (3, 13, 64)  # 128 -> 126 -> 42 -> 40 -> 13 steps of 64 channels
    # Rows of a batch do not mix: each sample's logits depend on that sample only.
    single = model(features[:1])
    assert torch.allclose(single, model(features)[:1], atol=1e-5)


def test_conv_heads_reject_too_few_streams_in_one_line() -> None:
    with pytest.raises(SigbenchError, match="16 streams are too few for 2 conv\\+pool blocks"):
        build("imagesig_conv", 16)


def test_mlp_width_must_match_for_the_residual() -> None:
    with pytest.raises(SigbenchError, match="model.mlp_units = \\[64, 32\\]"):
        build("imagesig_attention", 64, mlp_units=[64, 32])


def test_standardizer_scales_varying_features_and_only_centres_constant_ones() -> None:
    standardizer = FeatureStandardizer((3,))
    training = torch.tensor([[0.5, 1.0, 0.0], [0.5, 3.0, 0.0], [0.5, 2.0, MIN_STD / 10]])
    standardizer.set_statistics(training.mean(0), training.std(0))
    scaled = standardizer(training)
    assert torch.allclose(scaled[:, 1], torch.tensor([-1.0, 1.0, 0.0]))
    # A change of 0.01 in a feature that never varied in training stays 0.01, not 10^4.
    shifted = standardizer(training + torch.tensor([0.01, 0.0, 0.01]))
    assert torch.allclose(shifted[:, [0, 2]] - scaled[:, [0, 2]], torch.tensor(0.01))
