"""sigbench: an experiment runner for signature-based image recognition (ImageSig)."""

__version__ = "0.1.0"
