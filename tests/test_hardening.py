"""Untrusted articles and faults: nothing reaches readers, the repository or a half-built site."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, build_repo, make_repo, scratch
from hostile import scan

from broadsheet import config as config_module
from broadsheet import output
from broadsheet.read import sources

PAYLOAD = '<img src=x onerror=alert(1)>"\'><script>alert(2)</script>'


def article(title="T", date="2020-01-02", extra="", body="Body.\n") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n{body}"


def messages(result) -> list[str]:
    return [d.format() for d in result.diagnostics]


def test_hostile_front_matter_is_escaped_everywhere(tmp_path):
    quoted = '"' + PAYLOAD.replace('"', '\\"') + '"'
    root = make_repo(tmp_path, files={
        "content/articles/x.md": article(
            quoted,
            extra=f"tags: [{quoted}]\nauthor: {quoted}\nsummary: {quoted}\n"
                  f"source:\n  name: {quoted}\n  url: \"https://example.org/?a=<b>&c=\\\"d\"\n"
                  f"photo:\n  src: p.png\n  alt: {quoted}\n  caption: {quoted}\n"
                  f"  credit: {quoted}\n"),
    })
    shutil.copy(FIXTURES / "site/content/articles/first-light.png",
                root / "content/articles/p.png")
    result = build_repo(root)
    assert result.ok, messages(result)
    assert scan(root / "site") == []
    page = (root / "site/2020/x/index.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert" not in page
    # the feed is well-formed XML holding the text as text
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    entry = ET.parse(root / "site/feed.xml").getroot().find(f"{atom}entry")
    assert entry.find(f"{atom}title").text == PAYLOAD
    assert entry.find(f"{atom}author/{atom}name").text == PAYLOAD
    # the search store is JSON data in a script file (the page inserts it as text; see the
    # search browser tests): the payload stays inside its JSON string
    import json

    store = (root / "site/search/doc/0.js").read_text()
    prefix = '__broadsheetSearch("doc/0",'
    assert store.startswith(prefix) and store.endswith(");\n")
    assert json.loads(store[len(prefix):-3])["t"] == PAYLOAD


def test_raw_html_is_text_by_default_and_allow_list_is_sanitized(tmp_path):
    body = ("E = mc<sup>2</sup>, <abbr title=\"United Nations\">UN</abbr>, "
            "<sup onclick=\"steal()\">x</sup> <script>alert(1)</script> "
            "<img src=x onerror=alert(1)> <a href=\"javascript:alert(1)\">a</a>\n\n"
            "<iframe src=\"https://example.org\"></iframe>\n")
    root = make_repo(tmp_path, files={"content/articles/x.md": article(body=body)})
    assert build_repo(root).ok
    page = (root / "site/2020/x/index.html").read_text()
    assert "mc&lt;sup&gt;2&lt;/sup&gt;" in page  # shown as text
    assert scan(root / "site") == []

    (root / "broadsheet.yml").write_text("allow_html: [sup, abbr]\n")
    assert build_repo(root).ok
    page = (root / "site/2020/x/index.html").read_text()
    assert "mc<sup>2</sup>" in page
    assert '<abbr title="United Nations">UN</abbr>' in page
    assert "<sup>x</sup>" in page  # the handler is gone, the text stays
    assert "<iframe" not in page and "javascript:" not in page
    assert scan(root / "site") == []


def test_allow_list_refuses_dangerous_tags(tmp_path):
    root = make_repo(tmp_path, files={"broadsheet.yml": "allow_html: [sup, script]\n"})
    _, problems = config_module.load(root)
    assert problems[0].format().startswith(
        "broadsheet.yml:1:1: error: allow_html may list only: abbr, b, br")


def test_script_links_are_errors_in_check_and_neutralized_in_build(tmp_path):
    body = "Intro.\n\nClick [here](JaVaScRiPt:alert(1)) or ![x](data:image/svg+xml;base64,AA).\n"
    root = make_repo(tmp_path, files={"content/articles/2020/x.md": article(body=body)})
    result = build_repo(root)
    assert result.ok
    assert messages(result) == [
        "content/articles/2020/x.md:7: warning: link to 'JaVaScRiPt:alert(1)' is not allowed "
        "and was left as text (hint: links may use http, https, mailto or a relative path)",
        "content/articles/2020/x.md:7: warning: link to 'data:image/svg+xml;base64,AA' is not "
        "allowed and was left as text (hint: links may use http, https, mailto or a relative "
        "path)",
    ]
    assert scan(root / "site") == []
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "check"], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "x.md:7: error: link to 'JaVaScRiPt:alert(1)' is not allowed" in done.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("photo:\n  src: /etc/passwd.jpg\n  alt: x\n",
         "'/etc/passwd.jpg' must be a file path relative to the article, not a URL or absolute"),
        ("photo:\n  src: 'C:\\\\x.jpg'\n  alt: x\n", "must be a file path relative"),
        ("photo:\n  src: ../../../../x.jpg\n  alt: x\n", "must not leave the article's folder"),
        ("slug: ../../escape\n", "slug '../../escape' may hold only lowercase letters"),
        ("slug: C:/x\n", "slug 'C:/x' may hold only lowercase letters"),
    ],
)
def test_paths_cannot_leave_the_repository(tmp_path, extra, expected):
    root = make_repo(tmp_path, files={"content/articles/x.md": article(extra=extra)})
    result = build_repo(root)
    assert not result.ok
    assert any(expected in m for m in messages(result)), messages(result)


def test_yaml_bombs_and_oversized_front_matter_are_refused(tmp_path):
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    deep = "title: " + "[" * 50 + "]" * 50 + "\n"
    big = "title: x\nsummary: \"" + "y" * 300_000 + "\"\n"
    root = make_repo(tmp_path, files={
        "content/articles/laughs.md": f"---\n{laughs}---\n",
        "content/articles/deep.md": f"---\n{deep}---\n",
        "content/articles/big.md": f"---\n{big}---\n",
    })
    result = build_repo(root)
    assert sorted(messages(result)) == [
        "content/articles/big.md:2:1: error: front-matter is larger than 256 KB",
        "content/articles/deep.md:2:28: error: nested deeper than 20 levels",
        "content/articles/laughs.md:2:4: error: anchors and aliases are not allowed here",
    ]


@pytest.mark.parametrize(
    ("data", "outcome"),
    [
        (b"---\ntitle: x\ndate: 2020-01-02\n---\nNo final newline", "ok"),
        (b"\xef\xbb\xbf---\r\ntitle: x\r\ndate: 2020-01-02\r\n---\r\nBOM and CRLF\r\n", "ok"),
        (b"---\rtitle: x\rdate: 2020-01-02\r---\rOld Mac line ends\r", "ok"),
        (b"---\ntitle: x\ndate: 2020-01-02\n---\n", "ok"),  # front-matter only
        (b"", "a.md:1:1: error: missing front-matter"),
        (b"\n\n", "a.md:1:1: error: missing front-matter"),
        (b"---\ntitle: \xff\xfe\n---\n", "a.md:2:8: error: not valid UTF-8 (byte 0xff)"),
        (b"\xff\xfe-\x00-\x00-\x00", "a.md:1:1: error: not valid UTF-8 (byte 0xff)"),
        (b"---\ntitle: x\x00\n---\n", "a.md:2: error: contains a NUL character"),
    ],
)
def test_encoding_mishaps_build_or_give_a_clear_error(tmp_path, data, outcome):
    root = make_repo(tmp_path)
    (root / "content/articles").mkdir(parents=True)
    (root / "content/articles/a.md").write_bytes(data)
    result = build_repo(root)
    if outcome == "ok":
        assert result.ok, messages(result)
        assert (root / "site/2020/a/index.html").is_file()
    else:
        assert not result.ok
        assert any(m.startswith("content/articles/" + outcome) for m in messages(result)), (
            messages(result))


def test_an_article_at_the_size_limit_builds_and_one_over_is_refused(tmp_path):
    paragraph = "A long paragraph of plain prose, repeated to make a very large article. " * 20
    body = "\n\n".join(f"## Part {i}\n\n{paragraph}" for i in range(360))
    assert 500_000 < len(body.encode()) < sources.MAX_ARTICLE_BYTES - 100
    root = make_repo(tmp_path, files={"content/articles/a.md": article(body=body),
                                      "content/articles/b.md": article(body=body + body)})
    result = build_repo(root)
    assert messages(result) == ["content/articles/b.md: error: is 1,022 KB; the limit is 512 KB "
                                "(hint: split it into parts that link to each other)"]
    (root / "content/articles/b.md").unlink()
    result = build_repo(root)
    assert result.ok, messages(result)
    assert (root / "site/2020/a/index.html").stat().st_size > 500_000


def test_crash_while_writing_leaves_old_site_and_no_temp(tmp_path, monkeypatch):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok
    before = {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = Path.write_bytes

    def failing(self, data):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    result = build_repo(root, clean=True)
    assert messages(result)[-1] == (
        "site: error: cannot write the site: No space left on device "
        "(hint: check the folder's permissions and free space)")
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in (root / "site").rglob("*") if p.is_file()} == before
    assert scratch(root) == []


def test_unwritable_output_location_is_a_clear_error(tmp_path, monkeypatch):
    root = make_repo(tmp_path, FIXTURES / "site")
    assert build_repo(root).ok

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output.tempfile, "mkdtemp", refuse)
    result = build_repo(root, clean=True)
    assert messages(result)[-1].startswith("site: error: cannot write the site: Permission denied")
    assert (root / "site/index.html").is_file()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_killed_build_leaves_site_intact(tmp_path, signum):
    """A real signal to a build process while it writes: site/ stays the old build."""
    files = {f"content/articles/a{i:04}.md": article(f"Article {i}", body=("Words. " * 400))
             for i in range(1500)}
    root = make_repo(tmp_path, files=files)
    (root / "site").mkdir()
    (root / "site/index.html").write_text("the old build")
    output._mark(root / "site", "old")  # a build of ours
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py")], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        staging = [p for p in root.iterdir() if p.name.startswith(".site.new-")]
        if staging and any(staging[0].rglob("*.html")):
            break
        time.sleep(0.002)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    os.kill(proc.pid, signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)  # ("built ..." in out: it finished before the kill)
    assert "Traceback" not in err and "left unchanged" in err
    assert (root / "site/index.html").read_text() == "the old build"
    assert scratch(root) == []


def test_rendered_pages_wait_on_disk_not_in_memory(tmp_path, monkeypatch):
    """At 10,000 articles the pages are 200 MB: they go to a scratch folder as they are
    rendered and are renamed into the new site, never held by the build process."""
    root = make_repo(tmp_path, FIXTURES / "site")
    real, seen = output.write_site, {}

    def spy(out, files, copies, *args):
        seen.update(files=set(files), moved=dict(args[-2]))
        seen["scratch"] = {p.parent for p in args[-2].values()}
        return real(out, files, copies, *args)

    monkeypatch.setattr(output, "write_site", spy)
    assert build_repo(root).ok
    assert not any(name.endswith(".html") for name in seen["files"]), seen["files"]
    assert "index.html" in seen["moved"] and len(seen["scratch"]) == 1
    assert next(iter(seen["scratch"])).name.startswith(".site.render-")
    assert scratch(root) == []  # the scratch folder is gone with the build


def test_a_killed_builds_scratch_folder_is_removed_but_not_a_running_ones(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    abandoned, running = root / ".site.render-dead", root / ".site.render-live"
    for folder in (abandoned, running):
        folder.mkdir()
        (folder / "0").write_text("a page")
    fd = os.open(running, os.O_RDONLY)  # as the other build holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert build_repo(root).ok
        assert not abandoned.exists() and (running / "0").is_file()
    finally:
        os.close(fd)
    (root / "content/articles/third-way.md").write_text(
        (root / "content/articles/third-way.md").read_text() + "\nMore.\n")
    assert build_repo(root).ok
    assert not running.exists()
    theirs = root / ".site.render-notes"  # a folder of that name that is not a build's
    theirs.mkdir()
    (theirs / "plan.md").write_text("keep me")
    (root / "content/articles/third-way.md").write_text(
        (root / "content/articles/third-way.md").read_text() + "\nAgain.\n")
    assert build_repo(root).ok
    assert (theirs / "plan.md").read_text() == "keep me"
