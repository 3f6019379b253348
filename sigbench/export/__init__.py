"""Exports: a run's whole inference path (pixels to probabilities) as one ONNX or TorchScript
file, int8 variants, the check against the run, and the inference benchmark.

One module per job: :mod:`info` (what the file says about itself), :mod:`graph` (what the
file computes), :mod:`onnx_export`, :mod:`torchscript_export`, :mod:`runtime` (running a
file), :mod:`pipeline` (export and check), :mod:`bench` (latency and throughput).
"""
