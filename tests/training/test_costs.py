"""CPU speed figures: positive, and the thread setting is put back."""

from collections.abc import Callable

import numpy as np
import torch

from sigbench.training.costs import inference_speed


def test_inference_speed_is_positive_and_restores_threads(
    torch_threads: Callable[[int], None],
) -> None:
    torch_threads(2)  # not the one thread it times with, so that putting back shows
    threads = torch.get_num_threads()
    layer = torch.nn.Linear(12, 2)
    seen: list[int] = []

    def predict(images: np.ndarray) -> torch.Tensor:
        seen.append(torch.get_num_threads())
        return layer(torch.from_numpy(images).float().flatten(1))

    speed = inference_speed(predict, np.zeros((3, 2, 2, 3), dtype=np.uint8), batch=8, budget_s=0.1)
    assert speed["latency_ms"] > 0 and speed["images_per_s"] > 0
    assert 1 in seen
    assert torch.get_num_threads() == threads
