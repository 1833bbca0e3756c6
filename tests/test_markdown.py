"""Markdown cases from tests/fixtures/markdown.txt: input and expected HTML side by side."""

from pathlib import Path

import pytest

from broadsheet.read.markdown import render

FIXTURE = Path(__file__).parent / "fixtures" / "markdown.txt"


def read_cases(path: Path) -> list:
    """Cases are: a title line, then `.`, input, `.`, expected HTML, `.`, a blank line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        title, start = lines[i], i + 1
        assert lines[i + 1] == ".", f"line {i + 2}: expected '.'"
        j = i + 2
        while lines[j] != ".":
            j += 1
        k = j + 1
        while lines[k] != ".":
            k += 1
        source = "\n".join(lines[i + 2 : j]) + "\n"
        expected = "\n".join(lines[j + 1 : k]) + "\n"
        cases.append(pytest.param(source, expected, id=f"line{start}-{title[:40]}"))
        i = k + 1
    return cases


@pytest.mark.parametrize(("source", "expected"), read_cases(FIXTURE))
def test_markdown_case(source, expected):
    assert render(source).html == expected


def test_plain_text_and_first_paragraph():
    out = render("## Heading\n\nFirst *para*\ngraph.[^1]\n\nSecond.\n\n[^1]: note\n")
    assert out.first_paragraph == "First para graph."
    assert "Heading" in out.text and "Second." in out.text
    assert out.words == len(out.text.split())
