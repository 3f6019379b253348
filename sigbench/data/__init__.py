"""Images and labels for experiments: sources, splits, offline augmentation, class balance.

The data layer knows images and labels, not models or signatures. It never prints: warnings
go to :mod:`logging`, user mistakes raise :class:`sigbench.errors.SigbenchError`.
"""

from sigbench.data import channels  # noqa: F401  (registers the data.channels: auto probe)
from sigbench.data.balance import class_weights, positive_weights
from sigbench.data.decode import read_images
from sigbench.data.imageset import DataReport, DatasetSplits, ImageSet
from sigbench.data.load import load_splits

__all__ = [
    "DataReport",
    "DatasetSplits",
    "ImageSet",
    "class_weights",
    "load_splits",
    "positive_weights",
    "read_images",
]
