"""Shared fixtures: building a site in a temporary repository, serving it, and a browser.

Browser tests are marked `e2e`. Without Chromium they skip with the reason, except under CI
(`CI=true`), where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from broadsheet import config as config_module
from broadsheet.pipeline import build

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = Path(os.environ.get("BROADSHEET_CHROMIUM", "/usr/bin/chromium"))


def make_repo(tmp: Path, content: Path | None = None, files: dict[str, str] | None = None) -> Path:
    """A throwaway repository with our theme, a copy of `content` (a folder holding
    `content/` and maybe `broadsheet.yml`) and extra `files` (path -> text)."""
    shutil.copytree(REPO / "templates", tmp / "templates")
    shutil.copytree(REPO / "static", tmp / "static")
    if content is not None:
        shutil.copytree(content, tmp, dirs_exist_ok=True)
        shutil.rmtree(tmp / "site", ignore_errors=True)
    for name, text in (files or {}).items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp


def scratch(folder: Path) -> list[str]:
    """Temporary folders a build left beside its site (the kept spare build is not one)."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".site") and p.name != ".site.spare")


def build_repo(root: Path, clean: bool = False, **overrides):
    config, problems = config_module.load(root, **overrides)
    assert not problems, problems
    return build(config, clean=clean)


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> Path:
    """The sample archive of this repository, built once per test session."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    shutil.copytree(REPO / "content", root / "content")
    if (REPO / "broadsheet.yml").exists():
        shutil.copy(REPO / "broadsheet.yml", root / "broadsheet.yml")
    result = build_repo(root)
    assert result.ok, [d.format() for d in result.diagnostics]
    return root / "site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A browser closing a connection early is normal; stay quiet about it."""


@pytest.fixture(scope="session")
def serve():
    """serve(folder, prefix="archive") -> base URL of `folder` served at /prefix/ on 127.0.0.1."""
    servers = []

    def start(folder: Path, prefix: str = "archive") -> str:
        webroot = folder.parent / f"webroot-{folder.name}-{len(servers)}"
        webroot.mkdir(exist_ok=True)
        link = webroot / prefix
        if not link.exists():
            link.symlink_to(folder, target_is_directory=True)
        handler = functools.partial(_QuietHandler, directory=str(webroot))
        server = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/{prefix}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def page(browser):
    """A fresh page that records every request leaving the site and every script error."""
    context = browser.new_context()
    pg = context.new_page()
    pg.outside_requests = []
    pg.errors = []

    def watch(request):
        url = request.url
        if not (url.startswith(("file://", "data:", "about:")) or "://127.0.0.1" in url):
            pg.outside_requests.append(url)

    pg.on("request", watch)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    yield pg
    context.close()
