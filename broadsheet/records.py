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
    return _decoder(kind)(data)


@functools.cache
def _decoder(kind: object):
    """A function that decodes data of type `kind`: worked out once per type, since a cache
    holds some half a million values."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        nullable = type(None) in args
        options = [_decoder(a) for a in args if a is not type(None)]

        def union(data):
            if data is None and nullable:
                return None
            last: Exception | None = None
            for option in options:
                try:
                    return option(data)
                except (TypeError, ValueError, KeyError, IndexError) as exc:
                    last = exc
            raise ValueError(f"matches none of {args}: {last}")
        return union
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])
        return lambda data: tuple(map(item, _expect(data, list)))
    if origin is tuple:
        items = [_decoder(a) for a in args]

        def fixed(data):
            if len(_expect(data, list)) != len(items):
                raise ValueError(f"expected {len(items)} items, got {len(data)}")
            return tuple(f(v) for f, v in zip(items, data, strict=True))
        return fixed
    if origin is list:
        item = _decoder(args[0])
        return lambda data: list(map(item, _expect(data, list)))
    if origin is dict:
        key, value = _decoder(args[0]), _decoder(args[1])
        return lambda data: {key(k): value(v) for k, v in _expect(data, list)}
    if origin is typing.Literal:
        def literal(data):
            if data not in args:
                raise ValueError(f"{data!r} is not one of {args}")
            return data
        return literal
    if kind is typing.Any:
        return lambda data: data
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _record_decoder(kind)
    if kind is datetime:
        def moment(data):
            if isinstance(data, list):
                local, key, fold = data
                return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(key), fold=fold)
            return datetime.fromisoformat(_expect(data, str))
        return moment
    if kind is Path:
        return lambda data: Path(_expect(data, str))
    if kind is float:
        def real(data):
            if isinstance(data, int) and not isinstance(data, bool):
                return float(data)
            return _exactly(data, float)
        return real
    if kind in (str, int, bool, type(None)):
        return lambda data: _exactly(data, kind)
    raise TypeError(f"cannot decode {kind}")


def _record_decoder(kind: type):
    hints = _hints(kind)
    decoders = {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(kind)}
    names = set(decoders)

    def record(data):
        if set(_expect(data, dict)) != names:
            raise ValueError(f"{kind.__name__} fields {sorted(data)} != {sorted(names)}")
        return kind(**{name: decode(data[name]) for name, decode in decoders.items()})
    return record


def _exactly(data: object, kind: type) -> object:
    if type(data) is not kind:
        raise ValueError(f"expected {kind.__name__}, got {type(data).__name__}")
    return data


@functools.cache
def _hints(kind: type) -> dict[str, object]:
    return typing.get_type_hints(kind)


def _expect(data: object, kind: type):
    if not isinstance(data, kind):
        raise ValueError(f"expected {kind.__name__}, got {type(data).__name__}")
    return data
