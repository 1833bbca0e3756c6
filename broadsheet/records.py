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
        if args[0] in _PLAIN:
            return functools.partial(_plain_items, args[0])
        item = _decoder(args[0])
        return lambda data: tuple(map(item, _expect(data, list)))
    if origin is tuple:
        return _fixed_decoder(args)
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
    """A decoder written out as Python source for `kind`: its str, int and bool fields
    checked inline (`type(v) is`: a bool is not an int), the others by their own decoders,
    and the object made without running the frozen `__init__` (every field is present, and
    no record has a `__post_init__`). A build decodes ~50,000 records; this is some three
    times quicker than a call per field."""
    hints = _hints(kind)
    names = [f.name for f in dataclasses.fields(kind)]
    scope: dict[str, object] = {"kind": kind, "names": frozenset(names), "new": object.__new__}
    body = ["def record(data):",
            "    if type(data) is not dict or data.keys() != names:",
            "        raise ValueError(f'{kind.__name__} fields: {sorted(data)}')"]
    for n, name in enumerate(names):
        hint, value = hints[name], f"data[{name!r}]"
        options = typing.get_args(hint) if typing.get_origin(hint) in (
            typing.Union, types.UnionType) else (hint,)
        plain = [k for k in options if k is not type(None)]
        if len(plain) == 1 and plain[0] in (str, int, bool):
            scope[f"t{n}"] = plain[0]
            test = f"type(v{n}) is not t{n}"
            if type(None) in options:
                test += f" and v{n} is not None"
            body += [f"    v{n} = {value}",
                     f"    if {test}:",
                     f"        raise ValueError(f'{kind.__name__}.{name}: {{v{n}!r}}')"]
        else:
            scope[f"d{n}"] = _decoder(hint)
            body.append(f"    v{n} = d{n}({value})")
    if hasattr(kind, "__post_init__") or hasattr(kind, "__slots__"):
        body.append(f"    return kind({', '.join(f'{m}=v{n}' for n, m in enumerate(names))})")
    else:
        body += ["    made = new(kind)",
                 f"    made.__dict__.update({', '.join(f'{m}=v{n}' for n, m in enumerate(names))})",
                 "    return made"]
    exec("\n".join(body), scope)  # the source is made of field names only
    return scope["record"]


_PLAIN = (str, int, bool)


def _plain_items(kind: type, data: object) -> tuple:
    if type(data) is not list or not all(type(v) is kind for v in data):
        raise ValueError(f"expected a list of {kind.__name__}")
    return tuple(data)


def _fixed_decoder(args: tuple):
    """A `tuple[A, B, ...]` decoder written out like `_record_decoder`'s."""
    scope: dict[str, object] = {}
    names = [f"v{n}" for n in range(len(args))]
    body = ["def fixed(data):",
            f"    if type(data) is not list or len(data) != {len(args)}:",
            f"        raise ValueError('expected a list of {len(args)}')",
            f"    {', '.join(names)}{',' if len(args) == 1 else ''} = data"]
    for n, kind in enumerate(args):
        if kind in _PLAIN:
            scope[f"t{n}"] = kind
            body += [f"    if type(v{n}) is not t{n}:", f"        raise ValueError(repr(v{n}))"]
        else:
            scope[f"d{n}"] = _decoder(kind)
            body.append(f"    v{n} = d{n}(v{n})")
    body.append(f"    return ({', '.join(names)}{',' if len(args) == 1 else ''})")
    exec("\n".join(body), scope)  # the source is made of indices only
    return scope["fixed"]


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
