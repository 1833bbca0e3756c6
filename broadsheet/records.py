"""JSON for the frozen records of the model, so that the build cache holds data, never code.

The cache may come back from a shared store (the Actions cache), so it is read as JSON and
rebuilt into dataclasses by their type annotations: a record of the wrong shape raises
`ValueError`, which the cache treats as a miss. Unlike pickle, nothing in it can run.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo


def dumps(value: object) -> str:
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes, kind: object) -> object:
    """`text` as a value of type `kind` (a dataclass, `tuple[...]`, `X | None`, ...)."""
    try:
        return decode(json.loads(text), kind)
    except (TypeError, KeyError, IndexError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a {kind}: {exc}") from None


def encode(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        zone = value.tzinfo
        if isinstance(zone, ZoneInfo):  # keep the zone itself, not only today's offset
            return [value.replace(tzinfo=None).isoformat(), zone.key, value.fold]
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return [[encode(k), encode(v)] for k, v in value.items()]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no JSON form for {type(value).__name__}")


def decode(data: object, kind: object) -> object:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        last: Exception | None = None
        for option in (a for a in args if a is not type(None)):
            try:
                return decode(data, option)
            except (TypeError, ValueError, KeyError, IndexError) as exc:
                last = exc
        raise ValueError(f"matches none of {args}: {last}")
    if origin is tuple:
        _expect(data, list)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(v, args[0]) for v in data)
        if len(args) != len(data):
            raise ValueError(f"expected {len(args)} items, got {len(data)}")
        return tuple(decode(v, a) for v, a in zip(data, args, strict=True))
    if origin is list:
        _expect(data, list)
        return [decode(v, args[0]) for v in data]
    if origin is dict:
        _expect(data, list)
        return {decode(k, args[0]): decode(v, args[1]) for k, v in data}
    if origin is typing.Literal:
        if data not in args:
            raise ValueError(f"{data!r} is not one of {args}")
        return data
    if kind is typing.Any:
        return data
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        _expect(data, dict)
        hints = _hints(kind)
        names = {f.name for f in dataclasses.fields(kind)}
        if set(data) != names:
            raise ValueError(f"{kind.__name__} fields {sorted(data)} != {sorted(names)}")
        return kind(**{name: decode(data[name], hints[name]) for name in names})
    if kind is datetime:
        if isinstance(data, list):
            local, key, fold = data
            return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(key), fold=fold)
        _expect(data, str)
        return datetime.fromisoformat(data)
    if kind is Path:
        _expect(data, str)
        return Path(data)
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if kind in (str, int, bool, float, type(None)):
        if type(data) is not kind:
            raise ValueError(f"expected {kind.__name__}, got {type(data).__name__}")
        return data
    raise TypeError(f"cannot decode {kind}")


@functools.cache
def _hints(kind: type) -> dict[str, object]:
    return typing.get_type_hints(kind)


def _expect(data: object, kind: type) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__}, got {type(data).__name__}")
