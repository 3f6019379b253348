"""``--format c``: an ImageSig-FC run as two dependency-free C99 files, ``model.h`` and ``model.c``.

Why C: the smallest devices run no onnxruntime, and ImageSig's arithmetic is a few nested
loops and one small dense layer. The files need nothing beyond ``<stdint.h>`` and
``<math.h>`` (``expf`` for the softmax), allocate nothing, and keep every weight in
``static const`` arrays (flash on a microcontroller). Every export is called the same way::

    void sigbench_model_predict(const uint8_t *pixels, float *scores);

one image, uint8 height x width x channels row-major, already resized (by the caller) to
``SIGBENCH_MODEL_HEIGHT`` x ``SIGBENCH_MODEL_WIDTH``; one probability per class out.

The signature is the lanes kernel's algorithm (:mod:`sigbench.signature.backends.lanes`) in
float32: ``LANES`` streams side by side, the lane index innermost so every statement is one
vector instruction, each step's levels updated top down in Horner form. The path transform
(time, lead_lag, basepoint, none) is applied point by point as the path is read, and each
block's features go straight into the dense layer, so no feature buffer is ever held.

Float keeps the standardizer as the torch model computes it, ``(x - mean) / std``. int8
stores the dense layer's weights on the standardized features as int8 with one scale per
neuron (per output channel), folds the standardizer's mean into the bias (in float64) and
its ``1 / std`` into one float per feature; activations stay float (a Cortex-M4 has an FPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import nn

from sigbench.errors import SigbenchError
from sigbench.export.c_build import HEADER, INFO_MARK, SOURCE
from sigbench.export.info import ExportInfo
from sigbench.export.signature_graph import GraphSpec
from sigbench.runs import rundir
from sigbench.runs.checkpoint import LoadedRun

C_KINDS = ("imagesig_fc",)
INT8_MAX = 127


@dataclass
class DenseHead:
    """ImageSig-FC's weights as the C file needs them (float32, torch's layouts)."""

    hidden_weight: np.ndarray  # (neurons, features)
    hidden_bias: np.ndarray
    output_weight: np.ndarray  # (classes, neurons)
    output_bias: np.ndarray
    mean: np.ndarray | None  # the standardizer, None without one
    std: np.ndarray | None


def refuse_unsupported(loaded: LoadedRun) -> None:
    """One line for a run the C file cannot reproduce exactly."""
    config = loaded.config
    if config.model.kind not in C_KINDS:
        raise SigbenchError(
            f"--format c: model.kind = {config.model.kind!r} has no C export (only "
            f"{', '.join(C_KINDS)}); use --format onnx"
        )
    if config.signature.log_sig:
        raise SigbenchError(
            "--format c: signature.log_sig = true is not implemented in the C file; "
            "use --format onnx"
        )
    if config.data.multilabel:
        raise SigbenchError(
            f"--format c: {loaded.path} is a multi-label run ({len(loaded.classes)} attributes) "
            "and the C file ends in a softmax; use --format onnx or torchscript"
        )


def dense_head(model: nn.Module) -> DenseHead:
    """The standardizer and the two dense layers of an ``imagesig_fc`` model."""
    linear = [m for m in model.head.modules() if isinstance(m, nn.Linear)]
    first, last = linear[0], linear[-1]
    standardizer = getattr(model, "standardizer", None)
    mean = std = None
    if standardizer is not None and hasattr(standardizer, "mean"):
        mean = standardizer.mean.detach().reshape(-1).numpy().astype(np.float32)
        std = standardizer.std.detach().reshape(-1).numpy().astype(np.float32)

    def array(tensor: object) -> np.ndarray:
        return tensor.detach().numpy().astype(np.float32)  # type: ignore[attr-defined]

    return DenseHead(
        array(first.weight), array(first.bias), array(last.weight), array(last.bias), mean, std
    )


def c_directory(run: Path, quantize: str) -> Path:
    """Where ``sigbench export RUN --format c`` writes by default."""
    return Path(run) / "export" / ("c-int8" if quantize == "int8" else "c")


def _float_literal(value: float) -> str:
    text = f"{value:.9g}"  # 9 significant digits: every float32 round-trips
    if not any(ch in text for ch in ".en"):
        text += ".0"
    return text + "f"


def _items(values: np.ndarray) -> list[str]:
    flat = values.reshape(-1)
    if flat.dtype == np.int8:
        return [str(int(v)) for v in flat]
    if not np.isfinite(flat).all():
        raise SigbenchError("--format c: the model holds a non-finite weight (NaN or inf)")
    return [_float_literal(float(v)) for v in flat]


def _array(values: np.ndarray, per_line: int = 10) -> str:
    """A C initializer: float32 literals, or integers for int8; one braced row per line for
    a 2-D array."""
    if values.ndim == 2:
        rows = ["{" + ", ".join(_items(row)) + "}" for row in values]
        return "{\n  " + ",\n  ".join(rows) + "\n}"
    items = _items(values)
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "{\n  " + ",\n  ".join(lines) + "\n}"


def _c_string(text: str) -> str:
    """A C string literal, ASCII only; '?' escaped so no trigraph can form."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\?':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _info_comment(info: ExportInfo) -> str:
    # "/" only occurs inside JSON strings, where "\/" is its escape: no "*/" can end the comment.
    return INFO_MARK + info.to_json().replace("/", "\\/")


def header_text(info: ExportInfo, spec: GraphSpec, stack_bytes: int) -> str:
    height, width = info.height_width
    return f"""/* Generated by `sigbench export RUN --format c`: ImageSig-FC, {info.quantize} head.
   {_info_comment(info)}
*/
#ifndef SIGBENCH_MODEL_H
#define SIGBENCH_MODEL_H

#include <stdint.h>

#define SIGBENCH_MODEL_HEIGHT {height}
#define SIGBENCH_MODEL_WIDTH {width}
#define SIGBENCH_MODEL_CHANNELS {spec.channels}
#define SIGBENCH_MODEL_CLASSES {len(info.classes)}

/* One image in, one probability per class out (as the ONNX export's output), in the order of
   sigbench_model_classes. pixels: uint8, SIGBENCH_MODEL_HEIGHT x SIGBENCH_MODEL_WIDTH x
   SIGBENCH_MODEL_CHANNELS, row-major, values 0..255, already resized by the caller the way
   sigbench decodes (area interpolation down, bilinear up). No heap, no static state
   (reentrant); about {stack_bytes} bytes of stack with the default SIGBENCH_LANES. */
void sigbench_model_predict(const uint8_t *pixels, float *scores);

extern const char *const sigbench_model_classes[SIGBENCH_MODEL_CLASSES];

#endif
"""


def _load_point(spec: GraphSpec) -> str:
    """C statements filling y[PATH_CHANNELS][LANES] with point t of the transformed paths."""

    def pixels(point: str, first: str) -> str:
        return (
            f"for (int ch = 0; ch < PIXEL_CHANNELS; ch++) for (int l = 0; l < LANES; l++)\n"
            f"      y[{first} + ch][l] = pixels[base[l] + ({point}) * point_step + ch]"
            " * PIXEL_SCALE;"
        )

    if spec.signature.path == "time":
        return "for (int l = 0; l < LANES; l++) y[0][l] = ramp[t];\n    " + pixels("t", "1")
    if spec.signature.path == "basepoint":
        return (
            "if (t == 0) {\n"
            "    for (int ch = 0; ch < PATH_CHANNELS; ch++) for (int l = 0; l < LANES; l++)"
            " y[ch][l] = 0.0f;\n    return;\n  }\n  " + pixels("t - 1", "0")
        )
    if spec.signature.path == "lead_lag":
        return pixels("(t + 1) / 2", "0") + "\n  " + pixels("t / 2", "PIXEL_CHANNELS")
    return pixels("t", "0")


def _level_updates(c: int, depth: int) -> str:
    """One step's Horner updates, levels from the top down, then level 1:
    S_k += (((S_1 + dx/k) (x) dx/(k-1) + S_2) (x) ... + S_(k-1)) (x) dx."""
    offsets = [0]
    for k in range(1, depth + 1):
        offsets.append(offsets[-1] + c**k)  # offsets[k - 1]: where level k starts
    lines = []
    for k in range(depth, 1, -1):
        lines.append(f"    /* level {k} */")
        lines.append(
            f"    for (int a = 0; a < {c}; a++) for (int l = 0; l < LANES; l++)\n"
            f"      tmp[0][a][l] = sig[{offsets[0]} + a][l] + dx[{k}][a][l];"
        )
        for m in range(2, k):  # t_m = S_m + t_(m-1) (x) dx/(k-m+1), buffers alternating
            src, dst = (m - 2) % 2, (m - 1) % 2
            lines.append(
                f"    for (int a = 0; a < {c ** (m - 1)}; a++) for (int b = 0; b < {c}; b++)"
                f" for (int l = 0; l < LANES; l++)\n"
                f"      tmp[{dst}][a * {c} + b][l] = sig[{offsets[m - 1]} + a * {c} + b][l]"
                f" + tmp[{src}][a][l] * dx[{k - m + 1}][b][l];"
            )
        last = (k - 2) % 2
        lines.append(
            f"    for (int a = 0; a < {c ** (k - 1)}; a++) for (int b = 0; b < {c}; b++)"
            f" for (int l = 0; l < LANES; l++)\n"
            f"      sig[{offsets[k - 1]} + a * {c} + b][l] += tmp[{last}][a][l] * dx[1][b][l];"
        )
    lines.append("    /* level 1 */")
    lines.append(
        "    for (int a = 0; a < PATH_CHANNELS; a++) for (int l = 0; l < LANES; l++)"
        " sig[a][l] += dx[1][a][l];"
    )
    return "\n".join(lines)


@dataclass
class _Weights:
    """The C declarations of the head and the statements that use them."""

    declarations: str
    feature: str  # the C expression for feature f's input to the dense layer, from value v
    accumulate: str  # the statement adding feature value z times row f to acc[]
    finish: str  # acc[j] -> hidden[j] before the ReLU


def _float_weights(head: DenseHead) -> _Weights:
    hidden = np.ascontiguousarray(head.hidden_weight.T)  # input-major: the inner loop is neurons
    declarations = [f"static const float hidden_weight[FEATURES][NEURONS] = {_array(hidden)};"]
    feature = "v"
    if head.mean is not None and head.std is not None:
        declarations.append(f"static const float feature_mean[FEATURES] = {_array(head.mean)};")
        declarations.append(f"static const float feature_std[FEATURES] = {_array(head.std)};")
        feature = "(v - feature_mean[f]) / feature_std[f]"
    return _Weights(
        "\n".join(declarations),
        feature,
        "acc[j] += hidden_weight[f][j] * z;",
        "acc[j] + hidden_bias[j]",
    )


def quantize_rows(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights with one scale per row (per neuron): ``weight ~ q * step[:, None]``."""
    weight = weight.astype(np.float64)
    step = np.abs(weight).max(axis=1) / INT8_MAX
    step[step == 0] = 1.0
    quantized = np.clip(np.rint(weight / step[:, None]), -INT8_MAX, INT8_MAX).astype(np.int8)
    return quantized, step


def _int8_weights(head: DenseHead) -> tuple[_Weights, np.ndarray]:
    """int8 weights per neuron on the standardized features; mean into the bias, 1/std per
    feature. Returns the declarations and the folded bias (float32)."""
    quantized, step = quantize_rows(head.hidden_weight)
    bias = head.hidden_bias.astype(np.float64)
    declarations = []
    feature = "v"
    if head.mean is not None and head.std is not None:
        standardized_mean = head.mean.astype(np.float64) / head.std.astype(np.float64)
        bias = bias - step * (quantized.astype(np.float64) @ standardized_mean)
        inverse_std = (1.0 / head.std.astype(np.float64)).astype(np.float32)
        declarations.append(f"static const float feature_scale[FEATURES] = {_array(inverse_std)};")
        feature = "v * feature_scale[f]"
    declarations += [
        "static const int8_t hidden_weight[FEATURES][NEURONS] = "
        f"{_array(np.ascontiguousarray(quantized.T))};",
        f"static const float neuron_scale[NEURONS] = {_array(step.astype(np.float32))};",
    ]
    weights = _Weights(
        "\n".join(declarations),
        feature,
        "acc[j] += (float)hidden_weight[f][j] * z;",
        "acc[j] * neuron_scale[j] + hidden_bias[j]",
    )
    return weights, bias.astype(np.float32)


def _blocks(spec: GraphSpec) -> str:
    """The calls that sign every stream group, LANES streams at a time."""
    height, width, channels = spec.height, spec.width, spec.channels
    rows = (
        f"  for (int s = 0; s < {height}; s += LANES) {{\n"
        f"    int count = {height} - s < LANES ? {height} - s : LANES;\n"
        f"    sign_block(pixels, (long)s * {width * channels}, {width * channels}, {channels},"
        f" {spec.points(width)}, count, RAMP_ROWS, sig);\n"
        "    accumulate(sig, count, s, acc);\n  }\n"
    )
    if not spec.signature.two_direction:
        return rows
    # Stream H + j is column W - 1 - j read top to bottom (rot90 counter-clockwise).
    columns = (
        f"  for (int s = 0; s < {width}; s += LANES) {{\n"
        f"    int count = {width} - s < LANES ? {width} - s : LANES;\n"
        f"    sign_block(pixels, (long)({width - 1} - s) * {channels}, -{channels},"
        f" {width * channels}, {spec.points(height)}, count, RAMP_COLUMNS, sig);\n"
        f"    accumulate(sig, count, {height} + s, acc);\n  }}\n"
    )
    return rows + columns


def _ramps(spec: GraphSpec) -> str:
    """The time channel of each stream length, exactly torch.linspace's float32 values."""
    if spec.signature.path != "time":
        return "#define RAMP_ROWS ((const float *)0)\n#define RAMP_COLUMNS ((const float *)0)"
    import torch

    def ramp(length: int) -> np.ndarray:
        return torch.linspace(0.0, 1.0, length, dtype=torch.float32).numpy()

    text = f"static const float ramp_rows[{spec.width}] = {_array(ramp(spec.width))};\n"
    text += "#define RAMP_ROWS ramp_rows\n"
    if spec.height == spec.width:
        return text + "#define RAMP_COLUMNS ramp_rows"
    text += f"static const float ramp_columns[{spec.height}] = {_array(ramp(spec.height))};\n"
    return text + "#define RAMP_COLUMNS ramp_columns"


LANES = 16  # the C file's default SIGBENCH_LANES: two AVX2 vectors of float32


def stack_bytes(spec: GraphSpec, neurons: int, classes: int, lanes: int = LANES) -> int:
    """sigbench_model_predict's arrays on the stack (the compiler adds a little)."""
    c, depth = spec.path_channels, spec.signature.depth
    floats = lanes * (spec.length + 2 * c ** max(depth - 1, 1) + (depth + 3) * c)
    return 4 * (floats + neurons + classes) + 8 * lanes


def source_text(info: ExportInfo, spec: GraphSpec, head: DenseHead) -> str:
    if info.quantize == "int8":
        weights, bias = _int8_weights(head)
    else:
        weights, bias = _float_weights(head), head.hidden_bias
    neurons, features = head.hidden_weight.shape
    c, depth = spec.path_channels, spec.signature.depth
    names = ", ".join(_c_string(name) for name in info.classes)
    scale = _float_literal(float(np.float32(1) / np.float32(255)))
    reciprocals = np.asarray([0] + [1 / r for r in range(1, depth + 1)], np.float32)
    return f"""/* `sigbench export RUN --format c` (run {info.run_id}): ImageSig-FC in C99.
   The image signature (lanes algorithm, Horner form, float32), the standardizer and the dense
   head; see model.h for the entry point. Needs only <stdint.h> and <math.h>; no heap. */
#include <math.h>
#include <stdint.h>

#include "model.h"

#ifndef SIGBENCH_LANES
#define SIGBENCH_LANES {LANES} /* streams signed side by side: fewer saves stack, more is faster */
#endif
#define LANES SIGBENCH_LANES
#define PIXEL_CHANNELS {spec.channels}
#define PATH_CHANNELS {c} /* after the path transform ({spec.signature.path}) */
#define DEPTH {depth}
#define WORDS {spec.length} /* signature terms per stream */
#define TOP_WORDS {c ** max(depth - 1, 1)} /* the widest Horner temporary */
#define STREAMS {spec.streams}
#define FEATURES {features}
#define NEURONS {neurons}
#define CLASSES SIGBENCH_MODEL_CLASSES
#define PIXEL_SCALE {scale} /* 1/255 in float32, as the torch model scales pixels */

#if FEATURES != STREAMS * WORDS
#error "the head's input size differs from the signature's"
#endif

{_ramps(spec)}

/* dx[r] = the step's increment / r (r >= 2), dx[1] the increment itself. */
static const float reciprocal[DEPTH + 1] = {_array(reciprocals)};

{weights.declarations}
static const float hidden_bias[NEURONS] = {_array(bias)};
static const float output_weight[CLASSES][NEURONS] = {_array(head.output_weight)};
static const float output_bias[CLASSES] = {_array(head.output_bias)};
const char *const sigbench_model_classes[CLASSES] = {{{names}}};

/* Point t of each lane's transformed path. */
static void load_point(const uint8_t *pixels, const long base[LANES], long point_step, int t,
                       const float *ramp, float y[PATH_CHANNELS][LANES]) {{
  (void)ramp;
  {_load_point(spec)}
}}

/* The signatures of `count` streams (lane l: pixels from base + l * stream_step, points of the
   transformed path `points`), words x lanes in sig. Lanes past count repeat the last stream. */
static void sign_block(const uint8_t *pixels, long first, long stream_step, long point_step,
                       int points, int count, const float *ramp, float sig[WORDS][LANES]) {{
  long base[LANES];
  float prev[PATH_CHANNELS][LANES], now[PATH_CHANNELS][LANES];
  float dx[DEPTH + 1][PATH_CHANNELS][LANES], tmp[2][TOP_WORDS][LANES];
  (void)tmp;
  for (int l = 0; l < LANES; l++) base[l] = first + (l < count ? l : count - 1) * stream_step;
  for (int w = 0; w < WORDS; w++) for (int l = 0; l < LANES; l++) sig[w][l] = 0.0f;
  load_point(pixels, base, point_step, 0, ramp, prev);
  for (int t = 1; t < points; t++) {{
    load_point(pixels, base, point_step, t, ramp, now);
    for (int a = 0; a < PATH_CHANNELS; a++) for (int l = 0; l < LANES; l++) {{
      dx[1][a][l] = now[a][l] - prev[a][l];
      prev[a][l] = now[a][l];
    }}
    for (int r = 2; r <= DEPTH; r++) for (int a = 0; a < PATH_CHANNELS; a++)
      for (int l = 0; l < LANES; l++) dx[r][a][l] = dx[1][a][l] * reciprocal[r];
{_level_updates(c, depth)}
  }}
}}

/* The block's features (stream first_stream + l) through the dense layer's sums. */
static void accumulate(float sig[WORDS][LANES], int count, int first_stream,
                       float acc[NEURONS]) {{
  for (int l = 0; l < count; l++) for (int w = 0; w < WORDS; w++) {{
    const long f = (long)(first_stream + l) * WORDS + w;
    const float v = sig[w][l];
    const float z = {weights.feature};
    for (int j = 0; j < NEURONS; j++) {weights.accumulate}
  }}
}}

void sigbench_model_predict(const uint8_t *pixels, float *scores) {{
  float sig[WORDS][LANES], acc[NEURONS], logits[CLASSES];
  for (int j = 0; j < NEURONS; j++) acc[j] = 0.0f;
{_blocks(spec)}
  for (int j = 0; j < NEURONS; j++) {{
    const float h = {weights.finish};
    acc[j] = h > 0.0f ? h : 0.0f;
  }}
  float top = -HUGE_VALF, total = 0.0f;
  for (int k = 0; k < CLASSES; k++) {{
    float a = output_bias[k];
    for (int j = 0; j < NEURONS; j++) a += output_weight[k][j] * acc[j];
    logits[k] = a;
    top = a > top ? a : top;
  }}
  for (int k = 0; k < CLASSES; k++) {{
    scores[k] = expf(logits[k] - top);
    total += scores[k];
  }}
  for (int k = 0; k < CLASSES; k++) scores[k] /= total;
}}
"""


def graph_spec(loaded: LoadedRun, info: ExportInfo) -> GraphSpec:
    return GraphSpec(loaded.config.signature, *info.height_width, info.channels)


def export_c(loaded: LoadedRun, info: ExportInfo, directory: Path) -> None:
    """Write the run's ``model.h`` and ``model.c`` into ``directory``."""
    write_c_sources(loaded.model, graph_spec(loaded, info), info, directory)


def write_c_sources(model: nn.Module, spec: GraphSpec, info: ExportInfo, directory: Path) -> None:
    """Write ``model.h`` and ``model.c`` for an ``imagesig_fc`` model (each atomically)."""
    head = dense_head(model)
    neurons, classes = head.hidden_weight.shape[0], head.output_weight.shape[0]
    source = source_text(info, spec, head)
    rundir.write_text_atomic(
        Path(directory) / HEADER, header_text(info, spec, stack_bytes(spec, neurons, classes))
    )
    rundir.write_text_atomic(Path(directory) / SOURCE, source)
