"""`check` and `new`: the contributor's commands, through a subprocess like a contributor."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from conftest import FIXTURES, REPO, make_repo


def run(root: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=root,
                          capture_output=True, text=True, timeout=60, env=env)


EXPECTED = [
    "content/articles/2020/misfiled.md: error: file is not filed under its year 2021 "
    "(hint: move it to content/articles/2021/misfiled.md)",
    "content/articles/2021/Bad_Name.md: error: file name is not a slug "
    "(hint: rename it to bad-name.md (lowercase words and hyphens))",
    "content/articles/2021/Bad_Name.md:3:7: error: date 2099-01-01 is in the future "
    "(hint: use today's date, or add draft: true)",
    "content/articles/2021/broken-things.md:4:8: error: tag 'printng' is not in "
    "content/tags.yml (hint: did you mean 'printing'? use a known tag or add it to the "
    "vocabulary)",
    "content/articles/2021/broken-things.md:4:17: error: tag 'gardening' is not in "
    "content/tags.yml (hint: use a known tag or add it to the vocabulary)",
    "content/articles/2021/broken-things.md:6:8: error: photo needs a credit "
    '(hint: add credit: "Photographer/Agency" under photo:)',
    "checked: 6 errors, 0 warnings",
]


def test_check_reports_every_rule_with_line_and_column(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "check")
    done = run(root, "check")
    assert done.returncode == 1
    assert done.stderr.splitlines() == EXPECTED
    assert not (root / "site").exists()


def test_check_narrowed_to_paths(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "check")
    done = run(root, "check", "content/articles/2020/misfiled.md")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [EXPECTED[0], "checked: 1 error, 0 warnings"]
    done = run(root, "check", "content/articles/2020/good-one.md")
    assert done.returncode == 0, done.stderr


def test_check_broken_link_to_another_article(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "check")
    for name in ("2021/broken-things.md", "2021/Bad_Name.md", "2020/misfiled.md"):
        (root / "content/articles" / name).unlink()
    (root / "content/articles/2020/good-one.md").write_text(
        "---\ntitle: x\ndate: 2020-03-01\n---\nText.\n\nSee [gone](../2019/gone.md).\n")
    done = run(root, "check")
    assert done.stderr.splitlines()[0] == (
        "content/articles/2020/good-one.md:7: error: link to 'content/articles/2019/gone.md': "
        "no such article (hint: link to the other article's .md file by its relative path)")


def test_check_emits_github_annotations(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "check")
    done = run(root, "check", "--format", "github")
    assert done.returncode == 1
    assert ("::error file=content/articles/2021/broken-things.md,line=6,col=8::photo needs a "
            'credit (hint: add credit: "Photographer/Agency" under photo:)') in done.stderr


def test_alias_is_accepted_and_normalized_and_links_resolve(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "check")
    for name in ("2021/broken-things.md", "2021/Bad_Name.md", "2020/misfiled.md"):
        (root / "content/articles" / name).unlink()
    (root / "content/articles/2021/other.md").write_text(
        "---\ntitle: Other\ndate: 2021-01-01\ntags: [printing]\n---\nBack to "
        "[the good one](../2020/good-one.md#top).\n")
    (root / "content/articles/2020/good-one.md").write_text(
        (root / "content/articles/2020/good-one.md").read_text().replace("broken-things", "other"))
    assert run(root, "check").returncode == 0
    assert run(root).returncode == 0
    page = (root / "site/2021/other/index.html").read_text()
    assert 'href="../../2020/good-one/index.html#top"' in page
    tag_page = (root / "site/tags/printing/index.html").read_text()
    assert "A Good One" in tag_page and "Presses and type." in tag_page
    assert not (root / "site/tags/letterpress").exists()


def test_new_then_check_passes(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "check")
    shutil.rmtree(root / "content/articles")
    done = run(root, "new", "The “Quoted” Title: A Study", "--tags", "letterpress,libraries")
    assert done.returncode == 0, done.stderr
    year = date.today().year
    path = root / done.stdout.strip()
    assert path == root / f"content/articles/{year}/the-quoted-title-a-study.md"
    text = path.read_text(encoding="utf-8")
    assert 'title: "The “Quoted” Title: A Study"' in text
    assert 'tags: ["printing", "libraries"]' in text
    done = run(root, "check")
    assert done.returncode == 0, done.stderr
    # never overwrites
    path.write_text(text + "\nMy body.\n", encoding="utf-8")
    again = run(root, "new", "The “Quoted” Title: A Study")
    assert again.returncode == 1
    assert "already exists; not overwriting it" in again.stderr
    assert path.read_text(encoding="utf-8").endswith("My body.\n")


def test_check_refuses_oversized_photos(tmp_path):
    import os

    from PIL import Image

    root = make_repo(tmp_path, FIXTURES / "check")
    shutil.rmtree(root / "content/articles")
    folder = root / "content/articles/2020"
    folder.mkdir(parents=True)
    (folder / "big-photo.md").write_text(
        '---\ntitle: "Big Photo"\ndate: 2020-01-01\ntags: [printing]\nphoto:\n'
        '  src: "big-photo.png"\n  alt: "Noise"\n  credit: "Me/Us"\n---\nText.\n')
    Image.frombytes("RGB", (1300, 1300), os.urandom(1300 * 1300 * 3)).save(
        folder / "big-photo.png")
    assert (folder / "big-photo.png").stat().st_size > 4 * 1024 * 1024
    done = run(root, "check")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0].startswith(
        "content/articles/2020/big-photo.md:6:8: error: photo is 4.")
    assert "the limit is 4 MB (hint: save it smaller" in done.stderr
