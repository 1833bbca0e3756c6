"""The command line through a subprocess: exit codes, messages, and `site/` left intact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES, REPO, make_repo


def run(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "build.py"), *args], cwd=root, capture_output=True,
        text=True, timeout=60, env=env,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_succeeds_and_says_what_it_did(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    done = run(root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("built 3 articles, 13 pages")
    assert (root / "site/index.html").is_file()


def test_broken_article_exits_1_names_file_and_line_and_keeps_site(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert run(root).returncode == 0
    before = snapshot(root / "site")
    (root / "content/articles/broken.md").write_text(
        '---\ntitle: "Broken"\ndate: 2021-02-30\ntags: [x]\n---\nBody\n', encoding="utf-8")
    (root / "content/articles/latin1.md").write_bytes(b"---\ntitle: caf\xe9\n---\n")
    done = run(root)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "content/articles/broken.md:3:7: error: date '2021-02-30' is not a real date",
        "content/articles/first-light.md:28: warning: link to 'javascript:alert(1)' is not "
        "allowed and was left as text (hint: links may use http, https, mailto or a relative "
        "path)",
        "content/articles/latin1.md:2:11: error: not valid UTF-8 (byte 0xe9) "
        "(hint: save the file as UTF-8)",
        "build failed: 2 errors; site/ left unchanged",
    ]
    assert snapshot(root / "site") == before


def test_github_annotations_under_actions(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    (root / "content/articles/broken.md").write_text("---\ntitle: x\ndate: soon\n---\n")
    done = run(root, "--format", "github")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "::error file=content/articles/broken.md,line=3,col=7::date 'soon' is not a date; "
        "write YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+HH:MM"
    )


def test_bad_config_exits_2(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    (root / "broadsheet.yml").write_text("per_page: none\n")
    done = run(root)
    assert done.returncode == 2
    assert "broadsheet.yml:1:1: error: per_page must be a positive number" in done.stderr


def test_unknown_command_is_a_usage_error(tmp_path):
    done = run(tmp_path, "publish-everything")
    assert done.returncode == 2
    assert "invalid choice" in done.stderr


def test_a_build_with_nothing_to_do_loads_no_heavy_library(tmp_path):
    """numpy, Pillow, Jinja2 and markdown-it-py were half of a no-change build's time."""
    root = make_repo(tmp_path, FIXTURES / "site")
    assert run(root).returncode == 0
    probe = (
        "import sys\n"
        f"sys.argv, sys.path[:0] = ['build.py'], [{str(REPO)!r}]\n"
        "from broadsheet.cli import main\n"  # what build.py runs (then it leaves at once)
        "main()\n"
        "heavy = ('numpy', 'PIL.Image', 'jinja2', 'markdown_it', 'nh3')\n"
        "print([n for n in heavy if n in sys.modules\n"
        "       and type(sys.modules[n]).__name__ != '_LazyModule'])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "(0 rendered" in done.stdout, done.stdout
    assert done.stdout.strip().endswith("[]"), done.stdout
