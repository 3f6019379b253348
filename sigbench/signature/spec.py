"""One :class:`SignatureSpec`: every setting that changes an image's signature features.

The config's ``signature`` section *is* a SignatureSpec, and ``featurize``,
``image_signatures``, the torch layer and the exported ONNX graph all take one, so the
depth range, the path-transform names and the feature-length formula are written here and
nowhere else. This module is light (no torch, no numpy): the config, which the light CLI
paths load, builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import Field, TypeAdapter, ValidationError

from sigbench import options
from sigbench.errors import SigbenchError

MIN_DEPTH, MAX_DEPTH = options.MIN_DEPTH, options.MAX_DEPTH

# The closed option lists as types (Literal of a tuple is Literal of its items), so that
# pydantic checks them when the config is read and its messages list the choices.
PathTransform = Literal[options.PATH_TRANSFORMS]
Backend = Literal[(options.AUTO_BACKEND, *options.SIGNATURE_BACKENDS)]

# Each setting's type, bounds and description, declared once: pydantic checks them when the
# config reads its ``signature`` section, ``SignatureSpec.__post_init__`` checks them through
# the same types when a spec is built directly, and the docs' config reference prints them.
Depth = Annotated[
    int,
    Field(ge=MIN_DEPTH, le=MAX_DEPTH, description="truncation depth of each stream's signature"),
]
TwoDirection = Annotated[bool, Field(description="add the columns as streams, after the rows")]
LogSig = Annotated[bool, Field(description="the log-signature (Lyndon basis) instead")]
PathSetting = Annotated[
    PathTransform,
    Field(description="what each stream becomes first: a time channel, lead-lag or a basepoint"),
]
BackendSetting = Annotated[
    Backend, Field(description="who computes the signatures; auto: the fastest that loads")
]


class SignatureSpecError(SigbenchError, ValueError):
    """A setting out of range: a ValueError too, so that pydantic reports it as the
    config's own validation error (see ``sigbench.config``)."""


def check_path(path: str) -> str:
    """``path`` if it names a path transform, else a one-line error listing them."""
    if path not in options.PATH_TRANSFORMS:
        raise SignatureSpecError(
            f"signature.path = {path!r}: choose one of {', '.join(options.PATH_TRANSFORMS)}"
        )
    return path


def stream_count(height: int, width: int, two_direction: bool) -> int:
    """Rows, plus the columns with ``two_direction``."""
    return height + width if two_direction else height


def transformed_channels(channels: int, path: str) -> int:
    """Channels of a stream's points after the path transform ``path``."""
    if path == "time":
        return channels + 1
    if path == "lead_lag":
        return 2 * channels
    return channels


def transformed_points(points: int, path: str) -> int:
    """Points of a stream of ``points`` points after the path transform ``path``."""
    if path == "lead_lag":
        return 2 * points - 1
    return points + (path == "basepoint")


def lyndon_word_count(alphabet: int, depth: int) -> int:
    """How many Lyndon words of length 1..depth there are over ``alphabet`` letters:
    Witt's formula, sum over n of (1/n) sum_{d | n} mobius(d) alphabet^(n/d)."""
    return sum(
        sum(_mobius(d) * alphabet ** (n // d) for d in range(1, n + 1) if n % d == 0) // n
        for n in range(1, depth + 1)
    )


def _mobius(n: int) -> int:
    result, factor = 1, 2
    while factor * factor <= n:
        if n % factor == 0:
            n //= factor
            if n % factor == 0:
                return 0
            result = -result
        factor += 1
    return -result if n > 1 else result


@dataclass(frozen=True)
class SignatureSpec:
    """How images become signature features: streams (rows, plus columns with
    ``two_direction``), a path transform on each, and its signature truncated at ``depth``
    (or, with ``log_sig``, its log-signature in the Lyndon basis), by ``backend``.

    Frozen and checked on construction, so a spec that exists is a valid one.
    """

    depth: Depth = 4
    two_direction: TwoDirection = False
    log_sig: LogSig = False
    path: PathSetting = "none"
    backend: BackendSetting = "auto"

    def __post_init__(self) -> None:
        for name, setting in _setting_types().items():
            value = getattr(self, name)
            try:  # as the config reads it: numpy integers and booleans are welcome
                checked = setting.validate_python(value)
            except ValidationError as error:
                reason = error.errors()[0]["msg"]
                raise SignatureSpecError(f"signature.{name} = {value!r}: {reason}") from None
            object.__setattr__(self, name, checked)  # plain Python values

    def path_channels(self, channels: int) -> int:
        """Channels of each stream's points after the path transform."""
        return transformed_channels(channels, self.path)

    def path_points(self, pixels: int) -> int:
        """Points of a stream of ``pixels`` pixels after the path transform."""
        return transformed_points(pixels, self.path)

    def length(self, channels: int) -> int:
        """Features per stream of an image with ``channels`` channels: D + D^2 + ... +
        D^depth for the signature (D the channels after the path transform), or the number
        of Lyndon words up to length ``depth`` for the log-signature."""
        dimension = self.path_channels(channels)
        if self.log_sig:
            return lyndon_word_count(dimension, self.depth)
        return sum(dimension**k for k in range(1, self.depth + 1))

    def streams(self, height: int, width: int) -> int:
        """Streams per image of ``height`` x ``width`` pixels."""
        return stream_count(height, width, self.two_direction)

    def feature_shape(self, image_shape: tuple[int, ...]) -> tuple[int, int]:
        """(streams, length) per image for images of shape (N, H, W[, C])."""
        height, width = image_shape[1:3]
        channels = image_shape[3] if len(image_shape) == 4 else 1
        return self.streams(height, width), self.length(channels)


@cache
def _setting_types() -> dict[str, TypeAdapter[Any]]:
    """A validator for each setting of SignatureSpec, from its annotated type."""
    hints = get_type_hints(SignatureSpec, include_extras=True)
    return {field.name: TypeAdapter(hints[field.name]) for field in fields(SignatureSpec)}
