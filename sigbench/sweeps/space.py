"""A search space: which config keys ``tune`` varies, and over which values.

``SPACE.yaml`` maps dotted config keys to a list (a categorical choice, e.g.
``signature.path: [none, time, lead_lag]``) or to a range ``{low, high, log?, step?}``:
integer when both bounds are integers, else float. Every key and every bound is checked
against the base config before any training, so a typo stops ``tune`` at once with one line
naming the file and the key. Plain data: the Optuna side lives in :mod:`sigbench.sweeps.tune`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigbench.config import ExperimentConfig, read_yaml, validate_config
from sigbench.errors import SigbenchError

RANGE_KEYS = ("low", "high", "log", "step")


@dataclass(frozen=True)
class Choice:
    """One of ``values``, compared as given (an integer list stays integers)."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Range:
    """``low <= x <= high``; integers when both bounds are, sampled on a log scale if ``log``."""

    low: int | float
    high: int | float
    log: bool = False
    step: int | float | None = None

    @property
    def integer(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)


Param = Choice | Range


@dataclass(frozen=True)
class SearchSpace:
    params: dict[str, Param]
    source: str

    def fingerprint(self) -> str:
        """A short hash of the ranges: a study resumed with another space is refused."""
        blob = json.dumps({key: repr(param) for key, param in self.params.items()})
        return hashlib.sha256(blob.encode()).hexdigest()[:10]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: object) -> object:
    """YAML 1.1 reads ``1e-4`` (no dot) as text; a bound written so is still meant as a number."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _check_key(key: object, raw: dict[str, Any], source: str) -> str:
    """``key`` if it names a setting of the (dumped) base config; sections and keys below a
    setting are refused here, unknown settings by the schema when a value is checked."""
    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        raise SigbenchError(
            f"{source}: key {key!r} must be a dotted config key, e.g. model.neurons"
        )
    node: Any = raw
    parts = key.split(".")
    for depth, part in enumerate(parts[:-1]):
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            where = ".".join(parts[: depth + 1])
            raise SigbenchError(f"{source}: {key}: {where!r} is not a section")
    if isinstance(node.get(parts[-1]), dict):
        raise SigbenchError(f"{source}: {key!r} is a section; name one of its settings")
    return key


def _check_value(raw: dict[str, Any], key: str, value: Any, source: str) -> None:
    """The base config with ``key`` set to ``value`` must validate (one-line error if not)."""
    validate_config(raw, source, [f"{key}={json.dumps(value)}"])


def _choice(raw: dict[str, Any], key: str, values: list[Any], source: str) -> Choice:
    if not values:
        raise SigbenchError(f"{source}: {key} = []: list at least one value")
    for index, value in enumerate(values):
        if value in values[:index]:
            raise SigbenchError(f"{source}: {key} lists {value!r} twice")
        _check_value(raw, key, value, source)
    return Choice(tuple(values))


def _range(raw: dict[str, Any], key: str, spec: dict[str, Any], source: str) -> Range:
    unknown = sorted(set(spec) - set(RANGE_KEYS), key=str)
    if unknown:
        raise SigbenchError(
            f"{source}: {key}: unknown range key {unknown[0]!r}; allowed: {', '.join(RANGE_KEYS)}"
        )
    spec = {name: _number(value) for name, value in spec.items()}
    for bound in ("low", "high"):
        if not _is_number(spec.get(bound)):
            raise SigbenchError(
                f"{source}: {key}.{bound} = {spec.get(bound)!r}: a range needs numbers "
                "low and high, e.g. {low: 1.0e-4, high: 1.0e-2, log: true}"
            )
    log, step = spec.get("log", False), spec.get("step")
    param = Range(spec["low"], spec["high"], log, step)
    if not isinstance(log, bool):
        raise SigbenchError(f"{source}: {key}.log = {log!r}: expected true or false")
    if param.low >= param.high:
        raise SigbenchError(
            f"{source}: {key}: low {param.low!r} must be below high {param.high!r} "
            "(a fixed value is a one-value list, or --set)"
        )
    if log and param.low <= 0:
        raise SigbenchError(f"{source}: {key}: a log range needs low > 0, got {param.low!r}")
    if step is not None:
        if log:
            raise SigbenchError(f"{source}: {key}: give step or log, not both")
        if not _is_number(step) or step <= 0 or (param.integer and not isinstance(step, int)):
            kind = "a positive integer" if param.integer else "a positive number"
            raise SigbenchError(f"{source}: {key}.step = {step!r}: expected {kind}")
        if step > param.high - param.low:
            raise SigbenchError(f"{source}: {key}.step = {step!r} is wider than the range")
    probes = [param.low, param.high]
    if not param.integer:  # a fractional value inside: refused if the setting takes integers
        probes.append(param.low + (param.high - param.low) / math.pi)
    for value in probes:
        _check_value(raw, key, value, source)
    return param


def space_from_mapping(raw_space: object, base: ExperimentConfig, source: str) -> SearchSpace:
    """Validate a ``{config key: list | range}`` mapping against ``base`` (the config tuned)."""
    if not isinstance(raw_space, dict) or not raw_space:
        raise SigbenchError(
            f"{source}: expected a mapping of config keys to a list or a range, "
            "e.g. 'model.neurons: {low: 16, high: 256, log: true}'"
        )
    raw = base.model_dump(mode="json")
    params: dict[str, Param] = {}
    for key, spec in raw_space.items():
        _check_key(key, raw, source)
        if isinstance(spec, list):
            params[key] = _choice(raw, key, spec, source)
        elif isinstance(spec, dict):
            params[key] = _range(raw, key, spec, source)
        else:
            raise SigbenchError(
                f"{source}: {key} = {spec!r}: expected a list of choices or a range "
                "{low: ..., high: ...}"
            )
    return SearchSpace(params, source)


def kind_space(kind: str, base: ExperimentConfig) -> SearchSpace:
    """Model kind ``kind``'s own search space (declared with the kind: its capacity keys and
    the shared training recipe), checked against ``base``."""
    from sigbench.models import model_entry

    return space_from_mapping(model_entry(kind).space, base, f"the {kind} search space")


def load_space(path: str | Path, base: ExperimentConfig) -> SearchSpace:
    """Read and check ``SPACE.yaml`` against the base config it will tune; a model kind's
    name instead of a file is that kind's own space (``sigbench list spaces``)."""
    from sigbench.models import list_models

    path = Path(path)
    if not path.is_file():
        if str(path) in list_models():
            if base.model.kind != str(path):
                raise SigbenchError(
                    f"--space {path}: that search space is model kind {path}'s, and the config "
                    f"trains {base.model.kind}; add --set model.kind={path}"
                )
            return kind_space(str(path), base)
        raise SigbenchError(
            f"{path}: no such search-space file (or model kind: {', '.join(list_models())})"
        )
    return space_from_mapping(read_yaml(path), base, str(path))
