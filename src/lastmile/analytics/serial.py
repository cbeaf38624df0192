"""JSON for the result dataclasses: stable bytes for the same figures, and back again.

Keys are sorted and lists keep the order the scorecard gave them (already sorted), so two runs
of the same day produce identical files that diff cleanly.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, TypeVar

from lastmile.domain.errors import InvalidInput

T = TypeVar("T")


def to_dict(obj: Any) -> dict[str, Any]:
    """A dataclass tree as plain dicts and lists."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise InvalidInput(f"expected a result dataclass, got {type(obj).__name__}")
    return dataclasses.asdict(obj)


def to_json(obj: Any) -> str:
    """Deterministic JSON text (sorted keys, no NaN: empty figures are null)."""
    return json.dumps(to_dict(obj), sort_keys=True, indent=2, allow_nan=False) + "\n"


def from_dict(cls: type[T], data: Any, where: str = "$") -> T:
    """Rebuild a dataclass tree from :func:`to_dict` output, naming the path of a bad value."""
    return typing.cast(T, _build(cls, data, where))


def from_json(cls: type[T], text: str) -> T:
    """Read what :func:`to_json` wrote."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc}") from exc
    return from_dict(cls, data)


def _build(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        inner = [o for o in options if o is not type(None)]
        return _build(inner[0], data, where)
    if origin is list:
        _expect(data, list, where)
        (item,) = typing.get_args(tp)
        return [_build(item, v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        _expect(data, dict, where)
        _, value = typing.get_args(tp)
        return {str(k): _build(value, v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(tp):
        return _build_dataclass(tp, data, where)
    if tp is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise InvalidInput(f"expected a number, got {data!r}", location=where)
        return float(data)
    _expect(data, tp, where)
    return data


def _build_dataclass(cls: Any, data: Any, where: str) -> Any:
    _expect(data, dict, where)
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]  # in order: the first error is stable
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise InvalidInput(f"unknown keys {unknown} for {cls.__name__}", location=where)
    kwargs = {}
    for name in names:
        if name not in data:
            raise InvalidInput(f"missing key {name!r} for {cls.__name__}", location=where)
        kwargs[name] = _build(hints[name], data[name], f"{where}.{name}")
    return cls(**kwargs)


def _expect(data: Any, tp: Any, where: str) -> None:
    if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
        name = getattr(tp, "__name__", str(tp))
        raise InvalidInput(f"expected {name}, got {data!r}", location=where)
