"""imagesig_lift: an identity lift gives ImageSig's own features, gradients are right, the
lift trains, and its settings' errors are one line."""

import pytest
import torch

from sigbench.errors import SigbenchError
from sigbench.models import create_model, model_config, named_layers
from sigbench.models.lift import LiftedSignatures
from sigbench.signature import ImageSignatureLayer


def build(shape=(1, 6, 5), classes: int = 3, **settings):
    config = model_config("imagesig_lift", **settings)
    return create_model("imagesig_lift", input_shape=shape, num_classes=classes, config=config)


@pytest.mark.parametrize("path", ["none", "time", "lead_lag", "basepoint"])
@pytest.mark.parametrize("two_direction", [False, True])
def test_identity_lift_gives_imagesigs_features(path: str, two_direction: bool) -> None:
    channels = 2
    signer = LiftedSignatures(
        channels,
        model_config(
            "imagesig_lift",
            path=path,
            two_direction=two_direction,
            depth=3,
            lift_kernel=1,
            lift_channels=signer_width(channels, path),
        ),
    ).double()
    with torch.no_grad():
        signer.lift.weight.copy_(torch.eye(signer.lift.out_channels).unsqueeze(-1))
        signer.lift.bias.zero_()
    pixels = torch.rand(3, channels, 5, 4, dtype=torch.float64)
    reference = ImageSignatureLayer(3, two_direction=two_direction, path=path)
    expected = reference(pixels.permute(0, 2, 3, 1))
    torch.testing.assert_close(signer(pixels), expected)


def signer_width(channels: int, path: str) -> int:
    return {"none": channels, "time": channels + 1, "lead_lag": 2 * channels}.get(path, channels)


@pytest.mark.parametrize("backend", ["torch", "lanes"])
def test_gradients_through_the_lift_and_signature_are_exact(backend: str) -> None:
    torch.manual_seed(0)
    config = model_config("imagesig_lift", depth=3, lift_channels=2, backend=backend)
    signer = LiftedSignatures(1, config).double()
    pixels = torch.rand(2, 1, 4, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(signer, (pixels,))
    weight = signer.lift.weight

    def through_weight(w: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(signer, {"lift.weight": w}, (pixels.detach(),))

    assert torch.autograd.gradcheck(through_weight, (weight.detach().clone().requires_grad_(),))


@pytest.mark.parametrize("head", ["fc", "conv"])
def test_lift_model_learns_a_toy_task(head: str) -> None:
    """Bright-left versus bright-right images: a few steps of Adam separate them."""
    torch.manual_seed(0)
    model = build((1, 12, 12), 2, head=head, conv_channels=[8], kernel_size=3, pool_size=2)
    images = torch.rand(64, 1, 12, 12) * 0.2
    labels = torch.arange(64) % 2
    images[labels == 0, :, :, :6] += 0.8
    images[labels == 1, :, :, 6:] += 0.8
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
    assert model.eval()(images).argmax(1).eq(labels).float().mean() > 0.9
    assert model[0].lift.weight.grad.abs().sum() > 0


def test_feature_shape_and_named_layers() -> None:
    model = build((1, 6, 5), lift_channels=3, depth=2).eval()
    layers = named_layers("imagesig_lift", model)
    seen = {}
    for name, layer in layers.items():
        layer.register_forward_hook(lambda _m, _i, out, name=name: seen.update({name: out.shape}))
    model(torch.rand(2, 1, 6, 5))
    assert seen == {"signatures": (2, 6 + 5, 3 + 9), "hidden": (2, 50)}


def test_lanes_and_torch_backends_train_the_same_model() -> None:
    """Same weights, same batch: equal logits and equal gradients from either backend."""
    torch.manual_seed(0)
    lanes = build((1, 7, 6), backend="lanes", dropout=0.0).double()
    reference = build((1, 7, 6), backend="torch", dropout=0.0).double()
    reference.load_state_dict(lanes.state_dict())
    pixels, labels = torch.rand(4, 1, 7, 6, dtype=torch.float64), torch.tensor([0, 1, 2, 0])
    logits = [model(pixels) for model in (lanes, reference)]
    for output in logits:
        torch.nn.functional.cross_entropy(output, labels).backward()
    torch.testing.assert_close(logits[0], logits[1])
    torch.testing.assert_close(lanes[0].lift.weight.grad, reference[0].lift.weight.grad)
    assert lanes[0].lift.weight.grad.abs().sum() > 0


def test_a_bad_backend_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="'auto', 'torch' or 'lanes'"):
        model_config("imagesig_lift", backend="numba")


def test_a_lift_wider_than_the_stream_is_a_one_line_error() -> None:
    with pytest.raises(SigbenchError, match=r"model.lift_kernel = 5: streams of 4 points"):
        build((1, 4, 4), path="none", lift_kernel=5)


@pytest.mark.slow
def test_the_lift_model_exports_to_onnx_through_the_torch_signature() -> None:
    """backend auto signs with lanes when training, the torch ops under the exporter."""
    import onnxruntime

    from sigbench.export.onnx_export import _exported

    torch.manual_seed(0)
    model = build((1, 12, 12), 3).eval()
    images = torch.rand(3, 1, 12, 12)
    session = onnxruntime.InferenceSession(_exported(model, images, "images").SerializeToString())
    (logits,) = session.run(None, {"images": images.numpy()})
    torch.testing.assert_close(torch.from_numpy(logits), model(images), atol=1e-5, rtol=1e-4)
