"""Whole builds: golden output, determinism, cross-file errors, and a failed build's safety."""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, build_repo, make_repo, scratch

from broadsheet import output

GOLDEN = FIXTURES / "site-expected"
UPDATE = os.environ.get("BROADSHEET_UPDATE_GOLDEN") == "1"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_golden_site(tmp_path):
    """The fixture archive builds to exactly the committed tree.
    Regenerate after an intended change: BROADSHEET_UPDATE_GOLDEN=1 pytest tests/test_build.py"""
    root = make_repo(tmp_path, FIXTURES / "site")
    result = build_repo(root)
    assert result.ok, [d.format() for d in result.diagnostics]
    # static/ is a verbatim copy of the theme's files: not worth a second copy in the repo;
    # the marker is signed with this machine's key (output.py), so it differs by machine
    left_out = ["static", output.MARKER]
    actual = {k: v for k, v in tree(root / "site").items()
              if k.partition("/")[0] not in left_out}
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(root / "site", GOLDEN, ignore=lambda d, n: left_out if d == str(
            root / "site") else [])
    expected = tree(GOLDEN)
    assert sorted(actual) == sorted(expected), "files differ from the golden tree"
    for name in expected:
        if actual[name] != expected[name]:
            try:
                diff = difflib.unified_diff(
                    expected[name].decode().splitlines(), actual[name].decode().splitlines(),
                    f"golden/{name}", f"built/{name}", lineterm="", n=2)
                detail = "\n".join(list(diff)[:60])
            except UnicodeDecodeError:
                detail = "(binary file differs)"
            pytest.fail(f"{name} differs from the golden copy:\n{detail}")


def test_two_builds_are_byte_identical(tmp_path):
    first = make_repo(tmp_path / "a", FIXTURES / "site")
    second = make_repo(tmp_path / "b", FIXTURES / "site")
    assert build_repo(first).ok and build_repo(second).ok
    assert tree(first / "site") == tree(second / "site")
    # and a rebuild in place gives the same bytes again
    before = tree(first / "site")
    assert build_repo(first).ok
    assert tree(first / "site") == before


def test_drafts_are_left_out_unless_asked_for(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    assert not (root / "site/2023/unfinished").exists()
    assert not (root / "site/2023/draft-piece").exists()
    assert build_repo(root, drafts=True).ok
    assert (root / "site/2023/draft-piece/index.html").exists()


def article(title="T", date="2020-01-02", extra="", body="Body.\n") -> str:
    return f"---\ntitle: \"{title}\"\ndate: {date}\n{extra}---\n{body}"


def test_cross_file_errors_are_all_reported(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/one.md": article("One", extra="tags: [New York]\nslug: same\n"),
        "content/articles/two.md": article("Two", extra="tags: [new-york]\nslug: same\n"),
        "content/articles/three.md": article("Three", extra="tags: [NEW YORK]\n"),
        "content/articles/four.md": article(
            "Four", extra="photo:\n  src: missing.jpg\n  alt: x\n"),
    })
    result = build_repo(root)
    messages = sorted(d.format() for d in result.diagnostics)
    assert messages == [
        "content/articles/four.md:5:8: error: photo file 'missing.jpg' not found "
        "(hint: put it beside four.md)",
        "content/articles/three.md:4:8: error: tag 'NEW YORK' has the same URL slug as tag "
        "'New York' in content/articles/one.md (hint: write it as 'New York')",
        "content/articles/two.md: error: has the same permalink '2020/same/index.html' as "
        "content/articles/one.md (hint: give one of them a different 'slug:' or file name)",
    ]
    assert not (root / "site").exists()


def test_failed_build_leaves_previous_site_intact(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    before = tree(root / "site")
    (root / "content/articles/broken.md").write_text(article(date="2020-02-31"))
    result = build_repo(root)
    assert not result.ok
    assert tree(root / "site") == before
    assert scratch(tmp_path) == []


def test_deleted_article_disappears_and_no_temp_folders_remain(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    (root / "content/articles/third-way.md").unlink()
    assert build_repo(root).ok
    assert not (root / "site/2022/third-way").exists()
    assert "third-way" not in (root / "site/index.html").read_text()
    assert scratch(root) == []


def test_template_error_names_template_and_line(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    (root / "templates/tags.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{{ no_such_thing.x }}\n{% endblock %}\n')
    result = build_repo(root)
    assert [d.format() for d in result.diagnostics if d.severity == "error"] == [
        "templates/tags.html:3: error: while rendering tags/index.html: "
        "'no_such_thing' is undefined"
    ]
