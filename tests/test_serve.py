"""The live preview through a subprocess and HTTP: rebuilds on save, survives errors, stops clean.

Each test starts `python build.py serve` on a free port in a throwaway repository and polls
with short timeouts, so a hung preview fails the test instead of the run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, make_repo, scratch

ARTICLE = "content/articles/third-way.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(check, timeout: float = 10.0, what: str = "condition"):
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


class Preview:
    """A running `build.py serve`, its terminal output collected line by line."""

    def __init__(self, root: Path, *args: str) -> None:
        self.root, self.port = root, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root),
             "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [
            threading.Thread(target=self._read, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for reader in self.readers:
            reader.start()
        until(lambda: any(line.startswith("serving") for line in self.out) or self.proc.poll(),
              15, "the preview to start")
        assert self.proc.poll() is None, self.err

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def rebuilds(self) -> int:
        return sum(line.startswith("rebuilt") for line in self.out)

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            for reader in self.readers:
                reader.join(timeout=5)


@pytest.fixture
def preview(tmp_path):
    started: list[Preview] = []

    def start(*args: str) -> Preview:
        started.append(Preview(make_repo(tmp_path / "repo", FIXTURES / "site"), *args))
        return started[-1]

    yield start
    for p in started:
        p.stop()


def write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(text, encoding="utf-8")


def article(title: str, date: str = "2023-05-01", tags: str = "[libraries]") -> str:
    return f'---\ntitle: "{title}"\ndate: {date}\ntags: {tags}\n---\nA body for {title}.\n'


def test_edit_shows_up_and_served_pages_listen_for_reloads(preview):
    p = preview()
    status, page = p.get("/archive/2022/third-way/")
    assert status == 200 and "The Third Way" in page
    assert "/__broadsheet/events" in page and page.index("EventSource") < page.index("</body>")
    text = (p.root / ARTICLE).read_text().replace("The Third Way", "The Fourth Way")
    write(p.root, ARTICLE, text)
    until(lambda: "The Fourth Way" in p.get("/archive/2022/third-way/")[1], what="the edit")
    until(lambda: p.rebuilds() == 1, what="the report")  # stdout is read by another thread
    assert "rebuilt in" in p.out[-1] and "(3 articles" in p.out[-1] and ARTICLE in p.out[-1]


def test_root_redirects_to_the_sub_path(preview):
    p = preview()
    request = urllib.request.Request(p.base + "/", method="HEAD")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as exc:
        opener.open(request, timeout=5)
    assert exc.value.code == 302 and exc.value.headers["Location"] == "/archive/"
    assert p.get("/elsewhere/index.html")[0] == 404
    assert p.get("/archive/../../etc/passwd")[0] == 404


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_new_article_appears_on_front_page_and_tag_page(preview):
    p = preview()
    write(p.root, "content/articles/fresh-ink.md", article("Fresh Ink"))
    until(lambda: p.get("/archive/2023/fresh-ink/")[0] == 200, what="the new article")
    assert "Fresh Ink" in p.get("/archive/")[1]
    assert "Fresh Ink" in p.get("/archive/tags/libraries/")[1]


def test_deleted_article_is_404_and_leaves_every_listing(preview):
    p = preview()
    assert "The Third Way" in p.get("/archive/tags/libraries/")[1]
    (p.root / ARTICLE).unlink()
    until(lambda: p.get("/archive/2022/third-way/")[0] == 404, what="the page to go")
    for path in ("/archive/", "/archive/tags/libraries/", "/archive/2022/", "/archive/archive/"):
        status, page = p.get(path)
        assert status == 200 and "The Third Way" not in page, path
    mentions = [f for f in (p.root / "site").rglob("*") if f.is_file()
                and b"third-way" in f.read_bytes()]
    assert mentions == []


def test_broken_article_shows_the_error_until_fixed(preview):
    p = preview()
    good = (p.root / ARTICLE).read_text()
    write(p.root, ARTICLE, good.replace("date: 2022-12-24", 'date: "<b>soon"'))
    until(lambda: any(line.startswith("rebuild failed") for line in p.out), what="the failure")
    status, page = p.get("/archive/2022/third-way/")
    assert status == 200 and "The Third Way" in page  # the last good build stays served
    assert f"{ARTICLE}:3:7: error: date &#x27;&lt;b&gt;soon&#x27; is not a date" in page
    assert "<b>soon" not in page
    assert f"{ARTICLE}:3:7" in p.get("/archive/")[1]
    until(lambda: any(line.startswith(f"{ARTICLE}:3:7: error") for line in p.err),
          what="the diagnostic on the terminal")
    write(p.root, ARTICLE, good.replace("The Third Way", "The Mended Way"))
    until(lambda: "The Mended Way" in p.get("/archive/2022/third-way/")[1], what="recovery")
    # The overlay goes when the rebuild is reported, a moment after the new tree is swapped in.
    until(lambda: "broadsheet-build-error" not in p.get("/archive/")[1], what="no overlay")
    assert p.proc.poll() is None


def test_burst_of_200_files_is_one_rebuild(preview):
    p = preview()
    for n in range(200):
        write(p.root, f"content/articles/burst-{n:03}.md", article(f"Burst {n}"))
    until(lambda: p.rebuilds() >= 1, what="the rebuild")
    time.sleep(1.0)  # a second, late rebuild would show up here
    assert p.rebuilds() == 1, p.out
    assert "(203 articles" in p.out[-1] and "and 197 more" in p.out[-1]


def test_editor_temp_files_are_ignored_and_atomic_save_is_one_rebuild(preview):
    p = preview()
    folder = p.root / "content/articles"
    for name in (".third-way.md.swp", "4913", "third-way.md~", ".#third-way.md", "x.tmp"):
        (folder / name).write_text("junk", encoding="utf-8")
    time.sleep(0.8)
    assert p.rebuilds() == 0, p.out
    temp = folder / "sedXyZ123"  # `sed -i` and some editors save through such a name
    temp.write_text((p.root / ARTICLE).read_text().replace("Third", "Saved"), encoding="utf-8")
    os.replace(temp, p.root / ARTICLE)
    until(lambda: "The Saved Way" in p.get("/archive/2022/third-way/")[1], what="the save")
    time.sleep(0.5)
    assert p.rebuilds() == 1, p.out
    assert p.out[-1].endswith(f"after {ARTICLE}")


def test_config_change_rebuilds(preview):
    p = preview()
    config = p.root / "broadsheet.yml"
    config.write_text(config.read_text().replace("Fixture Gazette", "Edited Gazette"))
    until(lambda: "Edited Gazette" in p.get("/archive/")[1], what="the new title")


def test_port_in_use_gives_a_clear_message(tmp_path):
    root = make_repo(tmp_path, FIXTURES / "site")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root),
             "--port", str(port)], capture_output=True, text=True, timeout=30,
        )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert f"127.0.0.1:{port}" in done.stderr and f"--port {port + 1}" in done.stderr
    assert not (root / "site").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_cleanly_with_an_open_event_stream(preview, sig):
    p = preview()
    events = urllib.request.urlopen(p.base + "/__broadsheet/events?since=1", timeout=5)
    assert events.readline() == b"retry: 1000\n"
    started = time.monotonic()
    assert p.stop(sig) == 0
    assert time.monotonic() - started < 5
    events.close()
    assert "Traceback" not in "\n".join(p.err), p.err
    assert p.out[-1] == "stopped"
    assert scratch(p.root) == []


def test_published_build_has_no_reload_script(preview):
    p = preview()
    p.stop()
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(p.root)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for file in (p.root / "site").rglob("*"):
        if file.is_file():
            data = file.read_bytes()
            assert b"/__broadsheet/events" not in data and b"EventSource" not in data, file


@pytest.mark.e2e
def test_open_page_reloads_itself_after_an_edit(preview, page):
    p = preview()
    page.goto(p.base + "/archive/2022/third-way/")
    assert page.locator("h1").inner_text() == "The Third Way"
    page.evaluate("window.marker = 1")
    page.wait_for_function("() => document.readyState === 'complete'")
    time.sleep(0.2)  # let the event stream connect
    write(p.root, ARTICLE, (p.root / ARTICLE).read_text().replace("Third", "Reloaded"))
    page.wait_for_function(
        "() => document.querySelector('h1').textContent.includes('Reloaded')", timeout=10_000
    )
    assert page.evaluate("typeof window.marker") == "undefined"
    assert page.errors == []


def test_session_keeps_the_cache_in_memory_and_commits_every_build(tmp_path):
    """The preview reads the cache once; each of its builds commits, so a killed preview
    loses nothing, and a build right after it starts from what the preview learnt."""
    from conftest import FIXTURES, make_repo

    from broadsheet import config as config_module
    from broadsheet import pipeline
    from broadsheet.incremental import cache

    root = make_repo(tmp_path, FIXTURES / "site")
    config, _ = config_module.load(root)
    assert pipeline.build(config).ok
    session = pipeline.Session(config)
    article = root / "content/articles/third-way.md"
    article.write_text(article.read_text() + "\nMore.\n")
    result = pipeline.build(config, session=session)
    assert result.ok and result.pages_rendered == 1
    assert cache.load(config).pages == session.store.pages
    assert pipeline.build(config).files_written == 0


def test_session_does_not_save_over_a_newer_build(tmp_path):
    """A `python build.py` run while the preview is open wins: the preview's older cache is
    not written beside the newer site."""
    from conftest import FIXTURES, make_repo

    from broadsheet import config as config_module
    from broadsheet import pipeline
    from broadsheet.incremental import cache

    root = make_repo(tmp_path, FIXTURES / "site")
    config, _ = config_module.load(root)
    session = pipeline.Session(config)
    assert pipeline.build(config, session=session).ok
    article = root / "content/articles/third-way.md"
    article.write_text(article.read_text() + "\nWritten while the preview runs.\n")
    assert pipeline.build(config).ok  # another process's build
    newer = cache.load(config).pages
    session.close()
    assert cache.load(config).pages == newer


def test_a_rebuilds_rendered_pages_are_served_before_it_writes_the_site(tmp_path):
    """The saved page shows as soon as it is rendered (search, feeds and the write follow);
    a rebuild that then fails takes it back and shows its errors."""
    from broadsheet import config as config_module
    from broadsheet.diagnostics import error
    from broadsheet.pipeline import build
    from broadsheet.preview import serve
    from broadsheet.workers import Rendered

    root = make_repo(tmp_path / "repo", FIXTURES / "site")
    config, _ = config_module.load(root)
    assert build(config).ok
    preview = serve.Preview(config)
    server = serve.make_server(preview, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}{config.base_path}2022/third-way/"

    def get() -> str:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")

    early = tmp_path / "early.html"
    early.write_text("<html><body>The Early Way</body></html>", encoding="utf-8")
    page = {"2022/third-way/index.html": Rendered(early, "")}
    try:
        assert "The Third Way" in get()
        generation = preview.generation
        preview.rendered(page)
        assert "The Early Way" in get() and preview.generation == generation + 1
        assert "/__broadsheet/events" in get()  # decorated like any page
        preview.finished(config, [])  # written: from site/ again, with no second reload
        assert "The Third Way" in get() and preview.generation == generation + 1
        preview.rendered({f"p{n}.html": Rendered(early, "") for n in range(serve.EARLY_PAGES + 1)})
        assert not preview.early  # a theme change: every page waits for the write
        preview.rendered(page)
        preview.finished(config, [error("site", 0, 0, "cannot write the site: disk full")])
        shown = get()
        assert "The Third Way" in shown and "disk full" in shown
        assert preview.generation == generation + 3
    finally:
        server.shutdown()
        server.server_close()
