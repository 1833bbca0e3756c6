"""Diagnostics are values: collected by every stage, printed by the command line.

A build reports all problems of a run together, like a compiler, instead of stopping at the
first one. Each diagnostic knows its file, line and column so that people (and GitHub's
annotations) land on the exact spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str  # repository-relative, with forward slashes
    line: int  # 1-based; 0 when the problem concerns the whole file
    column: int  # 1-based; 0 when unknown
    severity: Severity
    message: str
    hint: str = ""

    def format(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def format_github(self) -> str:
        """A workflow command that GitHub shows as an annotation on the line."""
        props = [f"file={_escape_property(self.path)}"]
        if self.line:
            props.append(f"line={self.line}")
        if self.column:
            props.append(f"col={self.column}")
        text = self.message + (f" (hint: {self.hint})" if self.hint else "")
        return f"::{self.severity} {','.join(props)}::{_escape_data(text)}"


def error(path: str, line: int, column: int, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, column, "error", message, hint)


def warning(path: str, line: int, column: int, message: str, hint: str = "") -> Diagnostic:
    return Diagnostic(path, line, column, "warning", message, hint)


def has_errors(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
