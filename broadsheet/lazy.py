"""Heavy libraries imported on first use: a build that finds nothing changed needs none of
them, and importing numpy, Pillow, Jinja2 and markdown-it-py took half its time."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """`import name`, run when one of its attributes is first used (a dotted name imports
    its parents at once). Not for modules whose import registers something as it runs."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    found = importlib.util.module_from_spec(spec)
    sys.modules[name] = found
    spec.loader.exec_module(found)
    return found
