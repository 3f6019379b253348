"""The pure-torch backend as a layer: differentiable, and equal to the array function."""

import numpy as np
import torch

from sigbench.signature import image_signatures
from sigbench.signature.backends.torch_backend import ImageSignatureLayer, path_signatures


def test_gradients_match_finite_differences() -> None:
    torch.manual_seed(0)
    paths = torch.randn(3, 5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda p: path_signatures(p, 3, False), (paths,))
    assert torch.autograd.gradcheck(lambda p: path_signatures(p, 3, True), (paths,))


def test_layer_equals_image_signatures() -> None:
    images = np.random.default_rng(0).integers(0, 256, (2, 6, 6, 3), dtype=np.uint8)
    layer = ImageSignatureLayer(3, two_direction=True, path="time")
    from_layer = layer(torch.from_numpy(images).double() / 255).numpy()
    expected = image_signatures(images, 3, two_direction=True, path="time", dtype=np.float64)
    np.testing.assert_allclose(from_layer, expected, rtol=1e-10, atol=1e-12)
