"""Hostile files and folders: nothing outside the repository is read, nothing of it is copied
into the site, nothing outside `site/` is written or destroyed, and nothing is dropped silently."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, build_repo, make_repo, scratch

from broadsheet import config as config_module
from broadsheet import output
from broadsheet.incremental import bookkeeping, cache, edits
from broadsheet.search import state as search


def config_errors(root, text: str) -> list[str]:
    (root / "broadsheet.yml").write_text(text)
    _, problems = config_module.load(root)
    return [d.format() for d in problems]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("output_dir: ../elsewhere", "output_dir '../elsewhere' must be a folder inside the "
         "repository"),
        ("output_dir: /tmp/x", "output_dir '/tmp/x' must be a folder inside the repository"),
        ("output_dir: .", "output_dir cannot be the repository itself (hint: name a folder "
         "inside it)"),
        ("output_dir: .git", "output_dir '.git' is inside the hidden folder '.git' (hint: hidden "
         "folders hold the repository's history and the build cache)"),
        ("output_dir: .git/x", "output_dir '.git/x' is inside the hidden folder '.git' (hint: "
         "hidden folders hold the repository's history and the build cache)"),
        ("output_dir: .broadsheet-cache", "output_dir '.broadsheet-cache' is inside the hidden "
         "folder '.broadsheet-cache' (hint: hidden folders hold the repository's history and "
         "the build cache)"),
        ("output_dir: content", "output_dir 'content' overlaps content_dir 'content' (hint: the "
         "four folders must be separate)"),
        ("output_dir: content/articles", "output_dir 'content/articles' overlaps content_dir "
         "'content' (hint: the four folders must be separate)"),
        ("output_dir: templates", "output_dir 'templates' overlaps templates_dir 'templates' "
         "(hint: the four folders must be separate)"),
        ("output_dir: static/site", "output_dir 'static/site' overlaps static_dir 'static' "
         "(hint: the four folders must be separate)"),
        ("static_dir: .", "static_dir cannot be the repository itself (hint: name a folder "
         "inside it)"),
        ("static_dir: .git", "static_dir '.git' is inside the hidden folder '.git' (hint: hidden "
         "folders hold the repository's history and the build cache)"),
        ("templates_dir: content", "templates_dir 'content' overlaps content_dir 'content' "
         "(hint: the four folders must be separate)"),
    ],
)
def test_folders_that_would_read_publish_or_destroy_the_repository_are_refused(
    tmp_path, setting, message
):
    root = make_repo(tmp_path)
    assert config_errors(root, setting + "\n") == [f"broadsheet.yml:1:{setting.index(':') + 3}: "
                                                   f"error: {message}"]


def test_overlap_with_a_parent_folder_is_refused(tmp_path):
    root = make_repo(tmp_path)
    assert config_errors(root, "content_dir: site/content\n") == [
        "broadsheet.yml:1:14: error: output_dir 'site' overlaps content_dir 'site/content' "
        "(hint: the four folders must be separate)"
    ]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "//evil.example/", "https://x.org/a b", "/a\"><script>/",
     "data:text/html,x", "archive/"],
)
def test_base_url_must_be_an_http_url_or_a_path(tmp_path, url):
    root = make_repo(tmp_path)
    quoted = '"' + url.replace('"', '\\"') + '"'
    assert config_errors(root, f"base_url: {quoted}\n") == [
        f"broadsheet.yml:1:11: error: base_url {url!r} is not an http(s) URL or a path "
        "(hint: use https://example.org/archive/ or /archive/)"
    ]


@pytest.mark.parametrize("value", ["²", "0", "-1", "1e3", "٣", "99999999999"])
def test_per_page_must_be_a_plain_positive_number(tmp_path, value):
    root = make_repo(tmp_path)
    assert config_errors(root, f'per_page: "{value}"\n') == [
        "broadsheet.yml:1:1: error: per_page must be a positive number"
    ]


def test_a_good_config_has_no_problems(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert config_errors(root, "output_dir: public\nbase_url: https://x.org\n") == []
    assert build_repo(root).ok


def article(title="T", date="2020-01-02", extra="", body="Body.\n") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}"


def messages(result) -> list[str]:
    return sorted(d.format() for d in result.diagnostics)


def site_files(root) -> dict[str, bytes]:
    return {p.relative_to(root / "site").as_posix(): p.read_bytes()
            for p in (root / "site").rglob("*") if p.is_file()}


def test_a_fifo_among_the_sources_is_an_error_not_a_hung_build(tmp_path):
    """Reading a FIFO blocks until someone writes to it: the walk refuses anything that is not
    a regular file, before anything reads it."""
    root = make_repo(tmp_path, FIXTURES / "site")
    os.mkfifo(root / "content/articles/pipe.md")
    os.mkfifo(root / "static/pipe.css")
    result = build_repo(root)
    assert not result.ok
    assert [m for m in messages(result) if "error" in m] == [
        "content/articles/pipe.md: error: is not a regular file (hint: remove it; only files "
        "and folders are read)",
        "static/pipe.css: error: is not a regular file (hint: remove it; only files and "
        "folders are read)",
    ]


def test_symlinks_under_content_templates_and_static_are_errors_and_never_copied(tmp_path):
    """A body image or photo linked to `.git/config` (which holds the checkout token in
    Actions) must not reach the site, which is uploaded as an artifact."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(article("Secret"))
    (outside / "folder").mkdir()
    (outside / "folder/inner.md").write_text(article("Inner"))
    root = make_repo(tmp_path / "repo", files={
        ".git/config": "[http]\n\textraheader = AUTHORIZATION: basic SECRET-TOKEN\n",
        "content/articles/x.md": article(extra="photo:\n  src: photo.jpg\n  alt: x\n"),
        "content/articles/y.md": article(body="![leak](leak.png)\n\n![sub](pics/leak.png)\n"),
    })
    articles = root / "content/articles"
    (articles / "leak.png").symlink_to("../../.git/config")
    (articles / "photo.jpg").symlink_to(root / ".git/config")
    (articles / "pics").mkdir()
    (articles / "pics/leak.png").symlink_to("../../../.git/config")
    (articles / "linked.md").symlink_to(outside / "secret.md")
    (articles / "folder").symlink_to(outside / "folder", target_is_directory=True)
    (root / "static/leak.css").symlink_to("../.git/config")
    (root / "templates/leak.html").symlink_to("../.git/config")
    result = build_repo(root)
    assert messages(result) == [
        "content/articles/folder: error: is a symbolic link; linked folders are not read "
        "(hint: put the folder itself here)",
        "content/articles/leak.png: error: is a symbolic link; linked files are not read "
        "(hint: put the file itself here)",
        "content/articles/linked.md: error: is a symbolic link; linked files are not read "
        "(hint: put the file itself here)",
        "content/articles/photo.jpg: error: is a symbolic link; linked files are not read "
        "(hint: put the file itself here)",
        "content/articles/pics/leak.png: error: is a symbolic link; linked files are not read "
        "(hint: put the file itself here)",
        "content/articles/x.md:5:8: error: photo 'photo.jpg' is a symbolic link (linked files "
        "are not read)",
        "content/articles/y.md:5: error: image 'leak.png' is a symbolic link (linked files are "
        "not read)",
        "content/articles/y.md:7: error: image 'pics/leak.png' is a symbolic link (linked files "
        "are not read)",
        "static/leak.css: error: is a symbolic link; linked files are not read (hint: put the "
        "file itself here)",
        "templates/leak.html: error: is a symbolic link; linked files are not read (hint: put "
        "the file itself here)",
    ]
    assert not (root / "site").exists()


def test_a_linked_folder_on_the_way_to_an_image_is_refused(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/x.md": article(body="![a](pics/a.png)\n"),
        "elsewhere/a.png": "x",
    })
    (root / "content/articles/pics").symlink_to(root / "elsewhere", target_is_directory=True)
    result = build_repo(root)
    assert "content/articles/x.md:5: error: image 'pics/a.png' is a symbolic link (linked files "\
        "are not read)" in messages(result)


def test_the_repository_never_reaches_the_site(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site", files={".git/config": "SECRET-TOKEN\n",
                                                        "notes.md": "SECRET-TOKEN\n"})
    assert build_repo(root).ok
    for name, data in site_files(root).items():
        assert b"SECRET-TOKEN" not in data, name
        assert not name.startswith((".git", "content/", "templates/"))


def test_a_missing_content_folder_is_an_error_not_an_empty_site(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    (root / "broadsheet.yml").write_text("content_dir: contnet\n")
    result = build_repo(root)
    assert messages(result) == [
        "contnet/: error: the content folder does not exist (hint: create it, or set "
        "content_dir in broadsheet.yml to the folder of your articles)"
    ]
    assert not (root / "site").exists()


def test_markdown_under_other_names_and_underscore_folders_are_read(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/a.markdown": article("A"),
        "content/articles/b.mdown": article("B"),
        "content/articles/c.mkd": article("C"),
        "content/_posts/d.md": article("D"),
        "content/_drafts/e.md": article("E"),
        "content/articles/f.mdx": article("F"),
        "content/articles/g.html": "<p>G</p>",
    })
    result = build_repo(root)
    assert result.ok
    assert messages(result) == [
        "content/articles/f.mdx: warning: MDX (Markdown with JSX) is not read; rename it to .md "
        "once the JSX is gone",
        "content/articles/g.html: warning: HTML pages are not read; `python build.py import` "
        "makes an article of one",
    ]
    assert sorted(p.name for p in (root / "site/2020").iterdir() if p.is_dir()) == [
        "a", "b", "c", "d"]  # e is a draft: in `_drafts`
    assert build_repo(root, drafts=True).ok
    assert (root / "site/2020/e/index.html").is_file()


def test_an_empty_content_folder_says_so(tmp_path):
    root = make_repo(tmp_path, files={"content/tags.yml": ""})
    result = build_repo(root)
    assert result.ok
    assert messages(result) == [
        "content/: warning: no articles found (hint: articles are Markdown files such as "
        "content/articles/2024/a-title.md)"
    ]


def test_a_folder_not_written_by_the_build_is_never_replaced(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site", files={"docs/handbook.md": "mine\n",
                                                        ".docs.spare/keep.txt": "mine too\n"})
    (root / "broadsheet.yml").write_text("output_dir: docs\n")
    for _ in range(3):
        result = build_repo(root)
        assert messages(result)[-1] == (
            "docs: error: cannot write the site: docs/ holds files Broadsheet did not write (no "
            ".broadsheet-site) (hint: move that folder away (or delete it) and build again, or "
            "set output_dir)")
    assert (root / "docs/handbook.md").read_text() == "mine\n"
    (root / "broadsheet.yml").write_text("output_dir: public\n")
    (root / "public").mkdir()  # an empty folder may be used
    for _ in range(3):
        assert build_repo(root).ok
    assert (root / ".docs.spare/keep.txt").read_text() == "mine too\n"
    assert (root / "public" / output.MARKER).is_file()


def test_a_spare_folder_not_of_ours_is_left_alone(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site", files={".site.spare/keep.txt": "mine\n"})
    for _ in range(3):
        assert build_repo(root).ok
    assert (root / ".site.spare/keep.txt").read_text() == "mine\n"


def build_killed_at(root, module, name: str, when: str) -> int:
    """Build in a forked child that dies (os._exit, no clean-up) just before or just after
    the first call of `module.name`: a crash at exactly that step. Returns its exit code."""
    pid = os.fork()
    if pid == 0:
        try:
            original = getattr(module, name)

            def crash(*args, **kwargs):
                if when == "after":
                    original(*args, **kwargs)
                os._exit(9)

            setattr(module, name, crash)
            build_repo(root)
            os._exit(0)
        finally:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def clean_tree(root, into) -> dict[str, bytes]:
    """The site a clean build of `root`'s current sources makes."""
    shutil.copytree(root, into, ignore=shutil.ignore_patterns("site", ".site.*", cache.CACHE_DIR))
    assert build_repo(into).ok
    return site_files(into)


STEPS = [
    (output, "_swap", "before"), (output, "_swap", "after"), (output, "_mark", "before"),
    (output, "_update", "before"), (output, "_update", "after"),
    (output, "_keep_as_spare", "before"), (output, "_keep_as_spare", "after"),
    (cache, "save", "before"), (cache, "_save", "before"), (cache, "_save_search", "before"),
    (search, "build_documents", "after"), (bookkeeping, "record", "before"),
    (bookkeeping, "record", "after"), (edits, "prepare", "after"), (cache, "_save_plans", "before"),
]


@pytest.mark.parametrize(("module", "name", "when"), STEPS,
                         ids=[f"{w}-{m.__name__.rpartition('.')[2]}.{n}" for m, n, w in STEPS])
def test_a_build_killed_at_any_step_leaves_old_or_new_site_and_the_next_build_right(
    tmp_path, module, name, when
):
    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    article = root / "content/articles/third-way.md"
    original = article.read_text()
    assert build_repo(root).ok
    other = root / "content/articles/first-light.md"
    other.write_text(other.read_text() + "\nOne more line.\n")
    assert build_repo(root).ok  # now with a spare tree
    assert (root / ".site.spare").is_dir()
    old = site_files(root)
    article.write_text(original.replace("The Third Way", "The Fourth Way"))
    new = clean_tree(root, tmp_path / "new")
    assert build_killed_at(root, module, name, when) == 9
    assert site_files(root) in (old, new)
    article.write_text(original)  # undo the edit: the old site is right again
    assert build_repo(root).ok
    assert site_files(root) == old
    article.write_text(original.replace("The Third Way", "The Fourth Way"))
    assert build_repo(root).ok
    assert site_files(root) == new
    assert scratch(root) == []


def test_ctrl_c_as_the_cache_commits_stops_the_build_and_keeps_what_was_committed(
    tmp_path, monkeypatch
):
    """A Ctrl-C whose handler runs just after COMMIT returned: the build must stop (not be
    swallowed by a failed ROLLBACK, which left the preview running) and the committed cache
    must stay, so the next build has nothing to do."""
    import sqlite3

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    assert build_repo(root).ok
    article = root / "content/articles/third-way.md"
    article.write_text(article.read_text().replace("The Third Way", "The Fourth Way"))

    class Interrupted(sqlite3.Connection):
        def execute(self, sql, *args):
            cursor = super().execute(sql, *args)
            if sql == "COMMIT":
                raise KeyboardInterrupt
            return cursor

    connect = sqlite3.connect
    monkeypatch.setattr(cache.sqlite3, "connect",
                        lambda *a, **k: connect(*a, **k, factory=Interrupted))
    with pytest.raises(KeyboardInterrupt):
        build_repo(root)
    monkeypatch.setattr(cache.sqlite3, "connect", connect)
    again = build_repo(root)
    assert again.ok and (again.pages_rendered, again.files_written) == (0, 0)
    assert site_files(root) == clean_tree(root, tmp_path / "clean")


def test_a_preview_build_whose_write_fails_leaves_its_cache_as_it_was(tmp_path, monkeypatch):
    """Disk full in the middle of a preview session: the session must not believe that the
    files it failed to write (search files among them) are on disk."""
    from broadsheet import pipeline

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    assert pipeline.build(config, session=session).ok
    article = root / "content/articles/third-way.md"
    article.write_text(article.read_text().replace("The Third Way", "The Fourth Way"))
    real = output.write_site

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "write_site", disk_full)
    failed = pipeline.build(config, session=session)
    assert [d.format() for d in failed.diagnostics][-1].startswith(
        "site: error: cannot write the site: No space left on device")
    monkeypatch.setattr(output, "write_site", real)
    assert pipeline.build(config, session=session).ok
    assert site_files(root) == clean_tree(root, tmp_path / "clean")


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def test_workers_die_with_a_killed_build(tmp_path):
    files = {f"content/articles/a{i:04}.md": article(f"Article {i}", body="Words. " * 400)
             for i in range(1500)}
    root = make_repo(tmp_path, files=files)
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py")], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None and len(workers) < 2:
        workers = children(proc.pid)
        time.sleep(0.01)
    assert len(workers) >= 2, "no worker processes seen"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.05)
    alive = [w for w in workers if Path(f"/proc/{w}/stat").exists()
             and Path(f"/proc/{w}/stat").read_text().split()[2] != "Z"]
    assert alive == []


def fail_reading(monkeypatch, name: str) -> None:
    """Make reading files whose path ends with `name` fail as an unreadable file does (the
    tests run as root, for whom permissions do not stop reading)."""
    real_open = Path.open

    def guarded(self, *args, **kwargs):
        if str(self).endswith(name):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)


@pytest.mark.parametrize(("name", "expected"), [
    ("first-light.png", "content/articles/first-light.png: error: cannot read: Permission "
                        "denied"),
    ("templates/base.html", "templates/base.html: error: cannot read: Permission denied"),
    ("static/style.css", "static/style.css: error: cannot read: Permission denied"),
    ("content/tags.yml", "content/tags.yml: error: cannot read: Permission denied"),
    ("third-way.md", "content/articles/third-way.md: error: cannot read: Permission denied"),
])
def test_an_unreadable_file_is_an_error_naming_it(tmp_path, monkeypatch, name, expected):
    root = make_repo(tmp_path, FIXTURES / "site", files={"content/tags.yml": "printing: {}\n"})
    fail_reading(monkeypatch, name)
    result = build_repo(root)
    assert not result.ok
    assert expected in messages(result)


def run(root, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=root,
                          capture_output=True, text=True, timeout=60)


def test_new_with_a_very_long_title_makes_a_short_file_name(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    title = "A very long title " * 25
    done = run(root, "new", title.strip(), "--date", "2020-05-01")
    assert done.returncode == 0, done.stderr
    name = done.stdout.strip()
    assert name.startswith("content/articles/2020/a-very-long-title-a-very-long")
    assert len(Path(name).stem) <= 80 and not Path(name).stem.endswith("-")
    assert run(root, "check", name).returncode == 0


@pytest.mark.parametrize("slug", ["../../evil", "Evil", "a/b", "x" * 81])
def test_new_with_a_bad_slug_says_what_a_slug_may_hold(tmp_path, slug):
    root = make_repo(tmp_path, FIXTURES / "site")
    done = run(root, "new", "Title", "--slug", slug)
    assert done.returncode == 2
    assert done.stderr == (f"error: --slug {slug!r} must be lowercase letters, digits and "
                           "hyphens, at most 80 characters\n")
    assert not list((root / "content").rglob("evil*"))


def test_a_slug_too_long_for_a_folder_name_is_an_error_at_its_line(tmp_path):
    root = make_repo(tmp_path, files={
        "content/articles/x.md": article(extra=f"slug: {'a' * 300}\n"),
        "content/articles/y.md": article(extra=f"tags: [{'b' * 300}]\n"),
    })
    assert messages(build_repo(root)) == [
        "content/articles/x.md:4:7: error: the URL slug is 300 bytes long; the limit is 200 "
        "(hint: give the article a shorter 'slug:' or file name)",
        f"content/articles/y.md:4:8: error: tag '{'b' * 40}…' is too long for a URL (limit 200 "
        "bytes)",
    ]


def test_check_of_a_folder_reports_what_lies_below_and_of_a_missing_path_fails(tmp_path):
    root = make_repo(tmp_path, files={"content/articles/x.md": article(date="2020-02-31")})
    done = run(root, "check", "content/")
    assert done.returncode == 1
    assert "content/articles/x.md:3:7: error: date '2020-02-31' is not a real date" in done.stderr
    done = run(root, "check", "missing.md")
    assert done.returncode == 2
    assert done.stderr == "error: no such file or folder: missing.md\n"


def test_an_articles_files_never_collide_with_the_copies_of_its_photo(tmp_path):
    """Lead photo `p.png` and a body image `p-60.png` (the name of the photo's 60-pixel copy
    when copies lived beside the page); photo `img/q.gif` and a body image `q.gif`."""
    from PIL import Image

    root = make_repo(tmp_path, files={
        "content/articles/a.md": article(extra="photo:\n  src: p.png\n  alt: x\n  credit: y\n",
                                         body="![body](p-60.png)\n"),
        "content/articles/b.md": article(
            title="B", extra="photo:\n  src: img/q.gif\n  alt: x\n  credit: y\n",
            body="![body](q.gif)\n"),
    })
    folder = root / "content/articles"
    (folder / "img").mkdir()
    Image.new("RGB", (60, 40), "red").save(folder / "p.png")
    Image.new("RGB", (60, 40), "blue").save(folder / "p-60.png")
    Image.new("RGB", (30, 20), "green").save(folder / "img/q.gif")
    Image.new("RGB", (30, 20), "yellow").save(folder / "q.gif")
    assert build_repo(root).ok
    site = root / "site"
    assert (site / "2020/a/p-60.png").read_bytes() == (folder / "p-60.png").read_bytes()
    assert (site / "2020/b/q.gif").read_bytes() == (folder / "q.gif").read_bytes()
    page = (site / "2020/b/index.html").read_text()
    assert 'src="../../media/' in page and 'src="q.gif"' in page
    media = sorted(p.relative_to(site).as_posix() for p in (site / "media").rglob("*.*"))
    assert len(media) == 3  # p.png as WebP and PNG at 60 pixels, q.gif as it is


def test_svg_from_articles_is_refused_so_its_script_never_runs_on_the_site(tmp_path):
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script>'
           '</svg>')
    root = make_repo(tmp_path, files={
        "content/articles/a.md": article(
            body="![diagram](evil.svg)\n\n[Open the full diagram](evil.svg)\n"),
        "content/articles/b.md": article(title="B", extra="photo:\n  src: evil.svg\n  alt: x\n"),
        "content/articles/evil.svg": svg,
    })
    result = build_repo(root)
    assert messages(result) == [
        "content/articles/a.md:5: error: image 'evil.svg' is an SVG drawing, which can carry "
        "scripts; export it as PNG or WebP (hint: keep images beside the article and link them "
        "by name)",
        "content/articles/b.md:5:8: error: 'evil.svg' is an SVG drawing, which can carry "
        "scripts; export it as PNG or WebP",
    ]
    assert not (root / "site").exists()


def test_moving_content_away_during_a_preview_keeps_the_last_good_site(tmp_path):
    from broadsheet import pipeline

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    assert pipeline.build(config, session=session).ok
    before = site_files(root)
    (root / "content").rename(root / "content-elsewhere")
    result = pipeline.build(config, session=session)
    assert [d.format() for d in result.diagnostics if d.severity == "error"] == [
        "content/: error: the content folder does not exist (hint: create it, or set "
        "content_dir in broadsheet.yml to the folder of your articles)"]
    assert site_files(root) == before
    (root / "content-elsewhere").rename(root / "content")
    assert pipeline.build(config, session=session).ok
    assert site_files(root) == before


def test_a_site_title_cut_by_a_yaml_comment_is_a_warning(tmp_path):
    root = make_repo(tmp_path)
    assert config_errors(root, "title: Notes from C# #1\n") == [
        "broadsheet.yml:1:22: warning: the text after ' #' is a YAML comment and was left out "
        "(hint: quote the value)"]


@pytest.mark.parametrize("payload", [
    '{{ lipsum.__globals__["os"].popen("touch PWNED").read() }}',
    "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{% set x = site.config.__class__ %}{{ x.__init__.__globals__ }}",
    "{{ site.config.__dataclass_fields__ }}",
])
def test_a_template_cannot_run_commands_or_reach_python_internals(tmp_path, payload):
    root = make_repo(tmp_path, FIXTURES / "site")
    page = root / "templates/404.html"
    page.write_text(page.read_text().replace("{% block main %}", "{% block main %}" + payload))
    result = build_repo(root)
    assert not result.ok
    assert any("while rendering 404.html" in m and ("unsafe" in m or "undefined" in m)
               for m in messages(result)), messages(result)
    assert not (root / "PWNED").exists() and not (root / "site").exists()


def test_the_sandboxs_shortcut_for_record_fields_answers_as_jinja_would():
    """`templates._sandbox` allows a frozen record's fields without Jinja's own checks: for
    every record a template can reach, and names around them, it must decide as they do."""
    import dataclasses

    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from broadsheet import model
    from broadsheet.render import pages, templates, views

    ours, stock = templates.environment(jinja2.DictLoader({})), ImmutableSandboxedEnvironment()
    kinds = [k for module in (model, views, pages, templates, config_module)
             for k in vars(module).values() if isinstance(k, type) and dataclasses.is_dataclass(k)]
    assert model.Article in kinds and views.Card in kinds and config_module.Config in kinds
    for kind in kinds:
        record = object.__new__(kind)
        names = [f.name for f in dataclasses.fields(kind)]
        for name in (*names, "__class__", "__init__", "__dataclass_fields__", "_x", "mro"):
            assert ours.is_safe_attribute(record, name, None) == stock.is_safe_attribute(
                record, name, None), (kind, name)

    @dataclasses.dataclass
    class Mutable:
        items: list

    class Listed(list):
        pass

    assert templates._record_fields(Mutable) == templates._record_fields(Listed) == frozenset()
    assert not ours.is_safe_attribute([], "append", None)


def test_a_template_includes_only_the_themes_own_files(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site", files={".git/config": "SECRET-TOKEN\n",
                                                        "templates/.hidden.html": "SECRET\n"})
    page = root / "templates/404.html"
    for target in (".hidden.html", "../.git/config", "/etc/hostname"):
        page.write_text(page.read_text().replace("{% block main %}",
                                                 "{% block main %}{% include '" + target + "' %}",
                                                 1))
        result = build_repo(root)
        assert not result.ok, target
        assert any("template not found" in m or "not found" in m for m in messages(result))
        page.write_text((REPO / "templates/404.html").read_text())


def test_a_cache_committed_to_the_repository_is_not_trusted(tmp_path):
    """git checks out a force-added .broadsheet-cache/ whatever .gitignore says: a database
    from elsewhere (another machine's key) must not decide what this build publishes."""
    import sqlite3

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    assert build_repo(root).ok
    clean = site_files(root)
    db = root / cache.CACHE_DIR / "build.sqlite"
    with sqlite3.connect(db) as connection:
        for source, result in connection.execute("SELECT source, result FROM articles"):
            poisoned = result.replace("<p>", "<p><script>alert(1)</script>", 1)
            connection.execute("UPDATE articles SET result = ? WHERE source = ?",
                               (poisoned, source))
        connection.execute("UPDATE meta SET value = 'f00d' WHERE key = 'owner'")  # not ours
    shutil.rmtree(root / "site")
    assert build_repo(root).ok
    assert site_files(root) == clean


def test_a_marker_copied_into_a_source_folder_does_not_make_it_replaceable(tmp_path):
    root = make_repo(tmp_path / "repo", FIXTURES / "site", files={"bench/run.py": "x = 1\n"})
    assert build_repo(root).ok
    marker = (root / "site" / output.MARKER).read_text()
    (root / "bench" / output.MARKER).write_text(marker.replace("build: ", "build: x", 1))
    (root / "broadsheet.yml").write_text("output_dir: bench\n")
    result = build_repo(root)
    assert any("holds files Broadsheet did not write" in m for m in messages(result))
    assert (root / "bench/run.py").read_text() == "x = 1\n"


def test_links_planted_in_the_site_or_its_spare_are_never_followed_or_kept(tmp_path):
    root = make_repo(tmp_path / "repo", FIXTURES / "site", files={".git/config": "SECRET\n"})
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "index.html").write_text("the victim's own file\n")
    other = root / "content/articles/first-light.md"
    assert build_repo(root).ok
    other.write_text(other.read_text() + "\nOne more line.\n")
    assert build_repo(root).ok  # now with a spare tree
    spare = root / ".site.spare"
    shutil.rmtree(spare / "2021/first-light")
    (spare / "2021/first-light").symlink_to(victim, target_is_directory=True)
    (root / "site/static/style.css").unlink()
    (root / "site/static/style.css").symlink_to(root / ".git/config")
    other.write_text(other.read_text() + "\nAnd another.\n")
    assert build_repo(root).ok
    assert (victim / "index.html").read_text() == "the victim's own file\n"
    assert [p for p in (root / "site").rglob("*") if p.is_symlink()] == []
    assert b"SECRET" not in (root / "site/static/style.css").read_bytes()
    assert site_files(root) == clean_tree(root, tmp_path / "clean")


def test_a_linked_cache_folder_or_file_is_never_written_through(tmp_path):
    import sqlite3

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "History").write_bytes(b"")
    with sqlite3.connect(elsewhere / "History") as connection:
        connection.execute("CREATE TABLE urls (url TEXT)")
    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    (root / cache.CACHE_DIR).mkdir()
    (root / cache.CACHE_DIR / "build.sqlite").symlink_to(elsewhere / "History")
    assert build_repo(root).ok
    with sqlite3.connect(elsewhere / "History") as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("urls",)]
    shutil.rmtree(root / cache.CACHE_DIR)
    (root / cache.CACHE_DIR).symlink_to(elsewhere, target_is_directory=True)
    result = build_repo(root)
    assert any(m.startswith(".broadsheet-cache: error: is not a plain folder")
               for m in messages(result))
    assert sorted(p.name for p in elsewhere.iterdir()) == ["History"]


def test_a_link_planted_in_the_image_cache_is_not_published(tmp_path):
    from PIL import Image

    root = make_repo(tmp_path / "repo", files={
        ".git/config": "SECRET\n",
        "content/articles/a.md": article(extra="photo:\n  src: p.png\n  alt: x\n  credit: y\n")})
    Image.new("RGB", (800, 500), "red").save(root / "content/articles/p.png")
    assert build_repo(root).ok
    for made in (root / cache.CACHE_DIR / "images").iterdir():
        made.unlink()
        made.symlink_to(root / ".git/config")
    assert build_repo(root, clean=True).ok
    for name, data in site_files(root).items():
        assert b"SECRET" not in data, name


def test_an_article_may_have_at_most_50_tags(tmp_path):
    tags = ", ".join(f"t{i}" for i in range(3000))
    root = make_repo(tmp_path, files={"content/articles/a.md": article(extra=f"tags: [{tags}]\n")})
    start = time.perf_counter()
    result = build_repo(root)
    assert time.perf_counter() - start < 10
    assert messages(result) == [
        "content/articles/a.md:4:248: error: an article may have at most 50 tags, not 3000"]


@pytest.mark.parametrize(("src", "message"), [
    (".hidden.png", "image '.hidden.png' is a hidden file; give it a name without a leading '.'"),
    ("pics/.x/a.png", "image 'pics/.x/a.png' is a hidden file; give it a name without a "
                      "leading '.'"),
    ("a" * 300 + ".png", "image " + repr("a" * 40) + "… is too long a file name"),
])
def test_hidden_and_overlong_image_names_are_errors(tmp_path, src, message):
    root = make_repo(tmp_path, files={"content/articles/x.md": article(body=f"![x]({src})\n")})
    result = build_repo(root)
    assert f"content/articles/x.md:5: error: {message} (hint: keep images beside the article " \
           "and link them by name)" in messages(result)


def test_file_names_that_are_not_utf8_are_named_not_a_traceback(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    os.mkdir(os.path.join(os.fsencode(root / "static"), b"\xff\xfe"))
    with open(os.path.join(os.fsencode(root / "static"), b"x\xff.css"), "w") as handle:
        handle.write("a {}")
    result = build_repo(root)
    assert "static/x?.css: error: file name is not valid UTF-8 (hint: rename the file)" \
        in messages(result)
    assert "static/??: error: folder name is not valid UTF-8 (hint: rename the folder)" \
        in messages(result)


def test_an_overlong_folder_setting_is_a_config_error(tmp_path):
    root = make_repo(tmp_path)
    assert config_errors(root, f"content_dir: {'c' * 300}\n") == [
        "broadsheet.yml:1:14: error: content_dir is too long a folder name"]


def test_an_article_too_large_is_not_also_no_articles(tmp_path):
    root = make_repo(tmp_path, files={"content/articles/a.md": article(body="x" * 600_000)})
    assert messages(build_repo(root)) == [
        "content/articles/a.md: error: is 585 KB; the limit is 512 KB (hint: split it into "
        "parts that link to each other)"]


def test_a_link_added_after_a_good_build_is_still_an_error(tmp_path):
    """A link is not listed, so it used to leave the inputs' digest as it was: the next build
    took the no-change path and said nothing."""
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    (root / "content/articles/linked.md").symlink_to(root / "content/articles/third-way.md")
    result = build_repo(root)
    assert not result.ok
    assert any("linked.md: error: is a symbolic link" in m for m in messages(result))


def test_editor_backups_and_swap_files_are_never_read_or_published(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site", files={
        "static/style.css~": "old", "static/notes.tmp": "x", "content/articles/x.md.swp": "x",
        "content/articles/third-way.md~": "---\ntitle: [broken\n---\n"})
    result = build_repo(root)
    assert result.ok, messages(result)
    published = {p.name for p in (root / "site").rglob("*")}
    assert not published & {"style.css~", "notes.tmp", "x.md.swp", "third-way.md~"}
